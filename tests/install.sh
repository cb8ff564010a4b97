#!/usr/bin/env bash
# install.sh - make install and make uninstall into temporary DESTDIRs, with
# the default PREFIX (/usr/local) and another one; then a small program
# (tests/install_user.c) built only with what was installed, through
# pkg-config --cflags --libs kcp-lwip, runs: the engine round trip and the
# lwIP binding's bind in the core thread.
cd "$(dirname "$0")/.." || exit 1
. tests/lib/netns.sh   # pass / fail / check only: no namespace is made

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
MK=(make --no-print-directory -s)

# files ROOT PREFIX: every file make install must have put under ROOT/PREFIX.
files() {
  local p=$1$2
  echo "$p/bin/kcp_client $p/sbin/minimal $p/sbin/setup-tapif $p/sbin/relaunch.sh
        $p/include/kcp-lwip/ikcp.h $p/include/kcp-lwip/kcp_lwip.h
        $p/include/kcp-lwip/kcp_codec.h $p/include/kcp-lwip/kcp_crypt.h $p/include/kcp-lwip/kcp_fec.h
        $p/lib/libkcplwip.a $p/lib/pkgconfig/kcp-lwip.pc
        $p/share/man/man1/kcp_client.1 $p/share/man/man8/minimal.8
        $p/share/man/man8/setup-tapif.8 $p/share/man/man8/relaunch.sh.8"
}
all_there() { local f; for f in $(files "$1" "$2"); do [ -f "$f" ] || { echo "missing $f"; return 1; }; done; }
only_these() { [ "$(find "$1" -type f | sort)" = "$(files "$1" "$2" | xargs -n1 | sort)" ]; }

"${MK[@]}" install DESTDIR="$T/a" >"$T/log" 2>&1 || { cat "$T/log"; fail "make install (default PREFIX)"; }
check "default PREFIX: everything under /usr/local" all_there "$T/a" /usr/local
check "default PREFIX: nothing else" only_these "$T/a" /usr/local
check "programs executable" test -x "$T/a/usr/local/sbin/minimal" -a -x "$T/a/usr/local/bin/kcp_client" \
  -a -x "$T/a/usr/local/sbin/setup-tapif" -a -x "$T/a/usr/local/sbin/relaunch.sh"
v=$(./minimal --version)
check "installed minimal --version: 'minimal (kcp-lwip) VERSION'" \
  bash -c "[ \"\$('$T/a/usr/local/sbin/minimal' --version)\" = '$v' ] && grep -qE '^minimal \\(kcp-lwip\\) [^ ]+$' <<<'$v'"
check "installed kcp_client --version: same version" \
  bash -c "[ \"\$('$T/a/usr/local/bin/kcp_client' --version)\" = 'kcp_client ${v#minimal }' ]"
check "man pages: kcp_client(1), minimal(8), setup-tapif(8), relaunch.sh(8), with the options" \
  bash -c "grep -q '^\\.TH KCP_CLIENT \"1\"' '$T/a/usr/local/share/man/man1/kcp_client.1' &&
           grep -q '^\\.TH MINIMAL \"8\"' '$T/a/usr/local/share/man/man8/minimal.8' &&
           grep -q '^\\.TH SETUP-TAPIF \"8\"' '$T/a/usr/local/share/man/man8/setup-tapif.8' &&
           grep -q '^\\.TH RELAUNCH.SH \"8\"' '$T/a/usr/local/share/man/man8/relaunch.sh.8' &&
           grep -q 'kcp\\\\-port' '$T/a/usr/local/share/man/man8/minimal.8' &&
           grep -q 'down' '$T/a/usr/local/share/man/man8/setup-tapif.8'"
check "man pages render without warnings" \
  bash -c "for m in '$T'/a/usr/local/share/man/man*/*; do
             [ -z \"\$(MANWIDTH=80 man --warnings -l \"\$m\" 2>&1 >/dev/null)\" ] || exit 1; done"
"${MK[@]}" uninstall DESTDIR="$T/a" >"$T/log" 2>&1
check "make uninstall: exit 0, no file left" \
  bash -c "[ $? -eq 0 ] && [ -z \"\$(find '$T/a' -type f)\" ]"

# Another PREFIX; the user's program sees only the DESTDIR tree and lwIP.
"${MK[@]}" install DESTDIR="$T/b" PREFIX=/opt/kcp >"$T/log" 2>&1 || { cat "$T/log"; fail "make install PREFIX=/opt/kcp"; }
check "PREFIX=/opt/kcp: everything under it, nothing else" \
  bash -c "$(declare -f files all_there only_these); all_there '$T/b' /opt/kcp && only_these '$T/b' /opt/kcp"
PC=$T/b/opt/kcp/lib/pkgconfig/kcp-lwip.pc
check "kcp-lwip.pc: prefix, Requires: lwip and the codec's libraries, -lkcplwip" \
  bash -c "grep -qx 'prefix=/opt/kcp' '$PC' && grep -qx 'Requires: lwip libgcrypt libsodium libisal' '$PC' && grep -q -- '-lkcplwip' '$PC'"
"${MK[@]}" uninstall DESTDIR="$T/b" PREFIX=/opt/kcp >/dev/null 2>&1
check "make uninstall PREFIX=/opt/kcp: no file left" bash -c "[ -z \"\$(find '$T/b' -type f)\" ]"

# A real install into a scratch PREFIX (no DESTDIR), so that its pkg-config
# file is used as installed; the user's program sees only that tree and lwIP.
"${MK[@]}" install PREFIX="$T/c" >"$T/log" 2>&1 || { cat "$T/log"; fail "make install PREFIX=$T/c"; }
pc() { PKG_CONFIG_PATH="$T/c/lib/pkgconfig" pkg-config "$@" kcp-lwip; }
check "pkg-config --modversion kcp-lwip is the programs' version" [ "$(pc --modversion)" = "${v#minimal (kcp-lwip) }" ]
# shellcheck disable=SC2046
if cc -Wall -Wextra -Werror -o "$T/user" tests/install_user.c $(pc --cflags --libs) 2>"$T/cc"; then
  pass "a program builds with pkg-config --cflags --libs kcp-lwip alone"
else
  cat "$T/cc"; fail "a program builds with pkg-config --cflags --libs kcp-lwip alone"
fi
check "that program uses the engine and the binding" bash -c "'$T/user' | grep -qx 'install_user: ok'"
"$T/c/sbin/relaunch.sh" -- --no-such-option >"$T/relaunch" 2>&1
check "installed relaunch.sh supervises the installed minimal (a bad option: exit 2, not retried)" \
  bash -c "[ $? -eq 2 ] && grep -q 'started $T/c/sbin/minimal ' '$T/relaunch'"
"${MK[@]}" uninstall PREFIX="$T/c" >/dev/null 2>&1
check "make uninstall PREFIX=$T/c: no file left" bash -c "[ -z \"\$(find '$T/c' -type f)\" ]"
netns_finish
