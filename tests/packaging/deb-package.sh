#!/bin/bash
# The Debian packages: dpkg-buildpackage builds percussd, percussctl and
# percussd-ble
# from a copy of the source tree, lintian finds no error in them, every
# file `meson install` puts down (debian/tmp, prefix /usr) is in one of
# them at the same place, and `dpkg -i` in a throw-away overlay of a
# minimal Debian 12 (tests/packaging/nspawn-rootfs.sh) installs them, the files
# where meson install puts them and the percussd user and group made by
# the postinst's systemd-sysusers. TAP on stdout.
# Arguments: the source directory. Needs root (chroot, mount).
set -uo pipefail
src=$1
. "$src/tests/fixtures/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "1..0 # SKIP needs root (debootstrap, mount, chroot); CI runs it as root"
  exit 77
fi
for tool in dpkg-buildpackage dh lintian; do
  command -v "$tool" >/dev/null || bail "$tool is missing: run scripts/install-deps"
done
rootfs=$("$src/tests/packaging/nspawn-rootfs.sh") || bail "no Debian 12 rootfs to install into"

work=$(mktemp -d /var/tmp/percussd-deb-XXXXXX)
root=$work/root
cleanup() {
  mountpoint -q "$root" && umount "$root"
  rm -rf "$work"
}
trap cleanup EXIT

# -- build ----------------------------------------------------------------------
mkdir -p "$work/percussd"
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - . |
  tar -C "$work/percussd" -xf - || bail "copying $src failed"
# the unit tests ran in the suite already; the package build need not
if (cd "$work/percussd" && DEB_BUILD_OPTIONS=nocheck timeout 900 dpkg-buildpackage -us -uc -b) \
     >"$work/build.log" 2>&1; then
  ok "dpkg-buildpackage builds percussd, percussctl and percussd-ble"
else
  tail -n 30 "$work/build.log" | sed 's/^/# /'
  bail "dpkg-buildpackage failed"
fi
debs=("$work"/percussd_*.deb "$work"/percussctl_*.deb "$work"/percussd-ble_*.deb)
[ -f "${debs[0]}" ] && [ -f "${debs[1]}" ] && [ -f "${debs[2]}" ] ||
  bail "no percussd, percussctl and percussd-ble .deb in $work"

lintian --fail-on error "$work"/percussd_*.changes >"$work/lintian.log" 2>&1
status=$?
sed 's/^/# /' "$work/lintian.log"
[ $status -eq 0 ] && ok "lintian: no errors" || not_ok "lintian: errors (above)"

# -- the files ------------------------------------------------------------------
(cd "$work/percussd/debian/tmp" && find . ! -type d | sed 's|^\.||' | sort) >"$work/meson.list"
for deb in "${debs[@]}"; do
  dpkg-deb -c "$deb" | awk '{ print $6 }'
done | sed -e 's|^\./|/|' -e '/\/$/d' -e '\|^/usr/share/doc/|d' \
           -e 's|^\(/usr/share/man/.*\)\.gz$|\1|' | sort >"$work/deb.list"
if diff -u "$work/meson.list" "$work/deb.list" >"$work/diff"; then
  ok "the packages hold every file meson installs ($(wc -l <"$work/meson.list")), where it installs it"
else
  sed 's/^/# /' "$work/diff"
  not_ok "the packages and meson install differ (above)"
fi

# -- install --------------------------------------------------------------------
mkdir -p "$root" "$work/upper" "$work/overlay-work"
if ! mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$work/upper,workdir=$work/overlay-work" "$root" 2>/dev/null; then
  echo "# no overlayfs here: copying the rootfs"
  cp -a "$rootfs/." "$root/" || bail "copying $rootfs failed"
fi
mkdir -p "$root/debs"
cp "${debs[@]}" "$root/debs/"
if timeout 300 chroot "$root" sh -c 'dpkg -i /debs/*.deb' >"$work/install.log" 2>&1; then
  ok "dpkg -i installs the three packages"
else
  sed 's/^/# /' "$work/install.log"
  not_ok "dpkg -i failed (above)"
fi
# (man pages gzipped, as dh_compress leaves them)
missing=$(while read -r f; do [ -e "$root$f" ] || [ -e "$root$f.gz" ] || echo "$f"; done <"$work/meson.list")
[ -z "$missing" ] && ok "every file is where meson install puts it" ||
  not_ok "missing after dpkg -i: $(echo $missing)"
getent_in_root() { chroot "$root" getent "$@" >/dev/null; }
check "the postinst made the percussd user" getent_in_root passwd percussd
check "and its group" getent_in_root group percussd
check "the unit is enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/percussd.service"
check "/etc/percussd/percussd.conf is a conffile" \
  sh -c "chroot '$root' dpkg-query -W -f='\${Conffiles}' percussd | grep -q /etc/percussd/percussd.conf"
check "the percussd-ble postinst made its user" getent_in_root passwd percussd-ble
check "in the percussd group" sh -c "chroot '$root' id -nG percussd-ble | grep -qw percussd"
check "the percussd-ble unit is enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/percussd-ble.service"
check "/etc/percussd/percussd-ble.conf is a conffile" \
  sh -c "chroot '$root' dpkg-query -W -f='\${Conffiles}' percussd-ble | grep -q /etc/percussd/percussd-ble.conf"

echo "1..$n"
exit $failed
