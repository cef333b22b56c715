#!/bin/bash
# A minimal Debian 12 rootfs (debootstrap --variant=minbase from the mirror
# of this machine's apt sources) with percussd's runtime libraries, for the
# tests that boot or install into it. Cached in $PERCUSSD_NSPAWN_CACHE
# (default /var/cache/percussd-nspawn), made once, one debootstrap at a
# time. Prints its path; messages go to stderr. Needs root and debootstrap.
set -uo pipefail
cache_root=${PERCUSSD_NSPAWN_CACHE:-/var/cache/percussd-nspawn}
# the runtime libraries of percussd and percussctl, and of the real drivers
include=systemd,dbus,libiio0,libgpiod2,libinih1,libsqlite3-0,libjson-c5,libsystemd0
rootfs=$cache_root/bookworm-minbase-$(printf '%s' "$include" | md5sum | cut -c1-8)

command -v debootstrap >/dev/null || { echo "debootstrap is missing: run scripts/install-deps" >&2; exit 1; }
mkdir -p "$cache_root"
exec 9>"$cache_root/lock"
flock -w 1200 9 || { echo "another run holds $cache_root/lock" >&2; exit 1; }
if [ ! -x "$rootfs/lib/systemd/systemd" ]; then
  mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /debian$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  echo "# debootstrap bookworm from $mirror into $rootfs (cached for later runs)" >&2
  rm -rf "$rootfs.tmp"
  if ! timeout 900 debootstrap --variant=minbase --include="$include" bookworm "$rootfs.tmp" "$mirror" \
       >"$cache_root/debootstrap.log" 2>&1 </dev/null; then
    tail -n 20 "$cache_root/debootstrap.log" | sed 's/^/# /' >&2
    echo "debootstrap failed; see $cache_root/debootstrap.log" >&2
    exit 1
  fi
  mv "$rootfs.tmp" "$rootfs"
fi
echo "$rootfs"
