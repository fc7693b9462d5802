#!/bin/sh
# report.sh — `report DIR`: every chart of the runs as PNG + SVG + CSV and an
# index.html that is valid (xmllint, as HTML and as XML), self-contained, links
# only files that exist, and names the runs by their labels; an existing folder
# that is not a report is kept; a scene writes its report only in its folder.
. "$(dirname "$0")/lib"
M='model new depth=2 width=16 heads=2 ctx=8'
RUNS="$M; $TASK; run label A \"Pre-LN\"; probe rank grads attn scalars every=2; train steps=4; run new B label=\"SAS <&>\"; block all preset=sas; probe rank grads attn scalars every=2; train steps=4"

here=$(pwd)
cd "$TMP" || exit 1
bl -c "$RUNS; report rep"
cd "$here" || exit 1
expect "report writes" 0 "report: wrote rep/index.html with"
R="$TMP/rep"
check "index.html is valid HTML (xmllint --html)" xmllint --html --noout "$R/index.html"
check "index.html is well-formed XML (xmllint)" xmllint --noout "$R/index.html"
check "the report folder is marked" test -f "$R/.blocklab-report"
links=$(grep -oE '(src|href)="[^"#][^"]*"' "$R/index.html" | sed 's/^[a-z]*="//; s/"$//' | sort -u)
check "index.html links figures" test "$(printf '%s\n' "$links" | grep -c '^figures/')" -ge 30
for l in $links; do
    if [ -f "$R/$l" ]; then ok; else bad "index.html links $l, which is missing"; fi
done
check "nothing from a network" sh -c "! grep -qE '(src|href)=\"[a-z]+:' '$R/index.html' && ! grep -q '@import' '$R/index.html'"
n_png=$(ls "$R"/figures/*.png | wc -l)
same "every figure as PNG, SVG and CSV" "$n_png $(ls "$R"/figures/*.svg | wc -l) $(ls "$R"/figures/*.csv | wc -l)" "$n_png $n_png $n_png"
check "every PNG is a figure on the page" test "$(grep -c '<img ' "$R/index.html")" = "$n_png"
check "the label is in the page (escaped)" grep -q 'SAS &lt;&amp;&gt; <span class="meta">(run B)</span>' "$R/index.html"
check "no raw label markup" sh -c "! grep -q 'SAS <&>' '$R/index.html'"
check "the other label is in the page" grep -q 'Pre-LN <span class="meta">(run A)</span>' "$R/index.html"
check "labels in the SVG legend" grep -q '>Pre-LN loss</text>' "$R/figures/01-loss.svg"
check "labels in the SVG title" grep -q '>Pre-LN vs SAS &lt;&amp;&gt; · loss</text>' "$R/figures/01-loss.svg"
has() { ls "$R"/figures/$1 >/dev/null 2>&1; }
check "per-run figures named by label" has '[0-9][0-9]-rank.map-SAS.png'
check "attention per layer" has '[0-9][0-9]-attn-Pre-LN-layer1.png'
check "figures numbered in the page's order" has 01-loss.png
check "arch equations in the page" grep -q 'h = x + Attn(LN x)' "$R/index.html"
check "arch one-liner in the page" grep -q '<code>2x16 sas</code>' "$R/index.html"
check "settings in the page" grep -q 'optimizer  adamw lr=0.001' "$R/index.html"
check "parameter table in the page" grep -q 'subtotal x2' "$R/index.html"
check "scalar gains in the page" grep -q 'SAS &lt;&amp;&gt; · scalar gains' "$R/index.html"

# A second report replaces the first; nothing hidden is left beside it.
cd "$TMP" || exit 1
bl -c "$M; $TASK; train steps=2; report rep runs=A"
cd "$here" || exit 1
expect "a report replaces a report" 0 "report: wrote rep/index.html with"
nfig=$(sed -n 's/^report: wrote .* with \([0-9]*\) figures.*/\1/p' "$TMP/out")
check "the second report has fewer figures" test "$nfig" -lt "$n_png"
same "the old figures are gone" "$(ls "$R/figures" | wc -l | tr -d ' ')" "$((3 * nfig))"
same "no temporary folders left" "$(ls -A "$TMP" | grep -c '^\.rep\.')" "0"

# A folder that is not a report is kept, or with force=on moved aside.
mkdir -p "$TMP/mine" && echo notes >"$TMP/mine/notes.txt"
bl -c "$M; report $TMP/mine"
expect "a non-report folder is refused" 1 "the folder exists and is not a blocklab report; force=on" stderr
check "its files are untouched" sh -c "test \"\$(ls -A '$TMP/mine')\" = notes.txt"
bl -c "$M; report $TMP/mine force=on"
expect "force=on moves it aside" 0 "report: what $TMP/mine held before is in $TMP/mine.old"
check "the old files kept" test -f "$TMP/mine.old/notes.txt"
check "the report written" test -f "$TMP/mine/index.html"
echo x >"$TMP/file"
bl -c "$M; report $TMP/file"
expect "a file is not a folder" 1 "it exists and is not a folder" stderr
bl -c "report $TMP/none"
expect "no model: one line" 1 "report: nothing to report: no run has a model yet" stderr
check "no model: nothing written" test ! -e "$TMP/none"
bl -c "$M; report $TMP/no/such"
expect "a missing parent folder" 1 "no folder $TMP/no to write it in" stderr
bl -c "$M; report $TMP/r2 runs=Z"
expect "an unknown run" 1 "no run named 'Z'" stderr
check "refused: nothing written" test ! -e "$TMP/r2"

# A scene writes its report only inside its output folder.
mkdir -p "$TMP/scene" "$TMP/sout"
printf '%s\nreport ../escape\n' "$M" >"$TMP/scene/a.bl"
bl --out "$TMP/sout" "$TMP/scene/a.bl"
expect "a scene cannot write a report outside" 1 "a scene writes only inside its output folder" stderr
check "nothing outside" test ! -e "$TMP/escape"
printf '%s\nreport %s\n' "$M" "$TMP/sout" >"$TMP/scene/b.bl"
bl --out "$TMP/sout" "$TMP/scene/b.bl"
expect "a scene's report is not its output folder itself" 1 "into a folder inside its output folder" stderr
printf '%s\nreport handin\n' "$M" >"$TMP/scene/c.bl"
bl --out "$TMP/sout" "$TMP/scene/c.bl"
expect "a scene's report inside its folder" 0 "report: wrote $TMP/sout/handin/index.html"
same "only the report in the scene's folder" "$(ls -A "$TMP/sout")" "handin"

bl -c 'help report'
expect "help report" 0 "usage: report DIR"
summary
