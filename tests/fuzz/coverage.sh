#!/bin/sh
# coverage.sh CORPORA - line coverage of each parser by its fuzz corpus: the
# replay drivers, built with clang's source-based coverage in build-cov/,
# run over CORPORA/NAME.corpus (what `FUZZ_LOGS=CORPORA make fuzz` grew) or
# tests/fuzz/corpus/NAME, and llvm-cov reports the lines of the parser's own
# files that ran. Prints one line per harness.
set -eu
corpora=${1:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build-cov"
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$root" --buildtype=debug -Dwerror=false \
		-Dc_args="-fprofile-instr-generate -fcoverage-mapping" \
		-Dc_link_args="-fprofile-instr-generate" >/dev/null
fi

files() {
	case "$1" in
	smtp_cmd) echo src/mail/smtp_cmd.c ;;
	address) echo src/mail/address.c ;;
	esmtp) echo src/mail/esmtp.c ;;
	sasl) echo src/mail/sasl.c ;;
	data) echo src/mail/data.c ;;
	qrecord) echo src/mail/qrecord.c ;;
	header) echo src/mail/header.c ;;
	dnsmsg) echo src/lib/dnsmsg.c ;;
	smtp_reply) echo src/mail/smtp_reply.c ;;
	qstate) echo src/mail/qstate.c ;;
	route) echo src/mail/route.c ;;
	mime7) echo src/mail/mime7.c src/mail/mime7_enc.c src/mail/mime7_hdr.c ;;
	mailbox) echo src/mail/mailbox.c ;;
	mime) echo src/mail/mime.c src/mail/mime_dec.c src/mail/mime_hdr.c src/mail/mime_word.c ;;
	dkim_tags) echo src/dkim/dkim_tags.c ;;
	dkim_canon) echo src/dkim/dkim_canon.c ;;
	dlp) echo src/scan/dlp.c src/scan/dlp_check.c ;;
	report) echo src/mail/report.c src/mail/report_dsn.c src/mail/report_field.c ;;
	unsub_token) echo src/policy/unsub_token.c ;;
	send_request) echo src/api/send_request.c src/api/send_shape.c src/api/send_raw.c ;;
	config) echo src/posternd/config.c src/posternd/config_keys.c ;;
	esac
}

targets=$(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_\(.*\)\.c$/tests\/fuzz\/replay_\1/')
# shellcheck disable=SC2086
ninja -C "$build" $targets >/dev/null
work=$(mktemp -d)
for t in $targets; do
	name=${t#tests/fuzz/replay_}
	src=$(files "$name")
	[ -n "$src" ] || continue
	corpus="$here/corpus/$name"
	[ -n "$corpora" ] && [ -d "$corpora/$name.corpus" ] && corpus="$corpora/$name.corpus"
	LLVM_PROFILE_FILE="$work/$name.profraw" "$build/$t" "$corpus" "$here/regression/$name" \
		>/dev/null 2>&1 || true
	llvm-profdata merge -sparse "$work/$name.profraw" -o "$work/$name.profdata"
	# the parser's own files' rows of the report, summed
	(cd "$root" && llvm-cov report "$build/$t" -instr-profile="$work/$name.profdata") |
		awk -v n="$name" -v c="$(ls "$corpus" | wc -l)" -v files=" $src " '
		function ours(f,   k, m, i, w) {
			m = split(files, w, " ")
			for (i = 1; i <= m; i++)
				if (f == w[i] || substr(f, length(f) - length(w[i])) == "/" w[i])
					return 1
			return 0
		}
		ours($1) { l += $8; lm += $9; b += $11; bm += $12 }
		END {
			printf "%-14s corpus=%-5s lines %d of %d covered (%.2f%%), branches %d of %d (%.2f%%)\n",
			       n, c, l - lm, l, l ? 100 * (l - lm) / l : 0, b - bm, b, b ? 100 * (b - bm) / b : 0 }'
done
rm -rf "$work"
