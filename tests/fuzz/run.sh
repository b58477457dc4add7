#!/bin/sh
# run.sh BUILD SECONDS [JOBS] - run every libFuzzer harness for SECONDS each,
# JOBS at a time (1), starting from its seed corpus. Prints, per harness, the
# executions, the edges covered (cov) and the corpus it grew; crashes land in
# tests/fuzz/artifacts/ (move a fixed one into tests/fuzz/regression/NAME/).
# Logs stay in $FUZZ_LOGS (a temporary directory unless set).
set -eu
build=$1
secs=${2:-20}
jobs=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
logs=${FUZZ_LOGS:-$(mktemp -d)}
mkdir -p "$here/artifacts" "$logs"

one() {
	h=$1
	name=$(basename "$h" | sed 's/^fuzz_//')
	work="$logs/$name.corpus"
	mkdir -p "$work"
	[ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$work"/ 2>/dev/null || true
	if "$h" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=4096 \
		-artifact_prefix="$here/artifacts/$name-" "$work" >"$logs/$name.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$name.log")
		cov=$(grep -E '^#[0-9]+' "$logs/$name.log" | grep -o 'cov: [0-9]*' | tail -1)
		printf '%-14s ok  executions=%s %s corpus=%s\n' "$name" "$execs" "$cov" \
			"$(ls "$work" | wc -l)"
	else
		printf '%-14s CRASH: see %s and tests/fuzz/artifacts/\n' "$name" "$logs/$name.log"
		return 1
	fi
}

export here secs logs
status=0
for h in "$build"/tests/fuzz/fuzz_*; do
	[ -f "$h" ] && [ -x "$h" ] && echo "$h"
done | {
	if [ "$jobs" -le 1 ]; then
		while read -r h; do one "$h" || status=1; done
		exit $status
	else
		# one harness per job; xargs runs this script's one() through sh -c
		xargs -P "$jobs" -I{} sh -c "$(typeset -f one 2>/dev/null || true)"'
			'"$(sed -n '/^one() {/,/^}/p' "$0")"'
			one "$1"' _ {}
	fi
} || status=1
echo "logs: $logs"
exit $status
