#!/bin/sh
# train.sh — data and train (and set): sources, vocab sizing, the batch report
# (settings, greppable lines, summary), continuing runs, NaN/Inf and errors.
. "$(dirname "$0")/lib"

# data
bl -c 'data'
expect "data without data" 0 "no data yet"
bl -c 'data task=reverse symbols=10 length=8'
expect "data task" 0 "data: reverse, 10 symbols, length 8, vocab 12, seed 1"
bl -c 'data task=sort; data length=4; data'
expect "data keys change the current data" 0 "data: sort, 10 symbols, length 4"
printf 'hello world\nhello blocklab\n%.0s' 1 2 3 4 5 6 7 8 9 10 >"$TMP/tiny.txt"
bl -c "data text=$TMP/tiny.txt val=0.2"
expect "data text" 0 "data: text $TMP/tiny.txt, 270 characters (54 for validation), vocab 13"
mkdir -p "$TMP/fortunes"
printf 'A fortune.\n%%\nAnother one, longer than the first.\n%%\n' >"$TMP/fortunes/test"
BLOCKLAB_FORTUNES_DIR="$TMP/fortunes" bl -c 'data fortunes'
expect "data fortunes" 0 "data: fortunes"
BLOCKLAB_FORTUNES_DIR="$TMP/nowhere" bl -c 'data fortunes'
expect "fortunes missing" 1 "fortunes corpus not found" stderr
bl -c "data text=$TMP/missing.txt"
expect "missing text file" 1 "-c:1:11: cannot open text file '$TMP/missing.txt'" stderr
printf 'a\0b' >"$TMP/bin.txt"
bl -c "data text=$TMP/bin.txt"
expect "binary text file" 1 "looks binary" stderr
bl -c "data task=copy text=$TMP/tiny.txt"
expect "two sources" 1 "give one source: task=NAME, text=FILE or fortunes" stderr
bl -c 'data task=copy symbols=65'
expect "symbols out of range" 1 "symbols=65: out of range (expected 2 to 64)" stderr
bl -c 'data task=copy val=0.2'
expect "val for a task" 1 "val= is for text" stderr
bl -c "data text=$TMP/tiny.txt symbols=4"
expect "symbols for text" 1 "symbols= is for tasks" stderr
bl -c 'data task=shuffle'
expect "unknown task" 1 "task=shuffle: expected copy|reverse|sort" stderr

# vocab: sized to the data when not given, in either order; explicit vocab kept.
a=$("$BLOCKLAB" -c "$TINY; $TASK; arch spec" | tail -n 1)
b=$("$BLOCKLAB" -c "$TASK; $TINY; arch spec" | tail -n 1)
same "model then data = data then model" "$a" "$b"
check "vocab sized to the task (4 symbols + SEP + PAD)" sh -c "echo '$a' | grep -q 'vocab=6 '"
bl -c "$TINY vocab=5; $TASK"
expect "explicit vocab too small: a note" 0 "note: the data has 6 symbols but the model's vocab is 5"
bl -c "$TINY vocab=5; $TASK; train steps=1"
expect "explicit vocab too small: train refuses" 1 "the data has 6 symbols but the model's vocab is 5" stderr
bl -c "$TINY vocab=9; $TASK; arch spec"
expect "explicit larger vocab kept" 0 "vocab=9 "
bl -c "model new depth=1 width=16 heads=2 ctx=4; $TASK; train steps=1"
expect "ctx too short" 1 "context 4 is too short" stderr
bl -c "$TINY causal=off; data text=$TMP/tiny.txt; train steps=1"
expect "text needs a causal model" 1 "text data needs a causal model" stderr
bl -c "$TINY causal=off; $TASK; train steps=3 batch=4"
expect "encoder model: tasks labelled per position" 0 "data: copy, 4 symbols, length 3 (per position)"
expect "encoder model trains" 0 "done: 3 steps"
bl -c "$TASK; $TINY causal=off; sample n=1"
expect "data follows a later encoder model" 0 "data: now labelled per position for a non-causal model"
expect "encoder sample" 0 " -> "

# train: errors, settings table, greppable lines, summary.
bl -c 'train steps=1'
expect "train without a model" 1 "no model yet" stderr
bl -c "$TINY; train steps=1"
expect "train without data" 1 "no data yet" stderr
bl -c "$TINY; $TASK; train steps=-1"
expect "negative steps" 1 "steps=-1: out of range" stderr
bl -c "$TINY; $TASK; train opt=lion"
expect "unknown optimizer" 1 "opt=lion: expected adamw|sgd" stderr
bl -c "$TINY; $TASK; train log_every=often"
expect "bad auto int" 1 "log_every=often: expected a whole number or auto" stderr
bl -c "$TINY; $TASK; train steps=20 batch=8 lr=3e-3 warmup=2 schedule=linear clip=0.5 wd=0 beta1=0.8 beta2=0.99 eps=1e-7 min_lr_frac=0 total=40 log_every=5 eval_every=10 eval_batches=2"
expect "settings: optimizer" 0 "  optimizer  adamw lr=0.003 beta1=0.8 beta2=0.99 eps=1e-07 wd=0 clip=0.5"
expect "settings: schedule" 0 "  schedule   linear warmup=2 total=40 min_lr_frac=0"
expect "settings: batch" 0 "  batch      8 rows x 8 tokens = 64 tokens/step"
expect "settings: logging" 0 "  logging    log_every=5 eval_every=10 eval_batches=2"
same "one line per log_every" "$(grep -c '^step ' "$TMP/out")" 4
check "line format" grep -qE '^step 10/20  loss [0-9.]+  val [0-9.]+  exact [0-9.]+  lr [0-9.e+-]+  gnorm [0-9.]+  tok/s [0-9.]+[kMG]?  ms/step [0-9.]+$' "$TMP/out"
check "no val on a log-only line" grep -qE '^step 5/20  loss [0-9.]+  lr ' "$TMP/out"
check "summary line" grep -qE '^done: 20 steps in [0-9.]+ s \([0-9.]+ ms/step, [0-9.]+[kMG]? tok/s\)  loss [0-9.]+  val [0-9.]+  exact [0-9.]+$' "$TMP/out"
bl -c "$TINY; $TASK; train steps=0 lr=0.01 batch=4; train steps=2"
expect "steps=0 stores settings" 0 "train: settings stored"
expect "stored settings are used" 0 "adamw lr=0.01"
expect "stored batch is used" 0 "4 rows x 8 tokens"
bl -c "$TINY; $TASK; train steps=3 opt=sgd beta1=0"
expect "sgd" 0 "  optimizer  sgd lr=0.001 momentum=0"
# Continuing: a second train goes on from the step the first stopped at.
bl -c "$TINY; $TASK; train steps=3 log_every=1; train steps=2 log_every=1; run list"
expect "train continues" 0 "train run A: steps 4..5"
expect "continued step numbers" 0 "step 5/5"
expect "run list shows the step" 0 "*  A    -      1x16 preln"
# A second train after the schedule ended: the lr goes on where it ended (it
# used to restart the cosine mid-way, a 3x jump and a loss spike) and says so.
lr_at() { awk -v s="step $1/" '$0 ~ "^"s {for (i = 1; i < NF; i++) if ($i == "lr") print $(i + 1)}' "$TMP/out"; }
bl -c "$TINY; $TASK; train steps=20 lr=1e-2 log_every=1; train steps=10 log_every=1"
expect "second train says what the lr does" 0 "the schedule ended at step 20: training goes on at its final lr 0.001 (lr=X starts a new warmup"
same "second train: no lr jump" "$(lr_at 20) $(lr_at 21) $(lr_at 30)" "1.06e-03 1.00e-03 1.00e-03"
# lr= names a new cycle: a warmup from where the last one ended, no jump to the peak.
bl -c "$TINY; $TASK; train steps=20 lr=1e-2 log_every=1; train steps=40 lr=1e-2 log_every=1"
expect "new cycle says so" 0 "a new cosine cycle, warmup 4 steps from lr 0.001 to 0.01, then decay (the spike alarm rests while the lr climbs)"
same "new cycle ramps up from the floor" "$(lr_at 21) $(lr_at 22) $(lr_at 24) $(lr_at 25)" "3.25e-03 5.50e-03 1.00e-02 1.00e-02"
same "new cycle decays to the floor" "$(lr_at 60)" "1.02e-03"
# total=N: one schedule over several calls, as before.
bl -c "$TINY; $TASK; train steps=20 lr=1e-2 log_every=1"
one=$(for i in 9 10 11 20; do lr_at $i; done)
bl -c "$TINY; $TASK; train steps=10 lr=1e-2 total=20 log_every=1; train steps=10 log_every=1"
same "total= spans calls: the lr of one 20-step call" "$(for i in 9 10 11 20; do lr_at $i; done)" "$one"
check "total=: no new cycle" sh -c "! grep -q 'schedule ended' '$TMP/out'"
# Learning happens: the copy task is learned by a tiny model in 300 steps.
bl -c "model new depth=1 width=32 heads=2 ctx=8; $TASK; train steps=300 lr=1e-2 batch=16 log_every=300"
check "copy is learned (exact 1.000)" grep -qE '^done: .*exact 1\.000$' "$TMP/out"
# Changing the batch keeps the run's step and moments.
bl -c "$TINY; $TASK; train steps=2 batch=4; train steps=2 batch=8"
expect "new batch continues" 0 "steps 3..4"
# A rebuilt model starts again.
bl -c "$TINY; $TASK; train steps=2; block 0 beta.ff=0.5; train steps=1"
expect "block after training says so" 0 "note: rebuilt from seed 1: the 2 training steps are gone"
expect "rebuilt model starts at step 1" 0 "steps 1..1"

# NaN/Inf: training stops at that step, names where, keeps the run (exit 0).
bl -c "model new depth=4 width=16 heads=2 ctx=8; block all alpha.sa=1e6 alpha.ff=1e6 beta.sa=1e6 beta.ff=1e6 norm=off; $TASK; train steps=5 log_every=1; train steps=1; run list"
expect "NaN stops training and says where" 0 "step 1/5  stopped: activation blocks."
expect "NaN message" 0 "is NaN or Inf; parameters kept from step 0, the run is kept"
expect "NaN: run kept" 0 "train run A: steps 2..2"

# set
bl -c 'set'
expect "set shows settings" 0 "seed=1 threads="
bl -c 'set threads=1 seed=5'
expect "set threads and seed" 0 "seed=5 threads=1"
bl -c "set seed=5; $TINY; arch spec"
expect "set seed seeds new models" 0 "seed=5 preset="
bl -c 'set threads=0'
expect "threads out of range" 1 "threads=0: out of range (expected 1 to 256)" stderr
bl -c 'set color=on'
expect "unknown set key" 1 "unknown key 'color' for set (keys: seed threads)" stderr
# Same seeds, data and threads: the same numbers.
a=$("$BLOCKLAB" -c "set threads=1; $TINY; $TASK; train steps=5 log_every=1" | awk '/^step/ {print $2, $4}')
b=$("$BLOCKLAB" -c "set threads=1; $TINY; $TASK; train steps=5 log_every=1" | awk '/^step/ {print $2, $4}')
same "deterministic training" "$a" "$b"
c=$("$BLOCKLAB" -c "set threads=1 seed=2; $TINY; $TASK; train steps=5 log_every=1" | awk '/^step/ {print $2, $4}')
check "another seed, other numbers" test "$a" != "$c"
# The same at 2 threads, on a model whose matmuls are large enough for OpenBLAS
# to split them (below ~64k multiply-adds it stays on one thread).
WIDE='model new depth=2 width=128 heads=4 ctx=64; data task=copy symbols=20 length=32'
a2=$("$BLOCKLAB" -c "set threads=2; $WIDE; train steps=4 batch=8 log_every=1" | awk '/^step/ {print $2, $4}')
b2=$("$BLOCKLAB" -c "set threads=2; $WIDE; train steps=4 batch=8 log_every=1" | awk '/^step/ {print $2, $4}')
check "2 threads: training ran" test -n "$a2"
same "deterministic training at 2 threads" "$a2" "$b2"
a1=$("$BLOCKLAB" -c "set threads=1; $WIDE; train steps=4 batch=8 log_every=1" | awk '/^step/ {print $2, $4}')
b1=$(OPENBLAS_NUM_THREADS=1 "$BLOCKLAB" -c "$WIDE; train steps=4 batch=8 log_every=1" | awk '/^step/ {print $2, $4}')
same "deterministic training at 1 thread (set threads=1 = OPENBLAS_NUM_THREADS=1)" "$a1" "$b1"
# Across thread counts the numbers may differ (a kernel whose sums depend on how
# work is split); today they agree. Reported, not asserted: OpenBLAS may change.
[ "$a1" = "$a2" ] || echo "note: 1 and 2 threads give different numbers (allowed; determinism is per thread count)"

# The spike alarm: quiet on a healthy run (the loss falls), loud on a real
# divergence (the same run pushed on at lr 0.3, 100x its learning rate).
bl -c 'model new depth=2 width=64; data task=reverse; train steps=150 lr=3e-3 log_every=50; train steps=100 lr=0.3 warmup=0 log_every=50'
healthy=$(printf '%s\n' "$out" | sed -n '1,/^done: 150 steps/p' | grep -c 'spike' || true)
same "no spike alarm while the loss falls (150 healthy steps)" "$healthy" "0"
check "a divergence at lr 0.3 raises the spike alarm" sh -c "printf '%s' \"\$1\" | grep -q 'spike: loss'" _ "$out"

summary
