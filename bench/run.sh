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
    echo "block variants at config M (SAS paper: SAS-P ~16% faster, 16% fewer block parameters than Pre-LN)."
    echo "With 2 threads the step times jitter by ~10% here; 1 thread is steadier for comparing blocks."
    for th in 2 1; do
        base=""; bpar=""
        for p in preln parallel sas sasp; do
            line=$(OPENBLAS_NUM_THREADS=$th $BIN M $STEPS $p)
            ms=$(echo "$line" | awk '{print $7}'); par=$(echo "$line" | awk '{print $5}')
            [ -z "$base" ] && base=$ms && bpar=$par
            awk -v p="$p" -v th="$th" -v ms="$ms" -v b="$base" -v par="$par" -v bp="$bpar" \
                'BEGIN{printf "  %d thread%s  %-9s params %9d (%+5.1f%%)  ms/step %8.2f (%+5.1f%% vs preln)\n", th, (th > 1 ? "s" : " "), p, par, 100*(par-bp)/bp, ms, 100*(ms-b)/b}'
        done
    done
fi
echo
echo "Mixture-of-Modules at config S: a 4+4 pool with the parameters of the 4 blocks (+2 GRU routers),"
echo "H=4 steps; only the chosen modules run (gather/scatter). mom-diag runs the vanilla path through"
echo "the routing machinery, so its excess over preln is the routing overhead (routers, gather/scatter, aux)."
base=""
for p in preln mom-diag mom mom-k2; do
    line=$($BIN S $STEPS $p)
    ms=$(echo "$line" | awk '{print $7}'); par=$(echo "$line" | awk '{print $5}')
    [ -z "$base" ] && base=$ms
    awk -v p="$p" -v ms="$ms" -v b="$base" -v par="$par" \
        'BEGIN{printf "  %-9s params %9d  ms/step %8.2f (%+6.1f%% vs preln)\n", p, par, ms, 100*(ms-b)/b}'
done
echo
echo "depth is not a toy (probe rank at init, forward only, one block alive at a time):"
for d in 100 1000; do "$BUILD/bench/bench_depth" $d 64 | sed 's/^/  /'; done
