"""harness.py — what every parity test shares: ROOT and the tools/torch
reference models on sys.path, dump_tool() for the path of a build/tests/
helper (BUILD overrides build/), and the tally: check() records a pass or
prints "FAIL what", summary() prints the "N passed, N failed" line
tests/run.sh reads and returns the exit status."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "torch"))


def dump_tool(name):
    return os.path.join(ROOT, os.environ.get("BUILD", "build"), "tests", name)

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


def run_all(dump, configs, run):
    """Runs run(*cfg) for every config once the dump tool exists; the exit status."""
    if not os.path.exists(dump):
        print(f"missing {dump}: run make first")
        print("0 passed, 1 failed")
        return 1
    for cfg in configs:
        run(*cfg)
    return summary()
