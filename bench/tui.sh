#!/bin/sh
# tui.sh BUILD — the dashboard under load: blocklab in a 120x40 tmux terminal,
# every pane live (arch, loss, rank, gradients/updates, attention, gains, log)
# while two runs train, then (1) key-to-screen latency: a letter is sent and the
# pane is polled until it shows, 12 times; (2) frame time: the TUI's own draw +
# show time per frame (BLOCKLAB_FRAME_LOG), wall and UI-thread CPU time.
# The tmux latency includes tmux and the polling (a bare capture-pane round
# trip is printed beside it); bench/keylat.py then measures the same on a pty
# it owns, without tmux. Not a test: it prints figures.
BUILD=${1:-build}
BIN=$(cd "$(dirname "$0")/.." && pwd)/blocklab
TMP=$(mktemp -d)
S=blbench$$
trap 'tmux -L "$S" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
command -v tmux >/dev/null || { echo "dashboard: tmux not installed, skipped"; exit 0; }
now_ms() { date +%s%N | awk '{printf "%.3f", $1 / 1e6}'; }
screen() { tmux -L "$S" capture-pane -p -t "$S" 2>/dev/null; }
keys() { tmux -L "$S" send-keys -t "$S" "$@"; }
wait_for() {
    t=$(( ${2:-20} * 20 ))
    while [ "$t" -gt 0 ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.05; t=$((t - 1))
    done
    return 1
}
tmux -L "$S" new-session -d -s "$S" -x 120 -y 40 \
    "env XDG_STATE_HOME='$TMP' BLOCKLAB_FRAME_LOG='$TMP/frames' '$BIN'; sleep 30"
wait_for "blocklab> " || { echo "dashboard: did not start"; exit 0; }
M='model new depth=4 width=64 heads=4 ctx=32; data task=reverse; probe rank grads attn updates every=5'
keys "$M; train steps=1000000" Enter
wait_for "A ▸ " || { echo "dashboard: run A did not start training"; exit 0; }
keys "run new B; block all preset=sasp; train steps=1000000" Enter
sleep 5
screen | grep -F -e "A ▸" -e "B ▸" | head -n 2 | sed 's/^/  status: /'

# A bare capture-pane round trip: the floor of what this method can measure.
t0=$(now_ms); for i in 1 2 3 4 5; do screen >/dev/null; done; t1=$(now_ms)
poll=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b - a) / 5}')

lat=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    word="zq$i"
    t0=$(now_ms)
    keys "$word"
    n=0
    while ! screen | grep -qF "blocklab> $word"; do
        n=$((n + 1)); [ $n -gt 2000 ] && break
    done
    t1=$(now_ms)
    lat="$lat $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}')"
    keys C-u
    sleep 0.2
done
keys "quit" Enter
for i in $(seq 50); do [ -s "$TMP/frames" ] && break; sleep 0.1; done
echo "== dashboard: 120x40, every pane live, two runs training (A Pre-LN, B SAS-P, depth 4 width 64) =="
echo "$lat" | tr ' ' '\n' | grep . | sort -n | awk -v poll="$poll" '{v[NR] = $1}
    END {printf "  key-to-screen (tmux): median %.1f ms, p90 %.1f ms, max %.1f ms over %d keys (a capture-pane round trip alone: %s ms)\n",
         v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR], NR, poll}'
# The same without tmux: a pty this script's Python owns (bench/keylat.py).
${PYTHON:-/usr/bin/python3} "$(dirname "$0")/keylat.py" "$BIN" 30 2>/dev/null || echo "  key-to-screen (pty): python3 did not run"
if [ -s "$TMP/frames" ]; then
    awk '{printf "  frame time (%s): median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms over %d frames\n", $2, $5, $7, $9, $11, $3}' "$TMP/frames"
else
    echo "  frame time: no frame log (did blocklab quit?)"
fi
