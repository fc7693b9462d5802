#!/bin/sh
# distill.sh — attention replaced by distilled students (`distill`, `eval`):
# the teacher never changes, hybrids save, load, sample, export and report the
# length limit, and every bad input is one line that changes nothing. (The
# paper's claim, L keeps the teacher's answers and XS does not, is asserted on
# scenes/attention-as-mlp.bl in scenes.sh.)
. "$(dirname "$0")/lib"

# Teacher: a 2-block encoder that reverses 8 symbols (exact match 1.000 after 600 steps).
TEACHER='model new depth=2 width=32 heads=4 ctx=8 causal=off seed=1; data task=reverse length=8; train steps=600 lr=3e-3 batch=64 log_every=600'
STUDY='sequences=256 batch=16 epochs=3'

bl -c "$TEACHER; run use A; save $TMP/a1.st; run new L; distill from=A layers=0 mode=alr size=l $STUDY; run new XS; distill from=A layers=0 mode=alr size=xs $STUDY; run use A; save $TMP/a2.st; run use L; save $TMP/l.st; sample; eval length=8 runs=A,L,XS; export png distill.mse runs=L,XS file=$TMP/mse.png; export png hybrid runs=L,XS file=$TMP/hybrid.png; export torch $TMP/torch"
expect "distill runs" 0 "run XS is now run A with block 0..0 as alr students"
expect "progress per epoch" 0 "distill block 0: epoch  3/3  mse"
expect "untrained student first" 0 "distill block 0: untrained student  mse"
check "the teacher's checkpoint is byte-identical after distilling" cmp -s "$TMP/a1.st" "$TMP/a2.st"
expect "a hybrid samples" 0 "of 5 right"
expect "eval by length, teacher and hybrids" 0 "eval run XS, held-out exact match by length"
check "distill.mse chart" test -s "$TMP/mse.png"
check "hybrid chart" test -s "$TMP/hybrid.png"
check "export ships the student" test -s "$TMP/torch/blocklab_student.py"

# A saved hybrid loads as itself: the same held-out numbers (the distilled-length
# mark "|" comes from the run's distill record, which a checkpoint does not keep).
e1=$(printf '%s\n' "$out" | grep -A1 "^eval run L" | tail -n 1 | sed 's/ |//')
bl -c "load $TMP/l.st; eval length=8"
e2=$(printf '%s\n' "$out" | grep -A1 "^eval run A" | tail -n 1)
same "hybrid checkpoint round trip (eval)" "$e1" "$e2"
bl -c "load $TMP/l.st; arch spec"
expect "the arch text names the student" 0 "block 0 attn=mlp-alr"

# Bad input: one line each, nothing changed.
bl -c "$TINY; $TASK; train steps=5; run new B; distill layers=0"
expect "from= is required" 1 "distill needs from=RUN" stderr
bl -c "$TINY; $TASK; train steps=5; distill from=A"
expect "the teacher is not the current run" 1 "from=A is the current run" stderr
bl -c "$TINY; $TASK; run new B; distill from=A"
expect "an untrained teacher" 1 "run A is not trained (step 0)" stderr
bl -c "$TINY; $TASK; train steps=5; run new B; distill from=A layers=3"
expect "layer out of range" 1 "block 3 does not exist: the model has one block, 0" stderr
bl -c "$TINY; block 0 attn=off; $TASK; train steps=5; run new B; distill from=A mode=alr"
expect "wrong block kind for the mode" 1 "mode=alr replaces attention, but block 0 has attn=off" stderr
bl -c "$TINY; block 0 preset=postln; $TASK; train steps=5; run new B; distill from=A mode=alrr"
expect "alrr needs a pre-norm sub-block" 1 "block 0 is post-norm" stderr
bl -c "$TINY; $TASK; train steps=5; run new B; distill from=Z"
expect "unknown teacher" 1 "from=Z: no run named 'Z'" stderr
bl -c "$TINY; $TASK; train steps=5; run new B; distill from=A mode=fast"
expect "unknown mode" 1 "mode=fast: expected alr|aslr|alrr|elr" stderr
bl -c "$TINY; $TASK; train steps=5; run new B; distill from=A layers=3; run list"
check "a refused distill leaves the run as it was (script stops there)" test "$rc" = 1
bl -c "load $TMP/l.st; eval length=9"
expect "longer input than the student's length" 1 "a student's input is fixed at ctx positions" stderr
bl -c "load $TMP/l.st; eval length=12..3"
expect "bad length range" 1 "length=12..3: expected" stderr
bl -c "help distill"
expect "help distill lists the keys" 0 "mode"
printf '%s passed, %s failed\n' "$pass" "$fail"
[ "$fail" = 0 ]
