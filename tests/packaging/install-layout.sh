#!/bin/bash
# `meson install` into a DESTDIR puts every file where a Debian package
# would, and systemd itself accepts the installed unit
# (systemd-analyze verify) and rates its sandbox at an exposure of 2.0 or
# less (systemd-analyze security --offline). Arguments: the build directory.
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
libdir=$(at "$(option libdir)")
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
expect "$libdir/percussd/percussd-iio.so"
expect "$unitdir/percussd.service"
expect "$sysusersdir/percussd.conf"
expect "/lib/udev/rules.d/60-percussd.rules"
expect "$datadir/dbus-1/system.d/io.percussd.Massager1.conf"
expect "$datadir/dbus-1/interfaces/io.percussd.Massager1.xml"
expect "$sysconfdir/percussd/percussd.conf"
# percussd-ble, the Bluetooth LE bridge
expect "$sbindir/percussd-ble"
expect "$unitdir/percussd-ble.service"
expect "$sysusersdir/percussd-ble.conf"
expect "$datadir/dbus-1/system.d/io.percussd.Ble1.conf"
expect "$sysconfdir/percussd/percussd-ble.conf"
for p in calves quads glute-med post-run warm-up race-recovery manual; do
  expect "$datadir/percussd/profiles/$p.ini"
done
expect "$datadir/percussd/profiles/muscles.conf"
for board in raspberry-pi beaglebone-black; do
  expect "$datadir/percussd/boards/$board.conf"
done
mandir=$(at "$(option mandir)")
for page in man8/percussd.8 man8/percussd-ble.8 man1/percussctl.1 man5/percussd.conf.5 man5/percussd-profile.5; do
  expect "$mandir/$page"
done

# libiio (and libxml2, ICU, libstdc++… behind it) comes only with the IIO
# drivers' module, which percussd opens for a configuration naming one.
checks=$((checks + 1))
if readelf -d "$dest$libdir/percussd/percussd-iio.so" | grep -q 'NEEDED.*libiio' &&
   ! readelf -d "$dest$sbindir/percussd" | grep -q 'NEEDED.*libiio'; then
  echo "ok - the IIO module links libiio, percussd does not"
else
  echo "not ok - percussd links libiio, or the IIO module does not"; failed=1
fi

# The installed configurations list every key, each commented out with its default.
for name in percussd.conf percussd-ble.conf; do
  conf="$dest$sysconfdir/percussd/$name"
  checks=$((checks + 1))
  if grep -q '^#[A-Z][A-Za-z]*=' "$conf" && ! grep -q '^[A-Z][A-Za-z]*=' "$conf"; then
    echo "ok - $name: every key commented out with its default"
  else
    echo "not ok - $name sets a key or shows none"; failed=1
  fi
done

# The unit names the installed binary; verify checks that it is there, so
# it reads a copy pointing into the DESTDIR (the rest is the unit as installed).
unit="$dest/percussd.service"
sed "s|^\(Exec[A-Za-z]*=\)$sbindir/|\1$dest$sbindir/|" "$dest$unitdir/percussd.service" >"$unit"
if out=$(MANPATH="$dest$mandir" systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
  echo "ok - systemd-analyze verify percussd.service"
else
  printf '%s\n' "$out" >&2
  echo "not ok - systemd-analyze verify percussd.service"
  failed=1
fi

# Exposure as systemd-hostnamed's 1.5 or systemd-timesyncd's 2.3 on Debian 12:
# at most 2.0, with real time and the devices still allowed.
checks=$((checks + 1))
report=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1) || true
exposure=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for percussd.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
  echo "ok - systemd-analyze security: exposure $exposure (bar 2.0)"
else
  printf '%s\n' "$report" >&2
  echo "not ok - systemd-analyze security: exposure ${exposure:-unknown} is above 2.0"
  failed=1
fi

# The unit keeps what the daemon needs: real time, its devices, its directories.
for line in Type=notify WatchdogSec= Restart=on-failure ExecStopPost= LimitRTPRIO= LimitMEMLOCK= \
            StateDirectory=percussd ConfigurationDirectory=percussd User=percussd DevicePolicy=closed \
            "DeviceAllow=char-iio rw" "DeviceAllow=char-gpiochip rw" ProtectSystem=strict; do
  checks=$((checks + 1))
  if grep -q "^$line" "$unit"; then echo "ok - unit: $line"; else echo "not ok - unit lacks $line"; failed=1; fi
done
# The bridge's unit: verify, an exposure of 2.0 at most, what it needs.
ble_unit="$dest/percussd-ble.service"
sed "s|^\(Exec[A-Za-z]*=\)$sbindir/|\1$dest$sbindir/|" "$dest$unitdir/percussd-ble.service" >"$ble_unit"
checks=$((checks + 1))
if out=$(MANPATH="$dest$mandir" systemd-analyze verify "$ble_unit" 2>&1) && [ -z "$out" ]; then
  echo "ok - systemd-analyze verify percussd-ble.service"
else
  printf '%s\n' "$out" >&2
  echo "not ok - systemd-analyze verify percussd-ble.service"
  failed=1
fi
checks=$((checks + 1))
report=$(systemd-analyze security --offline=yes --no-pager "$ble_unit" 2>&1) || true
exposure=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for percussd-ble.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
  echo "ok - systemd-analyze security percussd-ble.service: exposure $exposure (bar 2.0)"
else
  printf '%s\n' "$report" >&2
  echo "not ok - systemd-analyze security percussd-ble.service: exposure ${exposure:-unknown} is above 2.0"
  failed=1
fi
for line in Type=notify WatchdogSec= Restart=on-failure User=percussd-ble SupplementaryGroups=percussd \
            After=bluetooth.service BusName=io.percussd.Ble1; do
  checks=$((checks + 1))
  if grep -q "^$line" "$ble_unit"; then echo "ok - percussd-ble unit: $line"; else echo "not ok - percussd-ble unit lacks $line"; failed=1; fi
done
echo "1..$((checks + 1))"
exit $failed
