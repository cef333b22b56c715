#!/bin/sh
# SPDX-License-Identifier: MIT
#
# idle-wakeups: how often percussd --simulate wakes up while idle with a
# battery (the simulated pack), per thread, from the context switches the
# kernel counts (/proc/PID/task/*/status: voluntary + involuntary), over
# SECONDS each (threads named comm-tid; the first is the main thread): idle off the charger, idle on the charger, idle off it
# again (the pack at 50 % from the second). Bar (issue 11): none from the daemon beyond the systemd watchdog,
# which is not armed here (no WATCHDOG_USEC outside systemd): its beat (daemon/watchdog.h) goes on at
# 2.5-3.75 s for the looks at the resting crank, each a wake-up of the main thread (and a preemption by
# the control thread it wakes) and a few control periods (5 at 1 kHz). WATCHDOG_USEC=5000000 in the
# environment measures it as systemd runs it: the same beat, with the keep-alives.
#
# Usage: tests/bench/idle-wakeups.sh [BUILD_DIR] [SECONDS]
# Example: tests/bench/idle-wakeups.sh build 60
set -eu
build=${1:-build}
seconds=${2:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/percussd-idle-XXXXXX)
trap 'kill $daemon $bus 2>/dev/null || true; wait 2>/dev/null; rm -rf "$dir"' EXIT

dbus-daemon --session --nofork --address="unix:path=$dir/bus" --print-address=3 3>"$dir/address" &
bus=$!
sleep 0.5
: >"$dir/none.conf"
"$build/daemon/percussd" --simulate --bus-address "unix:path=$dir/bus" \
        --profiles-dir "$src/profiles" --state-dir "$dir" --config "$dir/none.conf" 2>"$dir/log" &
daemon=$!
sleep 2

switches() {
        for t in /proc/$daemon/task/*; do
                printf '%s-%s ' "$(cat "$t/comm")" "${t##*/}"
                awk '/ctxt_switches/ { n += $2 } END { print n }' "$t/status"
        done | sort
}

measure() {
        switches >"$dir/before"
        sleep "$seconds"
        switches >"$dir/after"
        printf '%s, %s s:' "$1" "$seconds"
        join "$dir/before" "$dir/after" | awk -v s="$seconds" \
                '{ printf " %s %.1f/min;", $1, ($3 - $2) * 60 / s }'
        echo
}

sim() {
        busctl --address="unix:path=$dir/bus" call io.percussd.Massager1 /io/percussd/Simulator1 \
                io.percussd.Simulator1 "$@"
}

measure "idle, off the charger"
# a full pack does not charge: half full, so that the charger charges
sim SetBattery d 50
sim SetCharger b true
measure "idle, on the charger"
sim SetCharger b false
measure "idle, off the charger again"
