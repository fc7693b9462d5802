#!/bin/sh
# tour.sh — `make run`'s first screen: the tour scene in the dashboard builds
# runs A (Pre-LN) and B (SAS-P), trains both side by side and says what to
# look at; the panes fill in; keys work meanwhile; q asks, then leaves.
. "$(dirname "$0")/lib"
TOUR="$(cd "$(dirname "$0")/../.." && pwd)/scenes/tour.bl"

start 120 40 -- --tui "$TOUR"
shows "the tour's first note" "» Two runs learn to sort 12 symbols"
shows "run A trains" "A ▸ "
shows "run B trains alongside" "B ▸ "
shows "the status bar follows the scene" "tour.bl "
shows "the loss pane overlays both runs" "runs A vs B · loss"
# The tour zooms the rank pane (focus rank) once both runs reach step 100.
PATIENCE=${TOUR_PATIENCE:-240} shows "the tour zooms the rank pane; its line overlays both runs" "runs A vs B · mean token cosine"
shows "the single-run panes show the current run" "run A · mean token cosine, layer x step"
shows "the notes strip holds the current note" "» Rank collapse, run A"
keys '?'
shows "keys answer while the tour trains" "blocklab dashboard: help"
keys Escape
hides "the help closes" "blocklab dashboard: help"
keys q
shows "q asks while the tour trains" "Quit anyway?"
keys y
shows "y leaves with status 0" "EXIT=0"

summary
