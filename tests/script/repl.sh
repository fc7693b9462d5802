#!/bin/sh
# repl.sh — the interactive prompt on a real terminal (tmux): help, errors
# with a caret, tab completion from the tables, Ctrl-C at the prompt and
# during training, history in $XDG_STATE_HOME, quit.
. "$(dirname "$0")/lib"
if ! command -v tmux >/dev/null 2>&1; then
    echo "note: tmux not installed; the REPL is not tested"
    summary
    exit
fi
S="blrepl$$"
export XDG_STATE_HOME="$TMP/state"
tmux -L "$S" new-session -d -s "$S" -x 100 -y 30 "env XDG_STATE_HOME='$XDG_STATE_HOME' NO_COLOR=1 '$BLOCKLAB' --repl; echo EXIT=\$?; sleep 5"
trap 'tmux -L "$S" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
screen() { tmux -L "$S" capture-pane -p -t "$S" 2>/dev/null; }
# wait_for TEXT: up to 5 s for TEXT to appear on the screen.
wait_for() {
    i=0
    while [ $i -lt 50 ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
keys() { tmux -L "$S" send-keys -t "$S" "$@"; }
shows() {
    if wait_for "$2"; then ok; else
        bad "$1: '$2' not on screen"
        screen | tail -n 8 | sed 's/^/  | /'
    fi
}

shows "banner" "help lists the verbs"
shows "prompt" "blocklab>"
keys 'help' Enter
shows "help" "quit     leave blocklab"
keys 'clear' Enter
keys 'model new width = 64' Enter
shows "error with a caret under the column" "                    ^ expected key=value after 'width'"
keys 'mod' Tab   # 'mo' is model or mom
shows "verb completes" "blocklab> model "
keys 'n' Tab
shows "noun completes" "blocklab> model new "
keys 'dep' Tab
shows "key completes with =" "blocklab> model new depth="
keys '1 wid' Tab '16 heads=2 ctx=8 no' Tab 'r' Tab
shows "value completes" "depth=1 width=16 heads=2 ctx=8 norm=rms"
keys Enter
shows "the completed line runs" "model: 1 block, width 16, 2 heads, ctx 8"
keys 'block all pre' Tab 's' Tab
shows "preset values complete" "block all preset=sas"
keys C-c
shows "Ctrl-C at the prompt clears the line" "^C"
keys 'data task=copy symbols=4 length=3' Enter
keys 'train steps=100000000 batch=2 log_every=100000000' Enter
shows "training starts" "logging    log_every=100000000"
sleep 0.5
keys C-c
shows "Ctrl-C stops training and keeps the run" "the run is kept (train continues from here)"
keys 'run list' Enter
shows "the session goes on" "*  A    -      1x16 preln"
keys 'quit' Enter
shows "quit exits 0" "EXIT=0"
hist="$XDG_STATE_HOME/blocklab/history"
check "history file in XDG_STATE_HOME" test -f "$hist"
check "history holds the lines" grep -q "^model new depth=1 width=16 heads=2 ctx=8 norm=rms" "$hist"
check "history skips a line cancelled with Ctrl-C" sh -c "! grep -q '^block all' '$hist'"

summary
