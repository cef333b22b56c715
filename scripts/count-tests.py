#!/usr/bin/env python3
"""Counts test cases from meson's JSON test logs and prints
"N passed, N failed". Check suites speak TAP, so each case counts; a
program that failed without reporting a failed case (crash, time-out,
sanitizer abort) counts as one failure; a program without TAP counts as
one case."""
import json
import re
import sys

passed = failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as log:
            records = [json.loads(line) for line in log if line.strip()]
    except OSError as e:
        print(f"{path}: {e.strerror}: the suite did not run", file=sys.stderr)
        failed += 1
        continue
    for record in records:
        out = record.get("stdout") or ""
        ok = len(re.findall(r"^ok \d+", out, re.M))
        not_ok = len(re.findall(r"^not ok \d+", out, re.M))
        passed += ok
        failed += not_ok
        if record["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and not_ok == 0:
            print(f"{path}: {record['name']}: {record['result']}", file=sys.stderr)
            failed += 1
        elif ok + not_ok == 0 and record["result"] == "OK":
            passed += 1

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
