#!/usr/bin/env bash
# Fetches Debian's linux-source-6.12 (a kernel from before the TDX mirror roots) and keeps its
# arch/x86/kvm/ in a cache outside the repository, for the source linker's real-tree tests
# (test/unit/kernel/real-tree.test.ts). Kernel source is never copied into the project.
#
#   scripts/fetch-linux-source.sh [cache-dir]
#
# cache-dir defaults to $TDP_SIM_CACHE or ~/.cache/tdp-mmu-sim; the tree lands in
# <cache-dir>/linux-6.12 and its path is printed. Needs apt-get and dpkg-deb (Debian, Ubuntu);
# as root it runs `apt-get update` once if the package index does not know the package.
# Every network step has a timeout; an existing tree or .deb in the cache is reused.
set -euo pipefail

PKG=linux-source-6.12
cache=${1:-${TDP_SIM_CACHE:-$HOME/.cache/tdp-mmu-sim}}
dest=$cache/linux-6.12
say() { echo "fetch-linux-source: $*" >&2; }

if [ -f "$dest/arch/x86/kvm/mmu/tdp_mmu.c" ]; then echo "$dest"; exit 0; fi
for tool in apt-get dpkg-deb tar xz flock; do
  command -v "$tool" >/dev/null || { say "$tool not found (this needs a Debian or Ubuntu system)"; exit 1; }
done

mkdir -p "$cache"
exec 9>"$cache/.fetch.lock"
flock -w 900 9 || { say "another fetch holds $cache/.fetch.lock"; exit 1; }
if [ -f "$dest/arch/x86/kvm/mmu/tdp_mmu.c" ]; then echo "$dest"; exit 0; fi

work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
deb=$(ls "$cache"/${PKG}_*_all.deb 2>/dev/null | tail -n 1 || true)
if [ -z "$deb" ]; then
  # apt's _apt user must be able to write the download directory.
  chmod 755 "$work"
  download() { (cd "$work" && timeout 900 apt-get download -q "$PKG"); }
  if ! download; then
    if [ "$(id -u)" = 0 ]; then
      say "package index has no $PKG: running apt-get update"
      timeout 300 apt-get update -q >&2 && download || { say "apt-get download $PKG failed"; exit 1; }
    else
      say "apt-get download $PKG failed (as root this script would run apt-get update)"; exit 1
    fi
  fi
  deb=$(ls "$work"/${PKG}_*_all.deb)
  mv "$deb" "$cache/" && deb=$cache/$(basename "$deb")
fi

say "extracting arch/x86/kvm from $(basename "$deb")"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$PKG.tar.xz" | tar -xJ -C "$work" --wildcards "$PKG/arch/x86/kvm/*"
[ -f "$work/$PKG/arch/x86/kvm/mmu/tdp_mmu.c" ] || { say "$deb has no arch/x86/kvm/mmu/tdp_mmu.c"; exit 1; }
rm -rf "$dest"
mv "$work/$PKG" "$dest"
echo "$dest"
