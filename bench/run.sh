#!/bin/sh
# run.sh BUILD - Postern's benchmarks (see docs/BENCHMARKS.md).
#
# For now one figure: injection throughput of 2 KiB messages from Postfix's
# smtp-source (one connection per message, 16 in parallel) into posternd with
# full durability (file fsync, rename, directory fsync before every 250),
# delivered into a capture directory. Median of RUNS runs, with min and max.
# BENCH_MSGS and RUNS make it smaller (make test runs a tiny smoke version).
set -eu
build=$(cd "$1" && pwd)
msgs=${BENCH_MSGS:-5000}
runs=${RUNS:-3}
conc=${BENCH_CONC:-16}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/postern-bench.XXXXXX)
chmod 755 "$work"
pid=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
chmod 644 "$work/key.pem"
port=$(free_port)
tport=$(free_port)
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
concurrency = 8
EOC
"$build/posternd" -d -c "$work/p.ini" 2>"$work/posternd.log" &
pid=$!
i=0
until "$build/posternctl" -c "$work/p.ini" status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/posternd.log"; exit 1; }
	sleep 0.1
done
"$build/posternctl" -c "$work/p.ini" source add bench --ip 127.0.0.1/32 >/dev/null

rates=""
for r in $(seq 1 "$runs"); do
	t0=$(date +%s.%N)
	smtp-source -s "$conc" -l 2048 -m "$msgs" -f app@example.com -t user@example.org \
		127.0.0.1:"$port"
	t1=$(date +%s.%N)
	rate=$(echo "$msgs / ($t1 - $t0)" | bc -l)
	rates="$rates $rate"
	printf 'run %d: %d msgs in %.2fs = %.0f msgs/s\n' "$r" "$msgs" "$(echo "$t1 - $t0" | bc -l)" "$rate"
done
stats=$("$build/posternctl" -c "$work/p.ini" --json status)
commits=$(echo "$stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["commits"])')
syncs=$(echo "$stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["dir_syncs"])')
echo "$rates" | tr ' ' '\n' | grep . | sort -n | awk -v c="$conc" -v cm="$commits" -v ds="$syncs" '
	{ v[NR] = $1 }
	END {
		med = v[int((NR + 1) / 2)]
		printf "\ninjection, 2 KiB, %d sessions, durable 250: median %.0f msgs/s (min %.0f, max %.0f)\n", c, med, v[1], v[NR]
		printf "group commit: %d messages committed with %d directory fsyncs (%.1f per fsync)\n", cm, ds, (ds ? cm / ds : 0)
	}'
