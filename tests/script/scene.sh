#!/bin/sh
# scene.sh — what scenes use in batch mode: `note` prints a line for the
# reader, `wait` returns at once (training ran in the foreground), and the
# tour scene parses, checks and starts (interrupted: it trains for a minute).
. "$(dirname "$0")/lib"
TOUR="$(dirname "$0")/../../scenes/tour.bl"

bl -c 'note look at the loss pane'
expect "note prints its words" 0 "» look at the loss pane" stdout
bl -c 'note "a = b; c # d"'
expect "note with quoted text" 0 "» a = b; c # d" stdout
bl -c 'note'
expect "note needs text" 1 "'note' needs TEXT" stderr
bl -c 'note x a=b'
expect "note takes no keys" 1 "'note' takes no keys" stderr
bl -c "$TINY; $TASK; train steps=3; wait; wait step=2; note after"
expect "wait returns at once in batch" 0 "» after" stdout
bl -c 'wait step=0'
expect "wait step is checked" 1 "step=0: out of range" stderr
bl -c 'wait steps=3'
expect "wait names its key" 1 "unknown key 'steps' for wait (keys: step)" stderr
bl -c 'help wait'
expect "help wait" 0 "until every training run has reached step N"

# The tour: every command checks (a typo would run nothing) and it starts.
"$BLOCKLAB" "$TOUR" >"$TMP/tour.out" 2>"$TMP/tour.err" &
pid=$!
i=0
while [ $i -lt 300 ] && ! grep -q '^step ' "$TMP/tour.out"; do sleep 0.1; i=$((i + 1)); done
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
check "the tour checks and trains (first step line)" grep -q '^step ' "$TMP/tour.out"
check "the tour builds run B as SAS-P" grep -q 'new run B' "$TMP/tour.out"
check "the tour trains run B first in batch" grep -q '^train run B: steps 1..600' "$TMP/tour.out"
same "Ctrl-C stops the tour in batch (130)" "$rc" 130
check "nothing on stderr but the interruption" sh -c "! grep -v interrupted '$TMP/tour.err' | grep -q ."

summary
