#!/bin/sh
# runs.sh — named runs: new copies the current run's spec, data and settings
# from the same seed; use switches; list shows them; runs do not share state.
. "$(dirname "$0")/lib"

bl -c 'run list'
expect "one run at start" 0 "*  A"
bl -c "$TINY; $TASK; train steps=3 lr=3e-3; run new B; arch spec; train steps=1; run list"
expect "run new" 0 "new run B, a fresh copy of A's model, data and settings; now current"
expect "run new: untrained" 0 "run B: 1 block, width 16, 3,344 params, step 0"
expect "run new: settings copied" 0 "adamw lr=0.003"
check "run list marks the current run" grep -qE '^\*  B  ' "$TMP/out"
same "run list shows A's steps" "$(awk '$1 == "A" {print $2, $4, $5}' "$TMP/out")" "1x16 3,344 3"
# Same spec, seed and data: B's first steps equal A's first steps.
a=$("$BLOCKLAB" -c "$TINY; $TASK; train steps=4 log_every=1" | awk '/^step/ {print $4}')
b=$("$BLOCKLAB" -c "$TINY; $TASK; train steps=4 log_every=1; run new B; train steps=4 log_every=1" | awk '/^step/ {print $4}' | tail -n 4)
same "B starts from A's weights and data (fair A/B)" "$a" "$b"
# Changing B leaves A alone.
bl -c "$TINY; $TASK; run new B; block all preset=sas; run use A; arch spec"
expect "run use" 0 "run A: 1 block"
check "A keeps its own arch" sh -c "! tail -n 1 '$TMP/out' | grep -q sas"
bl -c "$TINY; run new B; run use A; train steps=1 log_every=1" 
expect "A's missing data stays missing" 1 "no data yet" stderr
bl -c 'run new B; run new B'
expect "run new twice" 1 "-c:1:20: run 'B' exists already (run use B)" stderr
bl -c 'run new "B C"'
expect "bad run name" 1 "run name 'B C': expected letters, digits" stderr
bl -c 'run use Z'
expect "run use unknown" 1 "-c:1:9: no run named 'Z' (runs: A; run new Z makes it)" stderr
bl -c 'run new'
expect "run new needs a name" 1 "run new needs a NAME" stderr
bl -c 'run list A'
expect "run list takes no name" 1 "run list takes no name" stderr
bl -c 'run new 0123456789012345678901234567890123'
expect "run name too long" 1 "is too long" stderr

summary
