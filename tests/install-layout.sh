#!/bin/bash
# `meson install` into a DESTDIR puts every file where a Debian package
# would, and systemd itself accepts the installed unit
# (systemd-analyze verify). Arguments: the build directory.
set -euo pipefail
build=$1
dest=$(mktemp -d /tmp/percussd-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null

option() {
  meson introspect --buildoptions "$build" |
    python3 -c "import json, sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name'] == '$1'))"
}
prefix=$(option prefix)
at() { case "$1" in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
sbindir=$(at "$(option sbindir)")
bindir=$(at "$(option bindir)")
datadir=$(at "$(option datadir)")
sysconfdir=$(at "$(option sysconfdir)")
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
sysusersdir=$(pkg-config --variable=sysusersdir systemd)

failed=0
checks=0
expect() {
  checks=$((checks + 1))
  if [ -e "$dest$1" ]; then echo "ok - $1"; else echo "not ok - $1 is missing"; failed=1; fi
}
expect "$sbindir/percussd"
expect "$bindir/percussctl"
expect "$unitdir/percussd.service"
expect "$sysusersdir/percussd.conf"
expect "$datadir/dbus-1/system.d/io.percussd.Massager1.conf"
expect "$datadir/dbus-1/interfaces/io.percussd.Massager1.xml"
expect "$sysconfdir/percussd/percussd.conf"
for p in calves quads glute-med post-run warm-up race-recovery manual; do
  expect "$datadir/percussd/profiles/$p.ini"
done
expect "$datadir/percussd/profiles/muscles.conf"
mandir=$(at "$(option mandir)")
for page in man8/percussd.8 man1/percussctl.1 man5/percussd.conf.5 man5/percussd-profile.5; do
  expect "$mandir/$page"
done

# The unit names the installed binary; verify checks that it is there, so
# it reads a copy pointing into the DESTDIR (the rest is the unit as installed).
unit="$dest/percussd.service"
sed "s|^ExecStart=$sbindir/|ExecStart=$dest$sbindir/|" "$dest$unitdir/percussd.service" >"$unit"
if out=$(MANPATH="$dest$mandir" systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
  echo "ok - systemd-analyze verify percussd.service"
else
  printf '%s\n' "$out" >&2
  echo "not ok - systemd-analyze verify percussd.service"
  failed=1
fi
echo "1..$((checks + 1))"
exit $failed
