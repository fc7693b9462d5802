#!/bin/sh
# dashboard.sh — the dashboard in a 120x40 tmux terminal: the panes and their
# titles, typed commands and their output in the log, errors with a caret,
# live training changing the loss pane, keys while training (help, pause,
# zoom, layer/head, log-y, freeze, export), resizing to 80x24 and back, a
# too-small terminal, Ctrl-C, and q restoring the terminal.
. "$(dirname "$0")/lib"

start 120 40 -- 
shows "pane: architecture" "─ architecture "
shows "pane: loss" "─ loss "
shows "pane: rank collapse" "─ rank collapse "
shows "pane: gradients" "─ gradients, updates "
shows "pane: attention" "─ attention "
shows "pane: scalar gains" "─ scalar gains "
shows "pane: log" "─ log "
shows "welcome line in the log" "type a command (help lists them"
shows "the command line" "blocklab> "
shows "status bar names run A" "A untrained"
shows "an empty pane says what fills it" "no 'rank.cos' recorded yet"

# Typing: any letter starts a command; Enter runs it; output goes to the log.
keys 'model new depth=2 width=32 heads=2 ctx=16'
shows "typed text on the command line" "blocklab> model new depth=2 width=32 heads=2 ctx=16"
keys Enter
shows "the command is echoed in the log" "│blocklab> model new depth=2"
shows "its output is in the log" "model: 2 blocks, width 32, 2 heads, ctx 16"
shows "the arch pane follows" "run A: 2 blocks, width 32"
keys 'model new width = 64' Enter
shows "an error has a caret under its column" "^ expected key=value after 'width'"
keys 'mo' Tab
shows "Tab completes on the command line" "blocklab> model "
keys C-u
keys 'data task=copy symbols=4 length=3; probe rank grads attn updates every=5' Enter
shows "probes answer in the log" "rank: mean token cosine"

# Live training: the worker trains, the screen keeps up.
keys 'train steps=1000000 batch=4 lr=1e-4' Enter
shows "training starts in the background" "A: train steps 1..1000000"
shows "the status bar shows progress" "A ▸ "
shows "log lines from training" "A: step "
shows "the rank map fills in" "mean token cosine, layer x step"
s1=$(step_of A)
i=0
while [ "$i" -lt 100 ]; do s2=$(step_of A); [ -n "$s2" ] && [ -n "$s1" ] && [ "$s2" -gt "$s1" ] && break; sleep 0.1; i=$((i + 1)); done
check "the step counter advances ($s1 -> $s2)" test -n "$s2" -a "${s2:-0}" -gt "${s1:-0}"

to_panes
keys Enter
shows "Enter zooms the focused pane (loss)" "run A · loss"
z1=$(screen | sed -n 2,28p)
i=0; changed=0
while [ "$i" -lt 100 ]; do
    z2=$(screen | sed -n 2,28p)
    if [ "$z1" != "$z2" ]; then changed=1; break; fi
    sleep 0.1; i=$((i + 1))
done
check "training changes the loss pane" test "$changed" = 1
keys Escape
shows "Esc leaves the zoom" "─ architecture "

keys '?'
shows "? opens the help while training" "blocklab dashboard: help"
shows "the help lists the keys" "export PNG + CSV"
keys x
hides "any key closes the help" "blocklab dashboard: help"

keys Space
shows "space pauses" "paused: space resumes"
p1=$(step_of A); sleep 0.5; p2=$(step_of A)
same "paused: no steps" "$p1" "$p2"
keys .
i=0; p3=$p2
while [ "$i" -lt 50 ]; do p3=$(step_of A); [ "$p3" != "$p2" ] && break; sleep 0.1; i=$((i + 1)); done
same "'.' takes one step" "$p3" "$((p2 + 1))"
keys Space
hides "space resumes" "paused: space resumes"

keys y
shows "y toggles the loss pane's y axis" "linear y"
keys f
shows "f freezes the scale" "frozen"
keys f
hides "f again frees it" "frozen"
keys ']'
shows "] picks the next layer" "layer 1 head 0"
keys '}'
shows "} picks the next head" "layer 1 head 1"
keys '{' '{'
shows "{ past head 0 shows all heads" "layer 1, all heads"

# e exports the focused pane (loss) as PNG + CSV, saying where.
keys e
shows "e says what it wrote" "exported A-loss.png"
check "A-loss.png written" test -s "$TMP/A-loss.png"
check "A-loss.csv written" grep -q "series,x,y" "$TMP/A-loss.csv"
check "A-loss.csv says the pane's loss is smoothed" grep -q "^# loss smoothed: debiased EMA 0.8" "$TMP/A-loss.csv"
keys Tab
keys e
shows "e on a two-chart pane writes both" "exported A-rank.png"
check "A-rank.map.png written" test -s "$TMP/A-rank.map.png"

# Resize live: 80x24 still shows every pane; smaller asks for room; back again.
resize 80 24
shows "80x24: the panes" "─ architecture "
shows "80x24: the log" "─ log "
same "80x24: the terminal is 80 wide" "$(tmux -L "$S" display -p -t "$S" '#{pane_width}x#{pane_height}')" "80x24"
edge_at_right() { screen | head -n 1 | grep -q '┐$'; }
check "80x24: the right edge is on screen" edge_at_right
resize 60 20
shows "too small: a clear message" "needs a terminal of at least 80x24"
resize 120 40
shows "back at 120x40" "─ scalar gains "
hides "the message goes" "needs a terminal"

# Ctrl-C stops training and keeps the run; the session goes on.
keys C-c
shows "Ctrl-C stops training" "A: interrupted at step"
hides "nothing trains after Ctrl-C" "A ▸ "
keys 'run list' Enter
shows "the session goes on" "*  A"
# Labels show in the run strip; a distilled hybrid is not "untrained".
keys 'run label A "Post-LN"' Enter
shows "the run strip shows the label" "A Post-LN step"
keys 'run new D; distill from=A layers=0 size=xs epochs=1' Enter
shows "a distilled run says so in the run strip" "D distilled"
hides "and not untrained" "D untrained"

# q quits (nothing trains now): the terminal comes back, exit status 0.
to_panes
keys q
shows "q exits with status 0" "EXIT=0"
hides "the dashboard is gone" "─ architecture "
check "typed lines are in the history" grep -q "^train steps=1000000" "$TMP/state/blocklab/history"

summary
