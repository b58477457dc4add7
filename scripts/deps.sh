#!/bin/sh
# deps.sh - install the Debian packages Postern needs, and only those missing.
#
# Usage: scripts/deps.sh [build|test|bench|fuzz]...
# Runs `apt-get update` at most once, and only when something is missing.
# Without root (and without sudo) it prints what is missing and fails.
set -eu

build="meson ninja-build pkg-config gcc libc6-dev libevent-dev libssl-dev libunbound-dev
libsqlite3-dev libsodium-dev libinih-dev libjansson-dev openssl libhyperscan-dev"
test="libcmocka-dev python3-pytest swaks libnet-ssleay-perl sqlite3 clang-format strace
python3-pytest-xdist python3-aiosmtpd python3-dnslib postfix python3-dkim python3-nacl libmail-dkim-perl
libnet-dns-perl opendkim wrk clamav-daemon rspamd eatmydata nmap testssl.sh e2fsprogs chromium"
bench="postfix opendkim wrk"
fuzz="clang libfuzzer-14-dev"

want=""
[ $# -gt 0 ] || set -- build
for set in "$@"; do
	case "$set" in
	build) want="$want $build" ;;
	test)
		want="$want $build $test"
		# Node.js for the console's browser tests: Debian's, unless one is installed
		command -v node >/dev/null 2>&1 || want="$want nodejs"
		command -v npm >/dev/null 2>&1 || want="$want npm"
		;;
	bench) want="$want $build $test $bench" ;;
	fuzz) want="$want $build $fuzz" ;;
	*) echo "deps.sh: unknown set '$set'" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -n "$missing" ] || exit 0

echo "deps.sh: installing:$missing" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "deps.sh: not root and no sudo; install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; Postern's tests only use its tools.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
