#!/bin/sh
# run.sh BUILD VARDIR - start posternd in the foreground on a default
# configuration under VARDIR, created on first run: a self-signed certificate,
# the store, a demo source whose password is printed, and delivery into
# VARDIR/capture. Ctrl-C stops it.
set -eu
build=$1
var=$2
port=${POSTERN_PORT:-2587}
tlsport=${POSTERN_TLS_PORT:-2465}
apiport=${POSTERN_API_PORT:-2580}
inport=${POSTERN_INBOUND_PORT:-2525}
adminport=${POSTERN_ADMIN_PORT:-2581}

mkdir -p "$var/tls"
var=$(cd "$var" && pwd)
conf="$var/postern.ini"
ctl="$build/posternctl -c $conf"

if [ ! -f "$conf" ]; then
	cat >"$conf" <<EOC
; Postern's default configuration for 'make run' (see README.md, Configuration).
[server]
hostname = localhost
user = $(id -un)
state_dir = $var/state

[smtp]
listen = 127.0.0.1:$port
listen_tls = 127.0.0.1:$tlsport
tls_cert = $var/tls/cert.pem
tls_key = $var/tls/key.pem

[delivery]
transport = capture
capture_dir = $var/capture

[api]
listen = 127.0.0.1:$apiport
; the admin API and the web console (http://127.0.0.1:$adminport/console/);
; beyond loopback, set admin_tls = yes: the console's cookie is Secure
admin_listen = 127.0.0.1:$adminport
admin_token_file = $var/admin.token

; data-loss rules; a virus scanner (clamd) and Rspamd go in [scan] (README.md)
[dlp]
cards = card
ibans = iban

; a broadcast stream: its messages get one-click unsubscribe links (served
; by the [api] door) and honour the suppression list
[streams]
newsletter = stream

[unsubscribe]
base_url = http://127.0.0.1:$apiport

; mail for unsubscribe+, bounces+ and the complaints address only
[inbound]
listen = 127.0.0.1:$inport
bounce_domain = localhost
complaints = fbl@localhost
EOC
fi
if [ ! -f "$var/admin.token" ]; then
	(umask 077 && openssl rand -hex 32 >"$var/admin.token")
fi
if [ ! -f "$var/tls/cert.pem" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$var/tls/key.pem" -out "$var/tls/cert.pem" 2>/dev/null
	chmod 600 "$var/tls/key.pem"
fi

"$build/posternd" -n -c "$conf" >/dev/null
"$build/posternd" -d -c "$conf" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 0' INT TERM
i=0
until $ctl status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
		echo "run.sh: posternd did not start" >&2
		exit 1
	fi
	sleep 0.1
done
if [ ! -f "$var/demo-password" ]; then
	$ctl source add demo >/dev/null 2>&1 || true
	# the demo may send as anyone at example.com, signed with keys made active at
	# once (--force: example.com's DNS is not ours to publish in)
	$ctl source allow demo '*@example.com' >/dev/null 2>&1 || true
	$ctl domain add example.com --force >/dev/null 2>&1 || true
	(umask 077 && $ctl source passwd demo | awk '/^new password/ {print $NF}' >"$var/demo-password")
fi
if [ ! -f "$var/demo-api-key" ]; then
	(umask 077 && $ctl source credential add demo demo-key --kind api-key |
		awk '/^API key:/ {print $NF}' >"$var/demo-api-key")
fi
if [ ! -f "$var/console-password" ] && grep -q '^admin_listen' "$conf"; then
	(umask 077 && $ctl admin add admin | awk '/^password:/ {print $2}' >"$var/console-password")
fi
pw=$(cat "$var/demo-password")
console=""
if [ -s "$var/console-password" ]; then
	adminaddr=$(awk '/^\[/ {sec = $0} sec == "[api]" && $1 == "admin_listen" {print $3}' "$conf")
	console="  The web console: http://$adminaddr/console/  (user 'admin', password
  '$(cat "$var/console-password")'; posternctl admin add NAME for more)
"
fi
key=$(cat "$var/demo-api-key")
apiaddr=$(awk '/^\[/ {sec = $0} sec == "[api]" && $1 == "listen" {print $3}' "$conf")
cat <<EOM

  Postern is running (logs below). Submission: 127.0.0.1:$port (STARTTLS)
  and 127.0.0.1:$tlsport (implicit TLS). Demo source: user 'demo', password '$pw'.

  Send a first message:
    swaks --server 127.0.0.1:$port --tls --auth PLAIN --auth-user demo \\
          --auth-password '$pw' --from app@example.com --to you@example.org

  or from Python:
    /usr/bin/python3 -c "import smtplib, ssl; c = ssl.create_default_context(); \\
      c.check_hostname = False; c.verify_mode = ssl.CERT_NONE; \\
      s = smtplib.SMTP('127.0.0.1', $port); s.starttls(context=c); s.login('demo', '$pw'); \\
      print(s.sendmail('app@example.com', ['you@example.org'], \\
      'From: app@example.com\\r\\nSubject: hi\\r\\n\\r\\nHello')); s.quit()"

  A newsletter (signed List-Unsubscribe headers; the link works at once):
    swaks ... --header 'X-Postern-Stream: newsletter'     then: $ctl suppression list

  or over HTTP with the demo API key (also in $var/demo-api-key):
    curl -sS http://${apiaddr:-"(add [api] listen to $conf)"}/v1/messages -H 'Authorization: Bearer $key' \\
         -H 'Content-Type: application/json' \\
         -d '{"from": "app@example.com", "to": "you@example.org", "subject": "hi", "text": "Hello"}'

  Delivered messages appear in $var/capture/ as .eml (and .json envelopes),
  DKIM-signed for example.com (posternctl domain show example.com).
  Administer with: $ctl source list   (and: log search, stats, audit)
$console
EOM
wait $pid
