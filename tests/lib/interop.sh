# interop.sh - shared by the loopback interop scripts (tests/interop_*.sh):
# source it from the repository root after setting INTEROP_BUILD to the
# make targets the script runs. It builds them, gives pass/fail, a scratch
# directory $TMP, and servers that are stopped on exit.
#
#   start_server NAME CMD...  run an echo server on a free port (it prints
#                             "listening 127.0.0.1:PORT"); port in SERVER_PORT

KCPGO=tests/interop/bin/kcpgo_peer
FAILED=0
PIDS=()
TMP=$(mktemp -d)

interop_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap interop_cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/github.com/xtaci/kcp-go ]; then
  fail "kcpgo build: golang-go and golang-github-xtaci-kcp-dev are needed (make deps)"
  exit 1
fi
# shellcheck disable=SC2086
if ! make -s --no-print-directory $INTEROP_BUILD >"$TMP/make.log" 2>&1; then
  cat "$TMP/make.log"
  fail "interop peers build"
  exit 1
fi

start_server() {
  local name=$1 i; shift
  timeout 55 "$@" >"$TMP/$name.log" 2>&1 &
  PIDS+=($!)
  SERVER_PORT=
  for ((i = 0; i < 50; i++)); do
    SERVER_PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/$name.log" 2>/dev/null)
    [ -n "$SERVER_PORT" ] && return 0
    sleep 0.1
  done
  cat "$TMP/$name.log"
  return 1
}
