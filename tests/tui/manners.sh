#!/bin/sh
# manners.sh — terminal manners of the dashboard (DESIGN.md §5): NO_COLOR
# leaves no colour escapes, 256 and 24-bit colour where the terminal has them, ASCII when the
# locale is not UTF-8, the terminal restored on q, Ctrl-C, Ctrl-D, SIGTERM and
# a fatal signal; a scene with notes and `wait` played by --tui; q asks first
# while training; the plain prompt where the screen cannot be addressed.
. "$(dirname "$0")/lib"

TRAIN='model new depth=2 width=32 heads=2 ctx=16; data task=copy symbols=4 length=3; probe rank grads attn every=5'
# SGR parameters that set a colour: 30-37, 38 (256/RGB), 40-47, 48, 90-97, 100-107.
# (tmux itself writes 39/49, "default colour", after every reset.)
SGR_COLOUR='\[([0-9]*;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9]*)*m'

# A scene in the dashboard: notes in order; `wait` holds what follows it.
start 120 40 NO_COLOR=1 -- --tui -c "$TRAIN; note first note; train steps=200 batch=4; wait; note second note"
shows "after training, the note after wait" "» second note"
shows "the end of the scene is said" "end of scene -c"
keys BTab BTab Enter
shows "the log zooms (Shift-Tab twice from loss, Enter)" "A: train steps 1..200"
shows "--tui plays -c: the first note" "» first note"
order=$(screen | grep -nE "» first note|A: done: 200|» second note" | cut -d: -f1 | tr '\n' ' ')
a=${order%% *}; rest=${order#* }; b=${rest%% *}; c=${rest#* }; c=${c%% *}
check "notes in order around the training they wait for ($order)" test "$a" -lt "$b" -a "$b" -lt "$c"
keys Escape
if screen_e | grep -qE "$SGR_COLOUR"; then
    bad "NO_COLOR: colour escapes on screen"
    screen_e | grep -oE "$SGR_COLOUR" | sort | uniq -c | head -n 5
else ok; fi
check "NO_COLOR keeps attributes (bold)" sh -c "tmux -L '$S' capture-pane -e -p -t '$S' | grep -q '\[1m'"
keys C-c
shows "Ctrl-C with nothing running quits, status 0" "EXIT=0"
hides "the dashboard is gone after Ctrl-C" "─ architecture "

# wait step=N holds the scene until training gets there; Ctrl-C drops the rest.
start 120 40 -- --tui -c "$TRAIN; train steps=1000000 batch=2 lr=1e-5; wait step=999999; note never shown"
shows "the status bar says what the scene waits for" "waiting for step 999999"
check "the note after wait is held" sh -c "! tmux -L '$S' capture-pane -p -t '$S' | grep -q 'never shown'"
keys 'wait step=999999' Enter 'note typed later' Enter
shows "a typed wait holds the lines typed after it" "waiting for step 999999 (Ctrl-C stops waiting)"
check "the typed note is held" sh -c "! tmux -L '$S' capture-pane -p -t '$S' | grep -q '» typed later'"
keys C-c
shows "Ctrl-C stops training and the scene" "stopped (Ctrl-C)"
hides "the scene is over" "waiting for step"
check "the held note never runs" sh -c "! tmux -L '$S' capture-pane -p -t '$S' | grep -q 'never shown'"

# Colour when the terminal has it (256 colours in tmux).
start 120 40 TERM=tmux-256color -- --tui -c "$TRAIN; train steps=60 batch=4"
shows "colour run: trained" "A: done: 60 steps"
check "colours on a 256-colour terminal" sh -c "tmux -L '$S' capture-pane -e -p -t '$S' | grep -qE '38;5;[0-9]+'"
# Ctrl-D on an empty command line leaves too.
keys :
shows "':' focuses the command line" "Esc panes"
keys C-d
shows "Ctrl-D quits" "EXIT=0"

# 24-bit colour where terminfo has direct colour (Debian ships xterm-direct in
# ncurses-term; the entry is compiled here so the test needs only tic).
if command -v tic >/dev/null 2>&1; then
    printf '%s\n' 'xterm-direct|xterm with direct colour,' \
        '	RGB, colors#0x1000000, pairs#0x10000, initc@, initp@, ccc@, oc@, op=\E[39;49m,' \
        '	setab=\E[%?%p1%{8}%<%t4%p1%d%e48\:2\:\:%p1%{65536}%/%d\:%p1%{256}%/%{255}%&%d\:%p1%{255}%&%d%;m,' \
        '	setaf=\E[%?%p1%{8}%<%t3%p1%d%e38\:2\:\:%p1%{65536}%/%d\:%p1%{256}%/%{255}%&%d\:%p1%{255}%&%d%;m,' \
        '	setb@, setf@, use=xterm-256color,' >"$TMP/direct.src"
    tic -x -o "$TMP/terminfo" "$TMP/direct.src" 2>/dev/null
    start 120 40 TERMINFO="$TMP/terminfo" TERM=xterm-direct COLORTERM=truecolor -- --tui -c "$TRAIN; train steps=20 batch=4"
    shows "truecolor run: trained" "A: done: 20 steps"
    check "24-bit colours on a direct-colour terminal" sh -c "tmux -L '$S' capture-pane -e -p -t '$S' | grep -qE '38;2;[0-9]+;[0-9]+;[0-9]+'"
    keys q
    shows "truecolor run: q quits" "EXIT=0"
else
    echo "note: tic not installed; 24-bit colour is not tested"
fi

# ASCII when the locale is not UTF-8: no byte outside printable ASCII.
start 120 40 LC_ALL=C LANG=C -- --tui -c "$TRAIN; train steps=60 batch=4"
shows "ASCII run: trained" "A: done: 60 steps"
shows "ASCII frames" "+- loss "
check "ASCII: every byte on screen is printable ASCII" sh -c "! tmux -L '$S' capture-pane -p -t '$S' | LC_ALL=C grep -q '[^ -~]'"

# q while training asks first; n stays, y leaves.
keys 'train steps=1000000 batch=2 lr=1e-5' Enter
shows "training again" "A > "
to_panes
keys q
shows "q asks while training" "Quit anyway?"
keys n
hides "n stays" "Quit anyway?"
shows "still training" "A > "
keys q
shows "asks again" "Quit anyway?"
keys y
shows "y quits, status 0" "EXIT=0"

# SIGTERM: the terminal comes back and the status says which signal.
start 100 30 -- --tui -c "$TRAIN; train steps=1000000 batch=2 lr=1e-5"
shows "SIGTERM run: training" "A ▸ "
kill -TERM "$(pid_of)"
shows "SIGTERM exits 143" "EXIT=143"
hides "SIGTERM: the dashboard is gone" "─ architecture "

# A fatal signal (as a crash would raise) still puts the terminal back.
start 100 30 -- 
shows "fatal run: up" "─ architecture "
kill -SEGV "$(pid_of)"
shows "SIGSEGV: the shell sees the crash" "EXIT=139"
hides "SIGSEGV: the alternate screen is gone" "─ architecture "
check "SIGSEGV: the cursor is visible again" sh -c "tmux -L '$S' display -p -t '$S' '#{cursor_flag}' | grep -q 1"

# Where the screen cannot be addressed, the plain prompt; --tui needs a terminal.
start 100 30 TERM=dumb -- 
shows "TERM=dumb: the plain prompt" "help lists the verbs, help VERB explains one"
keys 'quit' Enter
shows "the plain prompt quits" "EXIT=0"
bl --tui -c help </dev/null
expect "--tui without a terminal" 2 "--tui needs a terminal" stderr
bl --tui --repl
expect "--tui with --repl" 2 "exclude each other" stderr

summary
