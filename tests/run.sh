#!/bin/sh
# run.sh BUILD [SUITE...] — run the test suites and add up their summary lines.
# Suites: unit (C binaries), script (command language), parity (PyTorch), tui (tmux).
# Each suite prints lines ending in "N passed, N failed"; this script sums them
# and prints the total as its last line, exiting 1 if anything failed.
BUILD=${1:-build}; shift
SUITES=${*:-"unit script parity tui"}
export BLOCKLAB="$(pwd)/blocklab" BUILD PYTHON="${PYTHON:-/usr/bin/python3}"
total_pass=0; total_fail=0
log=$(mktemp); trap 'rm -f "$log"' EXIT
tally() {  # tally NAME: run "$@" after NAME, read its last summary line
    name=$1; shift
    printf '== %s\n' "$name"
    "$@" >"$log" 2>&1; rc=$?
    cat "$log"
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "!! $name printed no summary (exit $rc)"; total_fail=$((total_fail + 1)); return
    fi
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        echo "!! $name exited $rc"; total_fail=$((total_fail + 1))
    fi
}
for s in $SUITES; do
    case $s in
    unit)   for t in "$BUILD"/tests/test_*; do [ -x "$t" ] && tally "unit $(basename "$t")" "$t"; done ;;
    script) for t in tests/script/*.sh; do [ -f "$t" ] && tally "script $(basename "$t")" sh "$t"; done ;;
    parity) for t in tests/parity/test_*.py; do [ -f "$t" ] && tally "parity $(basename "$t")" "$PYTHON" "$t"; done ;;
    tui)    for t in tests/tui/*.sh; do [ -f "$t" ] && tally "tui $(basename "$t")" sh "$t"; done ;;
    esac
done
echo "TOTAL: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
