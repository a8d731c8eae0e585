# Shared helpers for tests/hostile/*.sh: the built binary, a scratch directory removed on
# exit, and checks that record failures instead of stopping at the first.
set -u
TOP=${FR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${FR_TOP_BUILDDIR:-$TOP}
FROCKET="$BUILD/frocket"
ORACLE="$TOP/tests/data/oracle"
T=$(mktemp -d "${TMPDIR:-/tmp}/frocket-hostile.XXXXXX")
trap 'rm -rf "$T"' EXIT
nfail=0
fail() { echo "FAIL: $*" >&2; nfail=$((nfail + 1)); }
ok() { echo "ok: $*"; }
# expect_rc WANT DESC CMD...: runs CMD with stdout/stderr to $T/out and $T/err and checks its
# exit status; a sanitizer report in stderr is a failure whatever the status.
expect_rc() {
	want=$1; desc=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; got=$?
	if grep -q -e AddressSanitizer -e 'runtime error:' -e LeakSanitizer "$T/err"; then
		fail "$desc: sanitizer report"; sed -n 1,20p "$T/err" >&2; return
	fi
	if [ "$got" != "$want" ]; then
		fail "$desc: exit $got, want $want"; sed -n 1,5p "$T/err" >&2; return
	fi
	ok "$desc"
}
# expect_err PATTERN DESC: the last command's stderr matches PATTERN (grep -E).
expect_err() {
	if grep -Eq -- "$1" "$T/err"; then ok "$2"; else fail "$2: stderr lacks /$1/"; sed -n 1,5p "$T/err" >&2; fi
}
finish() {
	if [ "$nfail" -gt 0 ]; then echo "$nfail check(s) failed" >&2; exit 1; fi
	exit 0
}
