# scenes.sh — every scene in scenes/ runs in batch mode, writes the figures
# it exports (PNG + CSV, in the directory it runs in), and the paper
# phenomena they exist to show come out as their notes say.
. tests/script/lib
ROOT=$(pwd)
mkdir -p "$TMP/scene"
for f in scenes/*.bl; do
    case $f in scenes/tour.bl) continue ;; esac   # the tour is the dashboard's (tests/tui)
    case $f in scenes/mixture-of-modules.bl) continue ;; esac   # writes figures: tests/script/mom.sh runs it in a scratch dir
    case $f in scenes/attention-as-mlp.bl) continue ;; esac   # writes figures: played below, in $TMP
    cd "$TMP/scene"; bl "$ROOT/$f"; cd "$ROOT"
    expect "$f runs" 0 ""
    for x in $(sed -n 's/^export \(png\|csv\) .*file=\([^ ]*\).*/\2/p' "$f"); do
        if [ -s "$TMP/scene/$x" ]; then ok; else bad "$f did not write $x"; fi
    done
done
ls "$TMP/scene"/*.png >/dev/null 2>&1 && ok || bad "no scene exported a PNG"
cd "$TMP/scene"
bl "$ROOT"/scenes/rank-collapse.bl
expect "skipless attention collapses" 0 "rank: mean token cosine 0.0088 at the embeddings -> 1.0000 after block 23"
expect "shaped attention keeps the cosine" 0 "rank: mean token cosine 0.0088 at the embeddings -> 0.0088 after block 23"
csv="$TMP/scene/rank-collapse-depth.csv"
check "by depth: skipless collapsed at 8 blocks, shaped flat at 128" awk -F, '$1=="skipless" && $2==8 {s=$3} $1=="shaped" && $2==128 {h=$3} END {exit !(s > 0.99 && h < 0.02)}' "$csv"
# deepnet.bl ran in the loop above (its sweeps reach depth 1000): its CSVs hold the lesson.
csv="$TMP/scene/deepnet-rank.csv"
check "Post-LN collapsed by depth 25, DeepNorm never" awk -F, '$1=="postln" && $2==25 {p=$3} $1=="deepnorm" {if ($3 > d) d=$3} END {exit !(p > 0.99 && d < 0.05)}' "$csv"
csv="$TMP/scene/deepnet-updates.csv"
same "updates at 5 depths for Post-LN and DeepNorm" "$(grep -v '^#' "$csv" | tail -n +2 | cut -d, -f1,2 | tr '\n' ' ')" \
    "postln,6 postln,25 postln,100 postln,300 postln,1000 deepnorm,6 deepnorm,25 deepnorm,100 deepnorm,300 deepnorm,1000 "
dF=$(awk -F, '$1 == "postln" || $1 == "deepnorm" {printf "%s ", $3}' "$csv")
check "Post-LN's update grows from depth 6, DeepNorm's is flat to 100 and below Post-LN's everywhere ($dF)" awk -v s="$dF" \
    'BEGIN{split(s, v, " "); ok = v[3] > 1.5 * v[1] && v[8] < 1.5 * v[6]; for (i = 1; i <= 5; i++) ok = ok && v[i + 5] < v[i] / 2; exit !ok}'
check "gradient norm per block at depth 50, both runs, named by their labels" awk -F, 'NR > 1 {n[$1]++} END {exit !(n["Post-LN"] == 50 && n["DeepNorm"] == 50)}' "$TMP/scene/deepnet-grads.csv"
bl "$ROOT"/scenes/beta-ff.bl
growth=$(grep 'token RMS' "$TMP/out" | sed 's/.*RMS \([0-9.e+-]*\) -> \([0-9.e+-]*\);.*/\2/' | tr '\n' ' ')
check "beta_FF=1 explodes, 0.1 stays flat ($growth)" awk -v s="$growth" 'BEGIN{split(s, v, " "); exit !(v[1] > 1000 * v[2])}'
# Rethinking Attention in miniature: an L student keeps the teacher's answers,
# XS does not; the hybrid breaks past its distilled length; figures exported.
(cd "$TMP" && "$BLOCKLAB" "$ROOT/scenes/attention-as-mlp.bl" >"$TMP/out" 2>"$TMP/err"); rc=$?
out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
expect "attention-as-mlp runs" 0 "The hybrid breaks past the longest distilled length"
expect "L student keeps reverse" 0 "run L is now run A with block 0..0 as alr students: held-out exact 1.000 (teacher 1.000)"
expect "XS student fails" 0 "run XS is now run A with block 0..0 as alr students: held-out exact 0.000"
sh_line=$(grep -A1 "^eval run SH" "$TMP/out" | tail -n 1)
check "hybrid right up to length 8, wrong past it ($sh_line)" awk -v s="$sh_line" 'BEGIN { n = split(s, v, " "); for (i = 1; i <= n; i++) { split(v[i], kv, ":"); a[kv[1]] = kv[2] } exit !(a[6] > 0.8 && a[12] < 0.2) }'
for f in mse hybrid length; do check "figure $f exported" test -s "$TMP/attention-as-mlp-$f.png"; done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
