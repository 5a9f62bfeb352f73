#!/usr/bin/env bash
# Every man page renders without a warning from man/groff (`man --warnings -l`), with its NAME section.
# usage: check-man.sh MAN_DIR   (the compressed pages the build installs)
set -euo pipefail
dir=$1
command -v man >/dev/null || { echo "FAIL: man is not installed (run scripts/bootstrap)" >&2; exit 1; }
count=0
for page in "$dir"/*.gz; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] || { echo "FAIL: $page: $warnings" >&2; exit 1; }
    LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$page" 2>/dev/null | grep -q '^NAME' \
        || { echo "FAIL: $page has no NAME section" >&2; exit 1; }
    count=$((count + 1))
done
[ "$count" -ge 2 ] || { echo "FAIL: only $count man pages in $dir" >&2; exit 1; }
echo "man: $count pages render cleanly"
