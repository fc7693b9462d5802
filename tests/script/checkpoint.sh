#!/bin/sh
# checkpoint.sh — save and load: round trip, resume determinism across
# processes, and clear errors (no crash, nothing changed) for missing, corrupt,
# truncated and foreign files.
. "$(dirname "$0")/lib"
cd "$TMP" || exit 1

SETUP="$TINY; $TASK"
# Resume determinism: 20 steps in one go = 10 steps, save, a new process loads, 10 steps.
full=$("$BLOCKLAB" -c "$SETUP; train steps=20 batch=8 log_every=1" | awk '/^step/ {print $2, $4}' | sed 's|/[0-9]*||')
bl -c "$SETUP; train steps=10 total=20 batch=8 log_every=1; save half.safetensors"
expect "save" 0 "saved run A to half.safetensors: 3,344 params, step 10, optimizer state"
first=$(awk '/^step/ {print $2, $4}' "$TMP/out" | sed 's|/[0-9]*||')
bl -c "load half.safetensors; train steps=10 log_every=1"
expect "load" 0 "loaded half.safetensors into run A: 1 block, width 16, 3,344 params, step 10"
expect "load restores settings" 0 "8 rows x 8 tokens"
second=$(awk '/^step/ {print $2, $4}' "$TMP/out" | sed 's|/[0-9]*||')
same "resume is bit-identical (20 = 10 + save/load + 10)" "$full" "$first
$second"
check "resume printed 20 losses" test "$(printf '%s\n' "$full" | wc -l)" -eq 20

# Round trip: the same arch text and the same samples after load.
a=$("$BLOCKLAB" -c "$SETUP; block 0 beta.ff~=0.5; train steps=5; save rt.safetensors; arch spec; sample n=3 seed=2" | tail -n 5)
b=$("$BLOCKLAB" -c "load rt.safetensors; arch spec; sample n=3 seed=2" | tail -n 5)
same "arch and samples survive save/load" "$a" "$b"
bl -c "$TINY; save untrained.safetensors"
expect "save an untrained model without data" 0 "step 0"
bl -c "load untrained.safetensors; arch spec"
expect "load weights only" 0 "model new depth=1 width=16 heads=2 ctx=8"
bl -c "load untrained.safetensors; train steps=1"
expect "weights only: train needs data" 1 "no data yet" stderr
bl -c "load untrained.safetensors; $TASK; train steps=1"
expect "weights only: then data, then train" 0 "done: 1 step"
bl -c "$SETUP; save ~/../../$TMP/tilde.safetensors" 2>/dev/null
check "~ expands to HOME" test -f "$TMP/tilde.safetensors"
ls "$TMP"/*.tmp* >/dev/null 2>&1
check "no temporary files left" test $? -ne 0

# Errors: one line, exit 1, no crash, and the run unchanged (-k shows the state after).
bl -c 'save a.safetensors'
expect "save without a model" 1 "nothing to save: no model yet" stderr
bl -c "$TINY; save $TMP/no/such/dir/a.safetensors"
expect "save into a missing directory" 1 "-c:1:48: $TMP/no/such/dir/a.safetensors: cannot create" stderr
bl -c 'load missing.safetensors'
expect "load a missing file" 1 "-c:1:6: missing.safetensors: cannot open" stderr
head -c 3000 /dev/urandom >garbage.safetensors
bl -c 'load garbage.safetensors'
expect "load random bytes" 1 "garbage.safetensors" stderr
size=$(wc -c <half.safetensors)
head -c $((size / 2)) half.safetensors >truncated.safetensors
bl -c 'load truncated.safetensors'
expect "load a truncated file" 1 "truncated.safetensors" stderr
head -c 100 half.safetensors >short.safetensors
bl -c 'load short.safetensors'
expect "load a file cut inside its header" 1 "short.safetensors" stderr
printf '\377\377\377\377\377\377\377\177{}' >huge.safetensors
bl -c 'load huge.safetensors'
expect "load a huge header length" 1 "huge.safetensors" stderr
hdr='{"__metadata__":{"format":"other"}}'
printf '\043\000\000\000\000\000\000\000%s' "$hdr" >foreign.safetensors
bl -c 'load foreign.safetensors'
expect "load a foreign safetensors file" 1 "not a blocklab checkpoint" stderr
: >empty.safetensors
bl -c 'load empty.safetensors'
expect "load an empty file" 1 "empty.safetensors" stderr
for f in garbage truncated short huge foreign empty; do
    before=$("$BLOCKLAB" -c "$SETUP; arch spec" | tail -n 1)
    after=$("$BLOCKLAB" -k -c "$SETUP" -c "load $f.safetensors" -c "arch spec" 2>/dev/null | tail -n 1)
    same "a failed load of $f changes nothing" "$before" "$after"
done

summary
