#!/usr/bin/env bash
# The Debian packages from this build (cpack): lintian finds no error and no warning; ferry-server depends
# on no Qt library; each package holds what it should, with the unit's paths for /usr and the config as a
# conffile; the server's maintainer scripts are the ones in resources/debian.
# usage: check-packages.sh BUILD_DIR [OUT_DIR]   (OUT_DIR keeps the .deb files; default: a scratch dir)
set -euo pipefail
build=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg-deb dpkg-shlibdeps lintian; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (run scripts/bootstrap)"
done
out=${2:-}
if [ -z "$out" ]; then
    out=$(mktemp -d /tmp/ferry-packages.XXXXXX)
    trap 'rm -rf "$out"' EXIT
fi

(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log" >&2; fail "cpack"; }
server=$(ls "$out"/ferry-server_*.deb) || fail "no ferry-server package"

depends=$(dpkg-deb -f "$server" Depends)
case $depends in *libc6*) ;; *) fail "ferry-server Depends lacks libc6: $depends" ;; esac
case $depends in procps,*|*" procps,"*|*" procps") ;; *) fail "ferry-server Depends lacks procps (/bin/kill for ExecReload): $depends" ;; esac
if echo "$depends" | grep -qi 'qt'; then fail "ferry-server depends on Qt: $depends"; fi

contents=$(dpkg-deb -c "$server" | awk '{print $6}')
for path in ./usr/sbin/ferry-server ./usr/bin/ferry-ctl ./lib/systemd/system/ferry-server.service \
        ./usr/lib/sysusers.d/ferry-server.conf ./etc/ferry/ferry-server.conf ./etc/logrotate.d/ferry-server \
        ./usr/share/man/man8/ferry-server.8.gz ./usr/share/man/man1/ferry-ctl.1.gz \
        ./usr/share/doc/ferry-server/copyright ./usr/share/doc/ferry-server/changelog.gz; do
    echo "$contents" | grep -qxF "$path" || fail "ferry-server lacks $path"
done
unit=$(dpkg-deb --fsys-tarfile "$server" | tar -xO ./lib/systemd/system/ferry-server.service)
echo "$unit" | grep -qxF 'ExecStart=/usr/sbin/ferry-server --config /etc/ferry/ferry-server.conf --admin-socket /run/ferry/admin.sock' \
    || fail "the packaged unit has the wrong paths: $(echo "$unit" | grep ^ExecStart)"
control=$(mktemp -d)
dpkg-deb -e "$server" "$control"
grep -qxF /etc/ferry/ferry-server.conf "$control/conffiles" || fail "the config is not a conffile"
grep -qxF /etc/logrotate.d/ferry-server "$control/conffiles" || fail "the logrotate rule is not a conffile"
cmp -s "$control/postinst" "$(dirname "$0")/../../resources/debian/ferry-server.postinst" || fail "postinst differs"
rm -rf "$control"

for package in "$out"/ferry-client_*.deb "$out"/ferry-admin_*.deb; do
    [ -f "$package" ] || continue # a build without the GUI makes the server package only
    case $(basename "$package") in
    ferry-client_*) wanted="./usr/bin/ferry-client ./usr/bin/ferry-get ./usr/share/applications/org.ferry.Downloader.desktop ./usr/share/mime/packages/org.ferry.Downloader.xml ./usr/share/icons/hicolor/48x48/apps/org.ferry.Downloader.png ./usr/share/man/man1/ferry-get.1.gz" ;;
    *) wanted="./usr/bin/ferry-admin ./usr/share/applications/org.ferry.Admin.desktop ./usr/share/man/man1/ferry-admin.1.gz" ;;
    esac
    files=$(dpkg-deb -c "$package" | awk '{print $6}')
    for path in $wanted; do
        echo "$files" | grep -qxF "$path" || fail "$(basename "$package") lacks $path"
    done
done

# A warning fails the test as an error does; info tags are shown too.
lintian --fail-on error,warning --display-info --tag-display-limit 0 "$out"/*.deb || fail "lintian"
ls "$out"/*.deb
echo "packages: ok"
