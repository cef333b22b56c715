#!/bin/bash
# scripts/check-layers on the source tree, and on copies of it with an
# include planted against each rule of the issue: each must fail, naming
# the file, the line and the rule. TAP.
# Usage: layer-check.sh SOURCE_ROOT
set -u
src=$1
. "$src/tests/fixtures/tap.sh"
check=$src/scripts/check-layers

out=$("$check" "$src" 2>&1)
check "the source tree keeps the layers${out:+: $out}" test -z "$out"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# plant FILE INCLUDE: a copy of the tree with FILE including INCLUDE; the
# check must exit 1 and name FILE's last line and INCLUDE
plant() {
  local file=$1 include=$2 tree line out rc
  tree=$tmp/tree-$n
  mkdir -p "$tree"
  (cd "$src" && cp -r --parents common drivers daemon percussctl "$tree")
  echo "#include \"$include\"" >> "$tree/$file"
  line=$(wc -l < "$tree/$file")
  out=$("$check" "$tree" 2>&1); rc=$?
  if [ $rc -eq 1 ] && grep -q "^$file:$line: includes $include, but " <<< "$out"; then
    ok "$file including $include fails, named at line $line"
  else
    not_ok "$file including $include: exit $rc, said: $out"
  fi
}
plant daemon/manager.c daemon/bus/bus.h
plant daemon/session/session.c daemon/bus/bus.h
plant daemon/bringup/probe.c daemon/bus/bus.h
plant daemon/control/safety.c daemon/rt/handoff.h
plant daemon/control/safety.h common/log.h
plant daemon/rt/rt.c daemon/session/session.h
plant drivers/hw-gun.c daemon/control/safety.h
plant drivers/sim/sim-gun.c daemon/rt/handoff.h
plant percussctl/main.c daemon/manager.h

# an include that resolves nowhere is named too
tree=$tmp/missing
mkdir -p "$tree" && (cd "$src" && cp -r --parents common drivers daemon "$tree")
echo '#include "no/such.h"' >> "$tree/daemon/rt/rt.c"
out=$("$check" "$tree" 2>&1)
check "an include that resolves nowhere is named" grep -q '^daemon/rt/rt.c:[0-9]*: #include "no/such.h" is neither' <<< "$out"

echo "1..$n"
exit $failed
