#!/usr/bin/env bash
# Packs a built itgc binary into the release asset the GitHub Action installs:
#
#   release/package.sh BINARY TARGET OUTDIR
#
# writes OUTDIR/itgc-TARGET.tar.gz (the `itgc` binary at the top level, then README.md) and
# OUTDIR/itgc-TARGET.tar.gz.sha256 in `sha256sum` format, which `action.yml` checks with
# `sha256sum --check --strict` before it extracts anything. TARGET is a Rust target triple
# whose first part is what `uname -m` prints on that machine (x86_64-unknown-linux-gnu,
# aarch64-unknown-linux-gnu): the action picks its asset by `uname -m`.
#
# The archive is reproducible: entries sorted, owner 0, a fixed time, gzip without a name or
# time stamp, so the same binary always gives the same digest.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: release/package.sh BINARY TARGET OUTDIR" >&2
    exit 2
fi
binary=$1
target=$2
out=$3
root=$(cd "$(dirname "$0")/.." && pwd)

case "$target" in
    *[!A-Za-z0-9_.-]* | "" | -*) echo "package.sh: not a target triple: $target" >&2; exit 2 ;;
esac
if [ ! -x "$binary" ] || [ -d "$binary" ]; then
    echo "package.sh: $binary is not an executable file" >&2
    exit 2
fi

asset="itgc-$target.tar.gz"
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$binary" "$stage/itgc"
install -m 0644 "$root/README.md" "$stage/README.md"

# Written beside the final name and renamed, so a failed run leaves no half asset behind.
tar --create --directory "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    itgc README.md | gzip -n > "$out/.$asset.partial"
mv "$out/.$asset.partial" "$out/$asset"
(cd "$out" && sha256sum "$asset" > ".$asset.sha256.partial" && mv ".$asset.sha256.partial" "$asset.sha256")
echo "$out/$asset"
