# TAP for the shell tests: source it, then ok, not_ok, check, bail; end
# with `echo "1..$n"; exit $failed`.
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
bail() { echo "Bail out! $*"; exit 1; }
