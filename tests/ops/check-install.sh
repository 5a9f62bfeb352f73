#!/usr/bin/env bash
# The README's `cmake --install` route for the server, into a scratch prefix: the generated unit names the
# installed binary and config, `systemd-analyze verify` says nothing, the offline security exposure is at
# most 4.0, the sysusers.d entry parses, and the sample config is installed once and never overwritten.
# usage: check-install.sh BUILD_DIR
set -euo pipefail
build=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in systemd-analyze systemd-sysusers man logrotate; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (run scripts/bootstrap)"
done

prefix=$(mktemp -d /tmp/ferry-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" --component server >/dev/null

unit=$prefix/lib/systemd/system/ferry-server.service
config=$prefix/etc/ferry/ferry-server.conf
[ -x "$prefix/sbin/ferry-server" ] && [ -x "$prefix/bin/ferry-ctl" ] || fail "binaries not installed under $prefix"
[ -f "$unit" ] || fail "no unit at $unit"
[ -f "$config" ] || fail "no sample config at $config"
[ -f "$prefix/share/man/man8/ferry-server.8.gz" ] || fail "no man page ferry-server(8)"
expected="ExecStart=$prefix/sbin/ferry-server --config $config --admin-socket /run/ferry/admin.sock"
grep -qxF "$expected" "$unit" || fail "the unit does not run the installed paths: $(grep ^ExecStart "$unit")"
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"

# verify prints every finding (a missing binary, an unknown setting, a man page it cannot find).
findings=$(MANPATH="$prefix/share/man:" systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $findings"
[ -z "$findings" ] || fail "systemd-analyze verify: $findings"
security=$(systemd-analyze security --offline=yes --threshold=40 "$unit" 2>&1) \
    || fail "exposure above 4.0: $(echo "$security" | tail -n 1)"
echo "$security" | grep 'Overall exposure level'

# The audit log's rotation rule parses (--debug changes nothing) and rotates the service's audit.log.
rule=$prefix/etc/logrotate.d/ferry-server
[ -f "$rule" ] || fail "no logrotate rule at $rule"
rotation=$(logrotate --debug --state /dev/null "$rule" 2>&1) || fail "logrotate: $rotation"
case $rotation in *error*) fail "logrotate: $rotation" ;; *"/var/lib/ferry/audit.log"*) ;; *) fail "logrotate: $rotation" ;; esac

sysusers=$(systemd-sysusers --dry-run "$prefix/lib/sysusers.d/ferry-server.conf" 2>&1) || fail "sysusers.d entry: $sysusers"

# The installed config is one the server accepts: with it, start-up gets as far as the missing root.
refusal=$("$prefix/sbin/ferry-server" --config "$config" --root "$prefix/no-such-root" 2>&1 >/dev/null) && fail "started"
case $refusal in *no-such-root*) ;; *) fail "the sample config is refused: $refusal" ;; esac

echo "# edited by the operator" >>"$config"
cmake --install "$build" --prefix "$prefix" --component server >/dev/null
grep -q '^# edited by the operator$' "$config" || fail "a second install overwrote the edited config"
echo "install: ok"
