#!/bin/sh
# run.sh BUILD SECONDS - run every libFuzzer harness for SECONDS each, starting
# from its seed corpus; crashes land in tests/fuzz/artifacts/.
set -eu
build=$1
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/artifacts"
status=0
for h in "$build"/tests/fuzz/fuzz_*; do
	[ -f "$h" ] && [ -x "$h" ] || continue
	name=$(basename "$h" | sed 's/^fuzz_//')
	work=$(mktemp -d)
	[ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$work"/ 2>/dev/null || true
	printf '%-10s ' "$name"
	if "$h" -max_total_time="$secs" -artifact_prefix="$here/artifacts/$name-" \
		"$work" >"$work.log" 2>&1; then
		grep -E '^#[0-9]+.*DONE' "$work.log" | tail -1 || echo "done"
	else
		echo "CRASH: see $work.log and tests/fuzz/artifacts/"
		status=1
	fi
	rm -rf "$work"
done
exit $status
