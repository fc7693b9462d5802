"""harness.py — the tally every parity test keeps: check() records a pass or
prints "FAIL what", summary() prints the "N passed, N failed" line tests/run.sh
reads and returns the exit status."""

tally = {"passed": 0, "failed": 0}


def check(ok, what):
    if ok:
        tally["passed"] += 1
    else:
        tally["failed"] += 1
        print(f"FAIL {what}")
    return ok


def summary():
    print(f"{tally['passed']} passed, {tally['failed']} failed")
    return 1 if tally["failed"] else 0
