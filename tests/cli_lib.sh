# Shared by the command-line test scripts (source it after setting `bin` and `src`): a scratch
# folder removed at exit, pass/fail counters, and the bad-input check every CLI test needs.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() {  # [what]: a check passed (said when named)
  passed=$((passed + 1))
  [ $# -eq 0 ] || echo "ok: $*"
}
bad() {  # what: a check failed
  failed=$((failed + 1))
  echo "FAILED: $*"
}
# expect_2 WHAT PATTERN ARGS...: `$bin ARGS...` exits 2 with exactly one line on stderr matching
# PATTERN.
expect_2() {
  local what=$1 pattern=$2
  shift 2
  local err
  err=$("$bin" "$@" 2>&1 >/dev/null)
  local rc=$?
  if [ $rc -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s' "$err" | grep -q -- "$pattern"; then
    ok "$what"
  else
    bad "$what (rc $rc: $err)"
  fi
}
# finish NAME: the summary line; the script's status.
finish() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
