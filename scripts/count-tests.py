#!/usr/bin/env python3
"""Counts test cases from meson's JSON test logs and prints
"N passed, N failed". Check suites speak TAP, so each case counts; a
program that failed without reporting a failed case (crash, time-out,
sanitizer abort) counts as one failure; a program without TAP counts as
one case. Every failure is named just above the summary, because CI
keeps only the output's last lines."""
import json
import re
import sys

passed = failed = 0
failures = []
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as log:
            records = [json.loads(line) for line in log if line.strip()]
    except OSError as e:
        failures.append(f"{path}: {e.strerror}: the suite did not run")
        failed += 1
        continue
    for record in records:
        out = record.get("stdout") or ""
        ok = len(re.findall(r"^ok \d+", out, re.M))
        not_ok = len(re.findall(r"^not ok \d+", out, re.M))
        passed += ok
        failed += not_ok
        for case in re.findall(r"^not ok \d+ (.*)$", out, re.M):
            failures.append(f"{path}: {record['name']}: not ok {case}")
        if record["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and not_ok == 0:
            failures.append(f"{path}: {record['name']}: {record['result']}")
            failed += 1
        elif ok + not_ok == 0 and record["result"] == "OK":
            passed += 1

for failure in failures:
    print(f"FAILED {failure}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
