#!/bin/sh
# run.sh BUILD — `make bench`: blocklab and the PyTorch reference on the same
# configs in one run, with ratios and MFU. Absolute times on a shared machine
# are noise; the ratio within one run is the figure to read.
# Threads: OpenBLAS 2 threads for both; torch 1 intra-op thread (set in
# torch_ref.py), its fastest setting here. Not a test: it never fails on speed.
BUILD=${1:-build}
PY=${PYTHON:-/usr/bin/python3}
BIN=$BUILD/bench/bench_train
STEPS=${BENCH_STEPS:-30}
export OPENBLAS_NUM_THREADS=2
gflops=$($BIN gemm | awk '{print $2}')
echo "sgemm throughput (2 threads, 1024x1024x256, best of 12): $gflops GFLOP/s"
printf '%-8s %-10s %12s %12s %12s %8s %8s\n' config who params "ms/step" "tok/s" MFU ratio
for cfg in S M; do
    b=$($BIN $cfg $STEPS)
    t=$($PY bench/torch_ref.py $cfg $STEPS 2>/dev/null)
    bms=$(echo "$b" | awk '{print $7}'); tms=$(echo "$t" | awk '{print $7}')
    flops=$(echo "$b" | awk '{print $11}')
    mfu() { awk -v f="$flops" -v ms="$1" -v g="$gflops" 'BEGIN{printf "%.0f%%", 100*f/(ms/1e3)/(g*1e9)}'; }
    printf '%-8s %-10s %12s %12s %12s %8s %8s\n' "$cfg" blocklab "$(echo "$b" | awk '{print $5}')" "$bms" "$(echo "$b" | awk '{print $9}')" "$(mfu $bms)" \
        "$(awk -v a="$tms" -v b="$bms" 'BEGIN{printf "%.2fx", a/b}')"
    if [ -n "$t" ]; then
        printf '%-8s %-10s %12s %12s %12s %8s\n' "$cfg" torch "$(echo "$t" | awk '{print $5}')" "$tms" "$(echo "$t" | awk '{print $9}')" "$(mfu $tms)"
    else
        echo "$cfg torch: reference did not run (is python3-torch installed?)"
    fi
done
echo "ratio = torch ms/step / blocklab ms/step (above 1: blocklab is faster)"
echo "MFU = model FLOPs per step (6*params*tokens + attention) / measured sgemm throughput"
if [ "${BENCH_PRESETS:-1}" = 1 ]; then
    echo
    echo "block variants at config M (params, ms/step; SAS-P paper: ~16% faster, 16% fewer block params than Pre-LN):"
    for p in preln parallel sas sasp; do $BIN M $STEPS $p | awk '{printf "  %-9s params %9s  ms/step %8s\n", $3, $5, $7}'; done
fi
echo
echo "depth is not a toy (probe rank at init, forward only, one block alive at a time):"
for d in 100 1000; do "$BUILD/bench/bench_depth" $d 64 | sed 's/^/  /'; done
