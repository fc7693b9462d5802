#!/bin/sh
# sweep.sh — `sweep` in the dashboard runs in the background: its chart is
# zoomed and fills in, the status bar counts the points, typed commands answer
# between points, a second sweep is refused in one line, Ctrl-C stops it and
# keeps the points measured.
. "$(dirname "$0")/lib"

start 120 40 -- 
shows "the command line" "blocklab> "
# Long enough (62 points, deeper and deeper) to be under way through the
# checks on any machine; the test stops it, after the point under way. The
# counter is not checked at 1: a fast machine is past it before the screen
# is read (ctx 8 reached 41/62 there), hence also the longer context.
D=$(seq -s, 100 100 3100)
keys "sweep depth=$D preset=postln,deepnorm probe=grads width=32 heads=2 ctx=32" Enter
shows "the sweep starts in the background" "sweep: in the background"
shows "its chart is zoomed" "chart: sweep.grads"
shows "the status bar counts the points" "/62: depth="
shows "the chart says how far it is" "points measured so far"
keys 'set' Enter
shows "a typed command answers while it sweeps" "seed=1 threads="
shows "the sweep goes on" "/62: depth="
keys 'sweep depth=2,4 probe=rank' Enter
shows "one sweep at a time" "a sweep is under way"
keys C-c
shows "Ctrl-C stops it" "sweep stopped after"
hides "the status bar stops counting" "/62: depth="
keys 'show sweep.grads' Enter
shows "the points measured stay" "chart: sweep.grads"
if screen | grep -q "recorded yet"; then bad "the stopped sweep's chart is empty"; else ok; fi
summary
