#!/bin/sh
# run.sh BUILD - Postern's benchmarks (see docs/BENCHMARKS.md).
#
# Two figures for now:
# - DKIM: signatures per second of each algorithm, the key operation alone
#   and the whole signature of a 2 KiB message (canonicalization, hashes,
#   the field), beside `openssl speed` for the same algorithm in the same run.
# - Relaying: 2 KiB messages from Postfix's smtp-source (one connection per
#   message, 16 in parallel) into posternd with full durability (file fsync,
#   rename, directory fsync before every 250), every message signed
#   RSA-SHA256 + Ed25519-SHA256, relayed to Postfix's smtp-sink: injection
#   rate, and end to end (until the queue is empty). Median of RUNS runs,
#   with min and max.
# BENCH_MSGS, RUNS and DKIM_SECONDS (whole seconds) make it smaller.
set -eu
build=$(cd "$1" && pwd)
msgs=${BENCH_MSGS:-5000}
runs=${RUNS:-3}
conc=${BENCH_CONC:-16}
dkim_secs=${DKIM_SECONDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/postern-bench.XXXXXX)
chmod 755 "$work"
pid="" spid=""
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$work"
	exit "$rc" # the servers' own exit status (killed) is not the benchmark's
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
chmod 644 "$work/key.pem"
port=$(free_port)
tport=$(free_port)
sport=$(free_port)
user=$(id -un)
[ "$user" = root ] && user=nobody
cat >"$work/p.ini" <<EOC
[server]
hostname = bench.test
user = $user
state_dir = $work/state
log_level = warn
[smtp]
listen = 127.0.0.1:$port
listen_tls = 127.0.0.1:$tport
tls_cert = $work/cert.pem
tls_key = $work/key.pem
max_connections_per_ip = 1000
[delivery]
capture_dir = $work/capture
allow_private_destinations = yes
tls = none
[routes]
example.org = [127.0.0.1]:$sport
capture.example = capture
EOC

echo "== DKIM signing, one core =="
speed=$(openssl speed -seconds "$dkim_secs" rsa2048 ed25519 2>/dev/null)
ossl_rsa=$(echo "$speed" | awk '$1 == "rsa" && $2 == "2048" { print $(NF-1) }')
ossl_ed=$(echo "$speed" | awk '/\(Ed25519\)/ { print $(NF-1) }')
"$build/bench/dkim_bench" "$dkim_secs" | awk -v or="$ossl_rsa" -v oe="$ossl_ed" '
	BEGIN { printf "%-24s %14s %10s %16s %9s\n", "", "openssl speed", "key op", "whole signature", "overhead" }
	$1 == "message" {
		printf "%-24s %14s %10.0f %16.0f %8.1f%%\n", "message (both, msgs/s)", "-", $3, $5, $7
		next }
	{ printf "%-24s %14.0f %10.0f %16.0f %8.1f%%\n", $1 " (sigs/s)", ($1 == "rsa-sha256") ? or : oe, $3, $5, $7 }'
echo "overhead: canonicalization, header selection, the hashes and the field, as a"
echo "share of the key operation (target: under 20%). A message gets both signatures"
echo "and its body is hashed once for the two."
echo
smtp-sink -u "$user" 127.0.0.1:"$sport" 1000 &
spid=$!
"$build/posternd" -d -c "$work/p.ini" 2>"$work/posternd.log" &
pid=$!
i=0
until "$build/posternctl" -c "$work/p.ini" status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/posternd.log"; exit 1; }
	sleep 0.1
done
ctl() { "$build/posternctl" -c "$work/p.ini" "$@"; }
ctl source add bench --ip 127.0.0.1/32 >/dev/null
ctl source allow bench '*@example.com' >/dev/null
ctl domain add example.com --force >/dev/null
echo "== relaying through posternd (every message signed RSA-2048 + Ed25519) =="

qlen() { ctl --json status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_length"])'; }
inj="" e2e=""
for r in $(seq 1 "$runs"); do
	t0=$(date +%s.%N)
	smtp-source -s "$conc" -l 2048 -m "$msgs" -f app@example.com -t user@example.org \
		127.0.0.1:"$port"
	t1=$(date +%s.%N)
	i=0
	until [ "$(qlen)" = 0 ]; do
		i=$((i + 1)); [ $i -lt 6000 ] || { echo "bench: the queue does not drain" >&2; exit 1; }
		sleep 0.02
	done
	t2=$(date +%s.%N)
	a=$(echo "$msgs / ($t1 - $t0)" | bc -l)
	b=$(echo "$msgs / ($t2 - $t0)" | bc -l)
	inj="$inj $a" e2e="$e2e $b"
	printf 'run %d: %d msgs, injected in %.2fs (%.0f msgs/s), delivered in %.2fs (%.0f msgs/s)\n' \
		"$r" "$msgs" "$(echo "$t1 - $t0" | bc -l)" "$a" "$(echo "$t2 - $t0" | bc -l)" "$b"
done
stats=$(ctl --json status)
commits=$(echo "$stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["commits"])')
syncs=$(echo "$stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["dir_syncs"])')
median() {
	echo "$2" | tr ' ' '\n' | grep . | sort -n | awk -v what="$1" '
		{ v[NR] = $1 }
		END { printf "%-28s median %6.0f msgs/s (min %.0f, max %.0f)\n", what, v[int((NR + 1) / 2)], v[1], v[NR] }'
}
echo
echo "2 KiB, $conc sessions, durable 250, signed, relayed to smtp-sink:"
median "  injection" "$inj"
median "  end to end" "$e2e"
echo "$commits $syncs" | awk '{ printf "  group commit: %d messages, %d directory fsyncs (%.1f per fsync)\n", $1, $2, ($2 ? $1 / $2 : 0) }'

# the figures only count if the mail was signed: one more, captured, looked at
smtp-source -m 1 -f app@example.com -t user@capture.example 127.0.0.1:"$port"
i=0
until [ "$(find "$work/capture" -name "*.eml" 2>/dev/null | head -1)" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: nothing delivered" >&2; exit 1; }
	sleep 0.1
done
f=$(find "$work/capture" -name "*.eml" | head -1)
n=$(grep -c '^DKIM-Signature:' "$f" || true)
[ "$n" = 2 ] || { echo "bench: a delivered message has $n DKIM signatures, not 2" >&2; exit 1; }
echo "delivered messages carry both signatures (checked: $(basename "$f"))"
