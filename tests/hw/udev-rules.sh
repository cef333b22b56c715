#!/bin/bash
# systemd/60-percussd.rules under systemd's own udev: `udevadm test` plays
# the add and change events of an IIO device, a GPIO chip, a PWM chip
# (with a channel export) and /dev/cpu_dma_latency against a fake sysfs
# and a private /dev, in a private mount namespace so that the machine's
# /sys, /dev, /run and rules are untouched. The device nodes must come out
# as group percussd, mode 0660; the commands the rules RUN (which `udevadm
# test` prints and does not run, as udevd would) are run here and must give
# the group write access to what the daemon writes, and only that; then a
# user in the group may write those files and one outside it may not.
# Arguments: the source directory.
set -uo pipefail
src=$1
here=$(dirname "$(readlink -f "$0")")

if [ "${2:-}" != --inside ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root (a private mount namespace); CI runs it as root"
    exit 0
  fi
  command -v udevadm >/dev/null || { echo "Bail out! udevadm is missing: run scripts/install-deps"; exit 1; }
  exec unshare --mount --propagation private "$0" "$src" --inside
fi

. "$here/../fixtures/tap.sh"

work=$(mktemp -d /tmp/percussd-udev-XXXXXX)
trap 'rm -rf "$work"' EXIT
sys=$work/sys

# A sysfs device: its directory, its subsystem link and its uevent.
device() { # device DEVPATH SUBSYSTEM-DIR UEVENT
  mkdir -p "$sys$1" "$sys$2"
  ln -s "$(realpath --relative-to="$sys$1" "$sys$2")" "$sys$1/subsystem"
  printf '%b' "$3" >"$sys$1/uevent"
}
attribute() { # attribute PATH MODE
  mkdir -p "$(dirname "$sys$1")"
  : >"$sys$1"
  chmod "$2" "$sys$1"
}

iio=/devices/platform/ocp/4802a000.i2c/i2c-1/1-0068/iio:device0
device "$iio" /bus/iio 'MAJOR=244\nMINOR=0\nDEVNAME=iio:device0\nDEVTYPE=iio_device\n'
attribute "$iio/name" 0444
attribute "$iio/sampling_frequency" 0644
attribute "$iio/buffer/enable" 0644
attribute "$iio/buffer/length" 0644
attribute "$iio/scan_elements/in_accel_x_en" 0644
attribute "$iio/trigger/current_trigger" 0644
gpio=/devices/platform/soc/fe200000.gpio/gpiochip0
device "$gpio" /bus/gpio 'MAJOR=254\nMINOR=0\nDEVNAME=gpiochip0\n'
pwm=/devices/platform/soc/fe20c000.pwm/pwm/pwmchip0
device "$pwm" /class/pwm 'EXPORT=pwm1\n'
attribute "$pwm/npwm" 0444
attribute "$pwm/export" 0200
attribute "$pwm/unexport" 0200
for f in period duty_cycle enable polarity; do attribute "$pwm/pwm1/$f" 0644; done
attribute "$pwm/pwm1/capture" 0444

qos=/devices/virtual/misc/cpu_dma_latency
device "$qos" /class/misc 'MAJOR=10\nMINOR=259\nDEVNAME=cpu_dma_latency\n'
# the rules alone, a group to resolve, a /dev and /run of our own
mkdir -p "$work/rules" "$work/empty"
cp "$src/systemd/60-percussd.rules" "$work/rules/"
cp /etc/group "$work/group"
gid=$(getent group percussd | cut -d: -f3)
if [ -z "$gid" ]; then
  gid=64990
  echo "percussd:x:$gid:" >>"$work/group"
fi
mount --bind "$sys" /sys || bail "cannot bind the fake sysfs over /sys"
mount --bind "$work/rules" /etc/udev/rules.d
mount --bind "$work/empty" /usr/lib/udev/rules.d
mount --bind "$work/group" /etc/group
mount -t tmpfs tmpfs /dev
mount -t tmpfs tmpfs /run
mknod -m 0600 /dev/iio:device0 c 244 0
mknod -m 0600 /dev/gpiochip0 c 254 0
mknod -m 0600 /dev/cpu_dma_latency c 10 259

# What udevd would do for one event: the rules, the node, then the RUN
# commands. A fake sysfs is not sysfs: sd-device checks that unless told.
event() { # event ACTION DEVPATH
  local out
  out=$(SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action="$1" "/sys$2" 2>&1)
  printf '%s\n' "$out" | grep -q '60-percussd.rules' || {
    printf '%s\n' "$out" | sed 's/^/# /' >&2
    return 1
  }
  printf '%s\n' "$out" | sed -n "s/^run: '\(.*\)'\$/\1/p" | while IFS= read -r command; do
    eval "$command" || return 1
  done
}
node_is() { [ "$(stat -c '%g %a' "$1")" = "$gid 660" ]; }
group_writes() { # the file is the percussd group's and it may write it
  [ "$(stat -c %g "$sys$1")" = "$gid" ] && [ $(( 0$(stat -c %a "$sys$1") & 020 )) != 0 ]
}
untouched() { [ "$(stat -c '%g %a' "$sys$1")" = "0 $2" ]; }
member() { setpriv --reuid=65534 --regid=65534 --groups="$gid" "$@"; }
stranger() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

check "the IIO device's add event matches the rules" event add "$iio"
check "/dev/iio:device0 is group percussd, mode 0660" node_is /dev/iio:device0
for f in sampling_frequency buffer/enable buffer/length scan_elements/in_accel_x_en trigger/current_trigger; do
  check "the group may write the IIO device's $f" group_writes "$iio/$f"
done
check "the IIO device's read-only name is left alone" untouched "$iio/name" 444

check "the GPIO chip's add event matches the rules" event add "$gpio"
check "/dev/gpiochip0 is group percussd, mode 0660" node_is /dev/gpiochip0

check "the PWM chip's add event matches the rules" event add "$pwm"
check "the group may write the PWM chip's export" group_writes "$pwm/export"
check "the group may write the PWM chip's unexport" group_writes "$pwm/unexport"
check "the PWM chip's change event for the export of pwm1 matches the rules" event change "$pwm"
for f in period duty_cycle enable polarity; do
  check "the group may write pwm1/$f" group_writes "$pwm/pwm1/$f"
done
check "pwm1's read-only capture is left alone" untouched "$pwm/pwm1/capture" 444
check "the chip's read-only npwm is left alone" untouched "$pwm/npwm" 444
check "cpu_dma_latency's add event matches the rules" event add "$qos"
check "/dev/cpu_dma_latency is group percussd, mode 0660" node_is /dev/cpu_dma_latency

check "a member of percussd may write pwm1/duty_cycle" member sh -c "echo 500000 >/sys$pwm/pwm1/duty_cycle"
check "a member of percussd may write the IIO sampling_frequency" member sh -c "echo 1000 >/sys$iio/sampling_frequency"
check "a member of percussd may open /dev/gpiochip0 for writing (access)" member test -w /dev/gpiochip0
check "a user outside percussd may not write pwm1/duty_cycle" \
  stranger sh -c "! (echo 0 >/sys$pwm/pwm1/duty_cycle) 2>/dev/null"
check "a user outside percussd may not open /dev/iio:device0" stranger test ! -r /dev/iio:device0
check "a user outside percussd may not open /dev/cpu_dma_latency" stranger test ! -w /dev/cpu_dma_latency

echo "1..$n"
exit $failed
