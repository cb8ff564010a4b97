#!/usr/bin/env bash
# setup_tapif.sh - scripts/setup-tapif: help, bad options (exit 2, one error
# and one hint, nothing changed), the success line, idempotence, and --down
# removing only what setup-tapif created: a namespace the user made, other
# interfaces in it and a tap someone else made all survive.
#
# Every call has --netns with a namespace this test names uniquely; all of
# them are deleted on exit, and the host's own interfaces are never touched.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh
[ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 needs root for ip netns"; exit 1; }

T=$(mktemp -d)
P="kcplwip-stif-$$-$RANDOM"
cleanup() {
  local n
  for n in "$P-a" "$P-b" "$P-c" "$P-d"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

S=scripts/setup-tapif
# st ARGS...: run setup-tapif; stdout in $T/out, stderr in $T/err, status in $RC.
st() { "$S" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
ns_exists() { [ -e "/run/netns/$1" ]; }
has_link() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }
export -f ns_exists has_link

st --help
check "--help: exit 0, usage on stdout with the defaults" \
  bash -c "[ $RC -eq 0 ] && [ ! -s '$T/err' ] && grep -q '^Usage: setup-tapif' '$T/out' &&
           grep -q '192.168.0.1/24' '$T/out' && grep -q 'tap0' '$T/out' && grep -q -- '--down' '$T/out'"

# bad NAME PATTERN ARGS...: exit 2, the error and one hint line, no namespace made.
bad_ok() {
  [ "$RC" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 2 ] && head -n1 "$T/err" | grep -q -- "$1" &&
    grep -q "^Try 'setup-tapif --help'" "$T/err" && ! ns_exists "$P-a"
}
bad() {
  local name=$1 pat=$2
  shift 2
  st "$@"
  check "$name: exit 2, error and hint, nothing made" bad_ok "$pat"
}
bad "unknown option" "^setup-tapif: unknown option '--bogus'" --netns "$P-a" --bogus
bad "--tap without value" "^setup-tapif: option '--tap' needs a value" --netns "$P-a" --tap
bad "--tap ''" "^setup-tapif: option '--tap' needs a value" --netns "$P-a" --tap ""
bad "--tap too long" "^setup-tapif: invalid --tap" --netns "$P-a" --tap abcdefghijklmnopq
bad "stray argument" "^setup-tapif: unexpected argument 'tap0'" --netns "$P-a" tap0
bad "--user unknown" "^setup-tapif: invalid --user 'no-such-user-kcp'" --netns "$P-a" --user no-such-user-kcp
bad "--addr not CIDR" "^setup-tapif: invalid --addr" --netns "$P-a" --addr 192.168.0.1

# A namespace setup-tapif makes, used twice, then removed whole.
st --netns "$P-a"
check "new netns: exit 0 and one success line" \
  bash -c "[ $RC -eq 0 ] && [ ! -s '$T/err' ] && grep -qx 'setup-tapif: tap0 up in netns $P-a, 192.168.0.1/24, owner root' '$T/out'"
check "new netns: tap0 is a tap with 192.168.0.1/24, up" \
  bash -c "ip -n '$P-a' -d link show dev tap0 | grep -q 'tun type tap' &&
           ip -n '$P-a' -o addr show dev tap0 | grep -q 'inet 192.168.0.1/24' &&
           ip -n '$P-a' link show dev tap0 | grep -q ',UP'"
st --netns "$P-a"
check "again: exit 0, still one tap0 and one address" \
  bash -c "[ $RC -eq 0 ] && [ \$(ip -n '$P-a' -o link show | grep -c ': tap0:') -eq 1 ] &&
           [ \$(ip -n '$P-a' -o -4 addr show dev tap0 | wc -l) -eq 1 ]"
st --netns "$P-a" --user nobody
check "--user on an existing tap of another owner: exit 1, says why" \
  bash -c "[ $RC -eq 1 ] && grep -q 'exists, owned by uid 0; --user nobody cannot change that' '$T/err'"
st --netns "$P-a" --down
check "--down: removes the tap and the namespace it made" \
  bash -c "[ $RC -eq 0 ] && grep -qx 'setup-tapif: removed tap0 in netns $P-a' '$T/out' &&
           grep -qx 'setup-tapif: removed netns $P-a' '$T/out' && ! [ -e /run/netns/$P-a ]"
st --netns "$P-a" --down
check "--down again: exit 1, nothing there" bash -c "[ $RC -eq 1 ] && grep -q \"no network namespace '$P-a'\" '$T/err'"

# The user's own namespace, with a tap of the user's own in it.
ip netns add "$P-b"
ip netns exec "$P-b" ip tuntap add dev mine0 mode tap
st --netns "$P-b" --tap tap0 --user nobody
check "user's netns: tap owned by --user" \
  bash -c "[ $RC -eq 0 ] && [ \$(ip netns exec '$P-b' cat /sys/class/net/tap0/owner) -eq \$(id -u nobody) ] &&
           grep -q 'owner nobody' '$T/out'"
st --netns "$P-b" --down
check "--down in the user's netns: tap0 removed, netns and mine0 kept" \
  bash -c "[ $RC -eq 0 ] && ns_exists '$P-b' && has_link '$P-b' mine0 && ! has_link '$P-b' tap0 &&
           grep -q 'kept netns $P-b (not created by setup-tapif)' '$T/out'"
st --netns "$P-b" --tap mine0 --down
check "--down on a tap setup-tapif did not make: exit 1, tap kept" \
  bash -c "[ $RC -eq 1 ] && has_link '$P-b' mine0 && grep -q 'was not created by setup-tapif' '$T/err'"

# A namespace setup-tapif made, where someone added another interface.
st --netns "$P-c"
ip netns exec "$P-c" ip tuntap add dev other0 mode tap
st --netns "$P-c" --down
check "--down: a namespace it made that holds other interfaces is kept" \
  bash -c "[ $RC -eq 0 ] && ns_exists '$P-c' && has_link '$P-c' other0 && ! has_link '$P-c' tap0 &&
           grep -q 'kept netns $P-c: it holds other interfaces: other0' '$T/out'"

# A namespace of the same name made again by someone else is not "ours".
st --netns "$P-d"
ip netns del "$P-d"
ip netns add "$P-d"
ip netns exec "$P-d" ip tuntap add dev tap0 mode tap
ip -n "$P-d" link set dev tap0 alias kcp-lwip-setup-tapif
st --netns "$P-d" --down
check "--down: a namespace recreated by someone else under that name is kept" \
  bash -c "[ $RC -eq 0 ] && ns_exists '$P-d' && grep -q 'kept netns $P-d (not created' '$T/out'"

# Sourced: exports PRECONFIGURED_TAPIF and does not exit the caller.
check "sourced: exports PRECONFIGURED_TAPIF, caller goes on" \
  bash -c ". '$S' --netns '$P-c' --tap tap7 >/dev/null && [ \"\$PRECONFIGURED_TAPIF\" = tap7 ] &&
           { . '$S' --netns '$P-c' --bogus 2>/dev/null; [ \$? -eq 2 ]; }"
netns_finish
