#!/bin/sh
# exit.sh — the dashboard ends cleanly after typed commands (which go to the
# readline history) and a few keys. CI runs it again on the AddressSanitizer
# build (make SAN=1 check-san-tui), where any leak at exit, readline's history
# included, turns the exit status from 0 into 1 (issue 10, finding 11).
. "$(dirname "$0")/lib"
start 100 30 -- --tui -c "model new depth=1 width=16 heads=2 ctx=8"
shows "the dashboard is up" "─ log "
keys 'data task=copy symbols=4 length=3' Enter
shows "a typed command runs" "data: copy"
keys 'train steps=3' Enter
shows "training ends" "done: 3 steps"
keys 'help' Enter
to_panes
keys q
shows "q exits with status 0 (no leak under ASan)" "EXIT=0"
check "typed lines reached the history" grep -q "train steps=3" "$TMP/state/blocklab/history"
summary
