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
bl "$ROOT"/scenes/deepnet.bl
expect "Post-LN collapses at depth 25" 0 "-> 1.0000 after block 24"
expect "DeepNorm does not" 0 "-> 0.0063 after block 24"
dF=$(grep 'after one plain SGD step' "$TMP/out" | sed 's/.* = \([0-9.]*\) .*/\1/' | tr '\n' ' ')
check "Post-LN update grows with depth, DeepNorm's stays flat ($dF)" awk -v s="$dF" 'BEGIN{split(s, v, " "); exit !(v[2] > 1.5 * v[1] && v[4] < 1.5 * v[3] && v[3] < v[1])}'
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
