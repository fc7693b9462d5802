# sweep.sh — `sweep`: a chart whose x-axis is a setting. Points at the right
# x with one line per preset, every point in the CSV, values equal to the
# single-model probe with the same settings and seed, the lines kept by a
# later `model new`, and refusals that are one line and change nothing.
. tests/script/lib
# Tiny DeepNet-style models (bidirectional, Xavier): milliseconds a point.
K='width=16 heads=2 ctx=8 vocab=32 mlp_ratio=2 causal=off init=xavier'

bl -c "sweep depth=2,4,8 preset=postln,deepnorm probe=updates lr=0.1 $K; export csv sweep.updates file=$TMP/u.csv force=on"
expect "a sweep of 6 points runs" 0 "sweep done: 6 points"
expect "it counts its points" 0 "  6/6  depth=8 preset=deepnorm"
same "CSV: a header and every point" "$(grep -vc '^#' "$TMP/u.csv")" 7
same "x = the depths, one line per preset" "$(grep -v '^#' "$TMP/u.csv" | tail -n +2 | cut -d, -f1,2 | tr '\n' ' ')" \
    "postln,2 postln,4 postln,8 deepnorm,2 deepnorm,4 deepnorm,8 "
# Each point equals `model new ...; probe NAME` with the same settings.
for d in 2 8; do
    for p in postln deepnorm; do
        bl -c "model new depth=$d preset=$p $K; probe updates lr=0.1; export csv updates.sgd file=$TMP/one.csv force=on"
        one=$(tail -n 1 "$TMP/one.csv" | awk -F, '{print $NF}')
        swept=$(awk -F, -v p=$p -v d=$d '$1==p && $2==d {print $3}' "$TMP/u.csv")
        check "updates at depth $d $p: sweep $swept = probe $one" awk -v a="$swept" -v b="$one" 'BEGIN{exit !(a == b && a > 0)}'
    done
done
post8=$(awk -F, '$1=="postln" && $2==8 {print $3}' "$TMP/u.csv"); deep8=$(awk -F, '$1=="deepnorm" && $2==8 {print $3}' "$TMP/u.csv")
check "Post-LN's update is larger than DeepNorm's at depth 8 ($post8 vs $deep8)" awk -v a="$post8" -v b="$deep8" 'BEGIN{exit !(a > 2 * b)}'

bl -c "sweep depth=2,6 preset=preln,sas norm=rms probe=rank width=16 heads=2 ctx=8 vocab=32 mlp=off; export csv sweep.rank file=$TMP/r.csv force=on" \
   -c "model new depth=6 preset=sas norm=rms width=16 heads=2 ctx=8 vocab=32; block all mlp=off; probe rank; export csv rank.cos file=$TMP/one.csv force=on"
one=$(tail -n 1 "$TMP/one.csv" | awk -F, '{print $NF}')
swept=$(awk -F, '$1=="sas" && $2==6 {print $3}' "$TMP/r.csv")
check "rank at depth 6 sas (block keys as block all): sweep $swept = probe $one" awk -v a="$swept" -v b="$one" 'BEGIN{exit !(a == b)}'

bl -c "sweep depth=2,5 preset=postln probe=grads $K; export csv sweep.grads file=$TMP/g.csv force=on; model new depth=5 preset=postln $K; probe grads; export csv grads.global file=$TMP/one.csv force=on"
one=$(tail -n 1 "$TMP/one.csv" | awk -F, '{print $NF}')
swept=$(awk -F, '$2==5 {print $3}' "$TMP/g.csv")
check "grads at depth 5: sweep $swept = probe $one" awk -v a="$swept" -v b="$one" 'BEGIN{exit !(a == b && a > 0)}'

bl -c "sweep width=16,32 preset=preln,sas probe=params depth=3 heads=2 ctx=8 vocab=32; export csv sweep.params file=$TMP/p.csv force=on; model new width=32 preset=sas depth=3 heads=2 ctx=8 vocab=32; params"
total=$(printf '%s\n' "$out" | awk '/^total/ {gsub(",", "", $4); print $4}')
swept=$(awk -F, '$1=="sas" && $2==32 {print $3}' "$TMP/p.csv")
check "params at width 32 sas: sweep $swept = params $total" awk -v a="$swept" -v b="$total" 'BEGIN{exit !(a == b && a > 0)}'

# A short training run's final loss: the held-out loss `train` reports.
T='depth=1 width=16 heads=2 ctx=8'
bl -c "data task=copy symbols=4 length=3; sweep lr=1e-3,1e-2 probe=loss steps=5 $T; export csv sweep.loss file=$TMP/l.csv force=on; model new $T; train steps=5 lr=1e-2 log_every=5"
val=$(printf '%s\n' "$out" | sed -n 's/^done:.* val \([0-9.]*\).*/\1/p')
swept=$(awk -F, '$1 == "all" || $1 == "preln" {if ($2 > 0.009) printf "%.4f", $3}' "$TMP/l.csv")
same "loss after 5 steps at lr 1e-2: sweep = train's val" "$swept" "$val"

# The lines are the run's: `model new` keeps them, a labelled sweep adds one,
# the same label replaces it, a sweep over another key starts the chart afresh.
bl -c "sweep depth=2,4 probe=rank $K label=first; model new depth=2 $K; sweep depth=2,4,8 probe=rank $K label=second; sweep depth=3,4 probe=rank $K label=second; show"
expect "model new keeps a sweep" 0 "sweep.rank.first"
same "a second label adds a line, the same label replaces it" "$(printf '%s\n' "$out" | awk '$1 ~ /^sweep.rank/ {print $1, $2}' | tr '\n' ' ')" \
    "sweep.rank.first 2x2 sweep.rank.second 2x2 "
bl -c "sweep depth=2,4 probe=rank $K; sweep width=16,32 probe=rank depth=2 heads=2 ctx=8; show"
same "another x key replaces the chart's lines" "$(printf '%s\n' "$out" | awk '$1 ~ /^sweep.rank/ {print $1, $3, $4}')" "sweep.rank.preln by width"
bl -c "sweep depth=6,25,100,300,1000 preset=postln,deepnorm probe=params $K; show sweep.params width=80 height=16"
expect "the chart draws in the terminal, named by preset" 0 "postln"
expect "depth 6..1000 on a log axis" 0 "100"

# Refusals: one line (what, where, the allowed range) and nothing changes.
refuse() {  # refuse NAME COMMAND TEXT
    bl -k -c "model new depth=2 $K; probe rank" -c "$2" -c "show"
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$rc" = 1 ] && [ "$lines" = 1 ] && printf '%s' "$err" | grep -qF -- "$3" && ! printf '%s' "$out" | grep -q '^sweep'; then ok; else
        bad "$1: rc $rc, $lines error lines, wanted '$3'"
        printf '  stdout: %s\n  stderr: %s\n' "$(printf '%s' "$out" | tail -n 3)" "$err"
    fi
}
refuse "unknown key" "sweep depth=2,4 bogus=1" "unknown key 'bogus'"
refuse "a list for a key that cannot be swept" "sweep depth=2,4 probe=rank,updates" "probe=rank,updates: probe takes one value"
refuse "a value out of range" "sweep depth=2,5000" "depth=5000: out of range (expected 1 to 4096)"
refuse "a list of words as the x-axis" "sweep preset=postln,deepnorm depth=2,4" "the first list is the x-axis and needs numbers"
refuse "x not increasing" "sweep depth=4,2" "increasing order"
refuse "three lists" "sweep depth=2,4 width=16,32 heads=1,2" "at most two keys take lists"
refuse "too many points" "sweep depth=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 preset=preln,postln,sas,sasp" "68 points (17 x 4): at most 64"
refuse "a point that cannot be built" "sweep depth=2,4 heads=1,3 width=16" "point 2 (depth=2 heads=3): width=16 is not a multiple of heads=3"
refuse "a point over the memory budget" "sweep depth=2,4000 width=4096 probe=rank" "point 2 (depth=4000): this point: needs about"
refuse "steps without training" "sweep depth=2,4 steps=10" "only probe=loss trains"
refuse "loss without data" "sweep depth=2,4 probe=loss" "choose data first"
refuse "no list" "sweep depth=2" "sweep needs a key with a list of values"
bl -c "help sweep"
expect "help sweep" 0 "sweep KEY=V1,V2,..."
summary
