#!/bin/sh
# runs.sh — named runs: new copies the current run's spec, data and settings
# from the same seed; use switches; list shows them; runs do not share state.
. "$(dirname "$0")/lib"

bl -c 'run list'
expect "one run at start" 0 "*  A"
bl -c "$TINY; $TASK; train steps=3 lr=3e-3; run new B; arch spec; train steps=1; run list"
expect "run new" 0 "new run B, a fresh copy of A's model, data and settings; now current"
expect "run new: untrained" 0 "run B: 1x16 preln, 3,344 params, step 0"
expect "run new: settings copied" 0 "adamw lr=0.003"
check "run list marks the current run" grep -qE '^\*  B  ' "$TMP/out"
same "run list shows A's steps" "$(awk '$1 == "A" {print $3, $5, $6}' "$TMP/out")" "1x16 3,344 3"
# Same spec, seed and data: B's first steps equal A's first steps.
a=$("$BLOCKLAB" -c "$TINY; $TASK; train steps=4 log_every=1" | awk '/^step/ {print $4}')
b=$("$BLOCKLAB" -c "$TINY; $TASK; train steps=4 log_every=1; run new B; train steps=4 log_every=1" | awk '/^step/ {print $4}' | tail -n 4)
same "B starts from A's weights and data (fair A/B)" "$a" "$b"
# Changing B leaves A alone.
bl -c "$TINY; $TASK; run new B; block all preset=sas; run use A; arch spec"
expect "run use" 0 "run A: 1x16 preln"
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

# Labels: run new label=, run label NAME TEXT; shown by run list, run use, arch.
bl -c "$TINY; run label A \"Post-LN\"; run new B label=DeepNorm; run list; run use A; arch"
expect "run label" 0 'run A is labelled "Post-LN"'
check "run list shows A's label" grep -qE '^   A    Post-LN   ' "$TMP/out"
check "run list shows B's label" grep -qE '^\*  B    DeepNorm  ' "$TMP/out"
expect "run use names the label" 0 'run A "Post-LN": 1x16 preln, 3,504 params, step 0'
expect "arch names the label" 0 'run A "Post-LN": 1 block, width 16'
bl -c "$TINY; run label A Post-LN; run label A \"\"; run list"
expect "an empty label removes it" 0 "run A has no label now (figures call it A)"
check "run list: no label" grep -qE '^\*  A    -      1x16 preln' "$TMP/out"
# run list says what the model is, not the preset it started from.
bl -c "model new depth=24 width=16 heads=2 ctx=8; block all skip.attn=off skip.mlp=off mlp=off; run list; arch"
expect "run list: a skipless attention-only model is not 'preln'" 0 "24x16 y = Attn(LN x)"
check "run list: no 'preln' for it" sh -c "! grep -q '24x16 preln' '$TMP/out'"
expect "arch prints the same line" 0 "in one line: 24x16 y = Attn(LN x)"
bl -c "model new depth=4 width=16 heads=2 ctx=8 preset=sas; block 2 preset=preln; run list"
expect "run list: groups of blocks" 0 "4x16 0..1: sas | 2: preln | 3: sas"
# Bad labels: one line, nothing changes.
bl -c "$TINY; run label A 0123456789012345678901234567890123456789012345678"
expect "label too long" 1 "label is 49 bytes long (at most 48)" stderr
bl -c "$TINY; run new B label=\"a$(printf '\033')[31mred\"; run list"
expect "label with a control character" 1 "label has a control character (byte 2)" stderr
bl -c "$TINY; run label Z x"
expect "label of an unknown run" 1 "no run named 'Z'" stderr
bl -c "$TINY; run label A"
expect "run label needs TEXT" 1 "run label needs NAME and TEXT" stderr
bl -c "$TINY; run use A label=x"
expect "label= only with run new" 1 "label= goes with run new" stderr
bl -c "$TINY; run new B label=\"$(printf 'a\342\200\256b')\""
expect "label with a bidi override" 1 "label has a bidirectional override" stderr
bl -c "$TINY; run new B label=\"$(printf 'a\377b')\""
expect "label that is not UTF-8" 1 "label is not valid UTF-8 (byte 2)" stderr
# Legends, titles and file names use the label; checkpoints keep it.
here=$(pwd)
cd "$TMP" || exit 1
bl -c "$TINY; $TASK; run label A \"Post LN\"; train steps=2; run new B label=\"Deep<Norm>\"; train steps=2; export svg loss runs=A,B; export csv loss runs=A,B; export svg loss; save $TMP/b.st; run new C; load $TMP/b.st; run list"
cd "$here" || exit 1
check "file name from the labels" test -f "$TMP/Post-LN-Deep-Norm-loss.svg"
check "file name from one label" test -f "$TMP/Deep-Norm-loss.svg"
check "legend says the label (SVG text)" grep -q '>Post LN loss</text>' "$TMP/Post-LN-Deep-Norm-loss.svg"
check "legend escapes the label (SVG text)" grep -q '>Deep&lt;Norm&gt; loss</text>' "$TMP/Post-LN-Deep-Norm-loss.svg"
check "title says the labels (SVG text)" grep -q '>Post LN vs Deep&lt;Norm&gt; · loss</text>' "$TMP/Post-LN-Deep-Norm-loss.svg"
check "one run's title says its label" grep -q '>Deep&lt;Norm&gt; · loss</text>' "$TMP/Deep-Norm-loss.svg"
check "CSV names series by label" grep -q 'Post LN' "$TMP/Post-LN-Deep-Norm-loss.csv"
expect "load restores the label" 0 'run C is labelled "Deep<Norm>" (from the checkpoint)'
check "run list: the loaded label" grep -qE '^\*  C    Deep<Norm>' "$TMP/out"

summary
