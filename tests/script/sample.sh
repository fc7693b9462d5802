#!/bin/sh
# sample.sh — generation: task answers judged right or wrong, prompts,
# temperature/top-k, reproducibility from the seed, and errors.
. "$(dirname "$0")/lib"

TRAINED="model new depth=1 width=32 heads=2 ctx=8; $TASK; train steps=300 lr=1e-2 batch=16 log_every=300"
bl -c "$TRAINED; sample"
expect "task sample" 0 "5 of 5 right"
check "task lines read input|answer" grep -qE '^[0-3]{3}\|[0-3]{3}  right$' "$TMP/out"
bl -c "$TRAINED; sample prompt=0123"
expect "prompt with the wrong length" 1 "prompt=0123 has 4 symbols; this task's inputs have length 3" stderr
bl -c "$TRAINED; sample prompt=312"
expect "task prompt" 0 "312|312  right"
bl -c "$TRAINED; sample prompt=312|"
expect "task prompt with the separator" 0 "312|312  right"
bl -c "$TRAINED; sample prompt=3x2"
expect "prompt with an unknown symbol" 1 "character 'x'" stderr
bl -c "$TINY; $TASK; sample n=3 seed=4"
expect "untrained model: wrong answers shown with the expected one" 0 "wrong (expected "
expect "count line" 0 "of 3 right"
bl -c "$TINY; $TASK; sample n=0"
expect "n out of range" 1 "n=0: out of range" stderr
bl -c "$TINY; $TASK; sample temperature=-1"
expect "negative temperature" 1 "temperature=-1: out of range" stderr
bl -c 'sample'
expect "sample without a model" 1 "no model yet" stderr
bl -c "$TINY; sample"
expect "sample without data" 1 "sample needs data" stderr

# Text: continues the prompt; the same seed gives the same text.
printf 'the cat sat on the mat. %.0s' 1 2 3 4 5 6 7 8 9 10 11 12 >"$TMP/cat.txt"
TEXT="model new depth=1 width=16 heads=2 ctx=16; data text=$TMP/cat.txt; train steps=30 lr=1e-2 batch=8"
a=$("$BLOCKLAB" -c "$TEXT; sample n=40 prompt=\"the \" seed=3" | tail -n 1)
b=$("$BLOCKLAB" -c "$TEXT; sample n=40 prompt=\"the \" seed=3" | tail -n 1)
c=$("$BLOCKLAB" -c "$TEXT; sample n=40 prompt=\"the \" seed=4" | tail -n 1)
same "same seed, same sample" "$a" "$b"
check "another seed, another sample" test "$a" != "$c"
check "text continues the prompt" sh -c "printf '%s' '$a' | grep -q '^the '"
same "n characters generated" "$(printf '%s' "$a" | wc -m)" 44
g1=$("$BLOCKLAB" -c "$TEXT; sample n=20 temperature=0 seed=1" | tail -n 1)
g2=$("$BLOCKLAB" -c "$TEXT; sample n=20 temperature=0 seed=2" | tail -n 1)
same "temperature 0 is greedy: seed-free" "$g1" "$g2"
k1=$("$BLOCKLAB" -c "$TEXT; sample n=20 top_k=1 seed=5" | tail -n 1)
same "top_k=1 is greedy too" "$g1" "$k1"
bl -c "$TEXT; sample prompt=\"dog\""
expect "prompt outside the vocabulary" 1 "character 'd'" stderr
bl -c "$TEXT; set seed=9; sample n=10"
expect "set seed changes the sampling seed" 0 ""
s1=$("$BLOCKLAB" -c "$TEXT; set seed=9; sample n=30" | tail -n 1)
s2=$("$BLOCKLAB" -c "$TEXT; sample n=30 seed=9" | tail -n 1)
same "set seed = sample seed" "$s1" "$s2"

summary
