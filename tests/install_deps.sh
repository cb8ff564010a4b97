#!/usr/bin/env bash
# install_deps.sh - scripts/install-deps on every path no machine here takes:
# stub dpkg-query, apt-get, sudo and id first on a PATH that holds nothing
# else but the few tools the script runs, so nothing is ever installed.
#
#   all packages present       no apt-get call at all, exit 0
#   missing, as root           apt-get update + install, no sudo,
#                              DEBIAN_FRONTEND=noninteractive
#   missing, user with sudo    the same through sudo
#   missing, user, no sudo     a clear error naming the packages, exit 1
# Then make itself on such a machine: a build that needs a package
# pkg-config cannot find (or pkg-config itself) stops before compiling,
# naming the Debian package and `make deps`.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh   # pass / fail / check only: no namespace is made

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
LOG=$T/calls
BIN=$T/bin
mkdir -p "$BIN"
for tool in bash env grep; do ln -s "$(command -v $tool)" "$BIN/$tool"; done

# dpkg-query -W -f=FMT PKG: installed unless PKG is in $STUB_MISSING.
cat >"$BIN/dpkg-query" <<'STUB'
#!/bin/bash
pkg=${!#}
case " $STUB_MISSING " in *" $pkg "*) exit 1 ;; esac
printf 'install ok installed'
STUB
# apt-get ARGS: log the call and the environment it got.
cat >"$BIN/apt-get" <<'STUB'
#!/bin/bash
echo "apt-get uid=$STUB_UID sudo=${STUB_VIA_SUDO:-0} frontend=${DEBIAN_FRONTEND:-unset} $*" >>"$STUB_LOG"
STUB
# sudo CMD...: log, reset the environment as sudo does (env_reset), run as "root".
cat >"$BIN/sudo" <<'STUB'
#!/bin/bash
echo "sudo $*" >>"$STUB_LOG"
exec env -i PATH="$PATH" STUB_LOG="$STUB_LOG" STUB_UID=0 STUB_VIA_SUDO=1 "$@"
STUB
# id -u: the faked user id.
cat >"$BIN/id" <<'STUB'
#!/bin/bash
echo "$STUB_UID"
STUB
chmod +x "$BIN"/*

# run UID MISSING [nosudo]: scripts/install-deps with the stubs; output in $T/out.
run() {
  local nosudo=${3:-}
  : >"$LOG"
  [ -z "$nosudo" ] || mv "$BIN/sudo" "$T/sudo.off"
  env -i PATH="$BIN" STUB_LOG="$LOG" STUB_UID="$1" STUB_MISSING="$2" \
    scripts/install-deps >"$T/out" 2>&1
  RC=$?
  [ -z "$nosudo" ] || mv "$T/sudo.off" "$BIN/sudo"
}

run 0 ""
check "all present: exit 0" [ "$RC" -eq 0 ]
check "all present: no apt-get or sudo call" [ ! -s "$LOG" ]

run 0 "tshark check"
check "root, missing: exit 0" [ "$RC" -eq 0 ]
check "root, missing: no sudo" bash -c "! grep -q '^sudo' '$LOG'"
check "root, missing: apt-get update first" \
  bash -c "head -n1 '$LOG' | grep -qx 'apt-get uid=0 sudo=0 frontend=.* update -q'"
check "root, missing: apt-get install of exactly the missing, noninteractive" \
  grep -qx 'apt-get uid=0 sudo=0 frontend=noninteractive install -y -q check tshark' "$LOG"
check "root, missing: names what it installs" grep -q 'installing check tshark' "$T/out"

run 1000 "valgrind"
check "user with sudo: exit 0" [ "$RC" -eq 0 ]
check "user with sudo: update through sudo" grep -qx 'apt-get uid=0 sudo=1 frontend=.* update -q' "$LOG"
check "user with sudo: install through sudo, noninteractive past sudo's env reset" \
  grep -qx 'apt-get uid=0 sudo=1 frontend=noninteractive install -y -q valgrind' "$LOG"
check "user with sudo: every apt-get call through sudo" \
  bash -c "! grep -q 'sudo=0' '$LOG' && [ \$(grep -c '^sudo ' '$LOG') -eq 2 ]"

run 1000 "valgrind tcpdump" nosudo
check "user without sudo: exit 1" [ "$RC" -eq 1 ]
check "user without sudo: no apt-get call" [ ! -s "$LOG" ]
check "user without sudo: error names root/sudo and the packages" \
  grep -q '^install-deps: need root (or sudo) to install: valgrind tcpdump$' "$T/out"
# mk ENV... -- TARGET: make TARGET into a scratch build dir; output in $T/out.
mk() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  env "${envs[@]}" make --no-print-directory -s BUILD="$T/b" "$T/b/$2" >"$T/out" 2>&1
  RC=$?
}
mk PKG_CONFIG_LIBDIR=/nonexistent -- kcp/ikcp.o
check "make, no pkg-config package found: stops naming each Debian package and make deps, compiles nothing" \
  bash -c "[ $RC -ne 0 ] && grep -qx 'make: no lwip libgcrypt libsodium libisal snappy json-c liburing found (Debian: liblwip-dev libgcrypt20-dev libsodium-dev libisal-dev libsnappy-dev libjson-c-dev liburing-dev); install with: make deps' '$T/out' &&
           [ -z \"\$(find '$T/b' -name '*.o' 2>/dev/null)\" ]"
mk PKG_CONFIG_LIBDIR=/nonexistent -- tests/check_ikcp.o
check "make of a Check test, nothing found: names check too" \
  grep -qx 'make: no lwip check libgcrypt libsodium libisal snappy json-c liburing found (Debian: liblwip-dev check libgcrypt20-dev libsodium-dev libisal-dev libsnappy-dev libjson-c-dev liburing-dev); install with: make deps' "$T/out"
mkdir -p "$T/path"
for tool in make cc gcc sh cat git; do ln -sf "$(command -v $tool)" "$T/path/$tool"; done
mk PATH="$T/path" -- kcp/ikcp.o
check "make without pkg-config: names pkg-config" \
  grep -qx 'make: pkg-config is not installed (Debian: pkg-config); install with: make deps' "$T/out"
netns_finish
