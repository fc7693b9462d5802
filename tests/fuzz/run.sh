#!/bin/sh
# run.sh BUILD SECONDS [TARGET...] — runs each libFuzzer target for SECONDS from
# its seed corpus (tests/fuzz/NAME/), growing a working corpus in
# BUILD/fuzz/corpus/NAME; a crash leaves its input in BUILD/fuzz/crash-NAME-*
# and fails. Prints "NAME: N runs, 0 crashes" per target and a summary line.
BUILD=${1:-build-fuzz}; SECONDS_EACH=${2:-60}; shift 2 2>/dev/null
TARGETS=${*:-"cmd safetensors ckpt_meta scene"}
pass=0; fail=0
for t in $TARGETS; do
    bin=$BUILD/fuzz/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz $t: $bin not built (make fuzz-build)"; fail=$((fail + 1)); continue; }
    work=$BUILD/fuzz/corpus/$t
    mkdir -p "$work"
    log=$BUILD/fuzz/$t.log
    # -rss_limit_mb: a target must never need more than the budget allows a model to.
    "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$BUILD/fuzz/crash-$t-" "$work" "tests/fuzz/$t" >"$log" 2>&1
    rc=$?
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
    if [ "$rc" = 0 ]; then
        echo "fuzz $t: ${runs:-?} runs in ${SECONDS_EACH}s, 0 crashes"; pass=$((pass + 1))
    else
        echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} runs; see $log"; tail -n 30 "$log"; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
