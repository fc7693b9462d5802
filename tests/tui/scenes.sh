#!/bin/sh
# scenes.sh — every scene in scenes/ is a lesson that plays in the dashboard
# as in batch: it reaches "end of scene" (a failed command ends a scene
# without it), no error line is on screen, the notes strip holds its last
# note, its figures are written, and every pane it names with `focus` (and the
# chart of its last `show`, and every sweep chart) has something drawn, not
# "no ... recorded yet".
. "$(dirname "$0")/lib"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# A scene may take two minutes on 2 loaded cores; the tour trains 2x600 steps.
SCENE_PATIENCE=${SCENE_PATIENCE:-300}

# SCENES="a.bl b.bl" plays only those (while working on a scene).
for f in "$ROOT"/scenes/*.bl; do
    [ -n "${SCENES:-}" ] && ! echo " $SCENES " | grep -qF " $(basename "$f") " && continue
    name=$(basename "$f")
    start 120 40 -- --tui "$f"
    if wait_for "end of scene" "$SCENE_PATIENCE"; then ok; else
        bad "$name: did not reach 'end of scene' in ${SCENE_PATIENCE}s"
        screen | sed 's/^/  | /' | tail -n 14
        continue
    fi
    if screen | grep -qE "$name:[0-9]+(:[0-9]+)?: "; then
        bad "$name: an error line is on screen"
        screen | grep -E "$name:[0-9]+" | sed 's/^/  | /'
    else ok; fi
    last=$(grep -E '^note ' "$f" | tail -n 1 | sed 's/^note "\{0,1\}//; s/"$//' | cut -c1-40)
    [ -n "$last" ] && shows "$name: the notes strip keeps the last note" "» $last"
    shows "$name: the strip says the scene ended" "(end of scene)"
    # Its figures, written into the folder it runs in (here: $TMP).
    for x in $(sed -n 's/^export \(png\|svg\|csv\) .*file=\([^ ]*\).*/\2/p' "$f"); do
        if [ -s "$TMP/$x" ]; then ok; else bad "$name did not write $x"; fi
    done
    # The panes the scene talks about, each zoomed in turn from the command line.
    for p in $(sed -n 's/^focus \([a-z]*\).*/\1/p' "$f" | sort -u) chart; do
        case $p in all|log) continue ;; esac
        grep -qE "^(focus $p|show [a-z])" "$f" || continue
        keys : "focus $p" Enter
        if wait_for "blocklab> " 5 && sleep 0.5 && ! screen | grep -qE "recorded yet|no run yet"; then ok; else
            bad "$name: pane '$p' is empty"
            screen | sed 's/^/  | /' | head -n 12
        fi
    done
    # Every sweep chart the scene draws, with all its points measured.
    for c in $(grep -E '^sweep ' "$f" | sed -n 's/.*probe=\([a-z]*\).*/\1/p' | sort -u); do
        keys : "show sweep.$c" Enter
        if wait_for "blocklab> " 5 && wait_for "chart: sweep.$c" 5 && ! screen | grep -qE "recorded yet|measured so far"; then ok; else
            bad "$name: chart sweep.$c is empty or unfinished"
            screen | sed 's/^/  | /' | head -n 12
        fi
    done
done

summary
