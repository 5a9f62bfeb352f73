#!/usr/bin/env bash
# Both desktop entries pass Debian 12's desktop-file-validate with no error, warning or hint.
# usage: check-desktop.sh RESOURCES_DIR
set -euo pipefail
command -v desktop-file-validate >/dev/null \
    || { echo "FAIL: desktop-file-validate is not installed (desktop-file-utils; run scripts/bootstrap)" >&2; exit 1; }
for entry in "$1"/org.ferry.Downloader.desktop "$1"/org.ferry.Admin.desktop; do
    findings=$(desktop-file-validate "$entry" 2>&1) || { echo "FAIL: $findings" >&2; exit 1; }
    [ -z "$findings" ] || { echo "FAIL: $findings" >&2; exit 1; }
done
echo "desktop entries: clean"
