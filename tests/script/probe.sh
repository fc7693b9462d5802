# probe.sh — probe, show and export as a person uses them: numbers recorded,
# printed, drawn as text, written as PNG/SVG/CSV; errors for bad names, missing
# series, existing files and missing directories.
. tests/script/lib
M='model new depth=3 width=32 heads=2 ctx=8 preset=sas'
D='data task=copy symbols=4 length=3'

bl -c "$M; probe rank"
expect "rank at init" 0 "rank: mean token cosine"
bl -c "$M; model new depth=12 width=32 heads=2 ctx=8; block all mlp=off skip.attn=off; probe rank; show rank.cos"
expect "collapse shows in numbers" 0 "rank.cos at step 0 (by layer):"
last=$(printf '%s\n' "$out" | grep -A2 'rank.cos at step 0' | tail -n 1 | awk '{print $NF}')
check "skipless attention collapses (cos > 0.9 at layer 12)" awk -v v="$last" 'BEGIN{exit !(v > 0.9)}'
bl -c "$M; probe updates lr=0.1"
expect "updates at init: one SGD step" 0 "after one plain SGD step (lr 0.1)"
bl -c "$M; probe grads lnin attn scalars"
expect "grads at init" 0 "grads: global norm"
expect "attn at init" 0 "attn: 3 layers x 2 heads recorded"
expect "scalars" 0 "scalars: 29 trainable gains, from 0.1 to 1"
bl -c "$M; probe scalars; show scalars"
expect "show scalars draws the chart" 0 "scalar gains"
# Scalar gains are readable: a gain x block heatmap (rows named by the key a
# person types), the same in SVG and CSV; layer= draws one block over steps.
bl -c "$M; $D; probe scalars every=2; train steps=4 log_every=4; export svg scalars file=$TMP/g.svg; export csv scalars file=$TMP/g.csv; export svg scalars layer=1 file=$TMP/g1.svg; export csv scalars layer=1 file=$TMP/g1.csv"
expect "scalars export" 0 "wrote $TMP/g1.csv"
for k in beta.sa alpha.ff beta.ff alpha.attn beta.attn gamma.attn; do
    check "scalars SVG names row $k" grep -q ">$k</text>" "$TMP/g.svg"
done
check "scalars SVG: rows, not a legend of 29 parameter names" sh -c "! grep -q 'blocks.0.attn.alpha' '$TMP/g.svg'"
same "scalars CSV: 8 kinds x 3 blocks" "$(grep -v '^#' "$TMP/g.csv" | awk -F, 'NR > 1' | wc -l | tr -d ' ')" "24"
check "scalars CSV: alpha.v only in block 0" sh -c "grep -q '^3,0,alpha.v,0,' '$TMP/g.csv' && grep -q '^3,1,alpha.v,1,nan' '$TMP/g.csv'"
check "layer=1 is honoured (title)" grep -q '>run A · scalar gains of block 1</text>' "$TMP/g1.svg"
same "layer=1: one line per gain of block 1, 3 probes each" "$(grep -v '^#' "$TMP/g1.csv" | awk -F, 'NR > 1 {print $1}' | sort -u | tr '\n' ' ')" "alpha.attn alpha.ff beta.attn beta.ff beta.sa gamma.attn "
bl -c "$M; probe scalars; show scalars layer=7"
expect "layer= beyond the blocks is refused" 1 "layer=7: the gains recorded are of blocks 0..2" stderr
bl -c "$M; probe rank; show rank layer=1"
expect "layer= on a chart without layers is refused" 1 "layer=1: chart 'rank' has no layer to pick (charts that take layer=: attn, scalars, router.step)" stderr
bl -c "$M; $D; train steps=1; export png loss head=1 file=$TMP/nohead.png"
expect "head= on a chart without heads is refused" 1 "head=1: chart 'loss' has no head to pick" stderr
check "nothing written when refused" test ! -e "$TMP/nohead.png"
bl -c "$M; show scalars"
expect "the hint is true for a model with gains" 1 "no 'scalars' recorded yet: run \`probe scalars every=N\` while training" stderr
check "no 'the model needs' claim" sh -c "! grep -q 'needs trainable gains' '$TMP/err'"
bl -c "$M; probe bogus"
expect "unknown probe" 1 "unknown NAME 'bogus' (expected rank|updates|grads|lnin|attn|scalars|router|knockout|modules|all|off)" stderr
bl -c "$M; probe rank off"
expect "off with names" 1 "takes no probe names" stderr

bl -c "$M; $D; probe rank grads every=5; train steps=20 log_every=10; show"
expect "probes while training" 0 "rank.cos"
same "rank recorded at 0,5,10,15,20" "$(printf '%s\n' "$out" | awk '$1=="rank.cos"{print $(NF-1)}')" 5
same "grads recorded at 0,5,10,15,20" "$(printf '%s\n' "$out" | awk '$1=="grads.block"{print $(NF-1)}')" 5
same "loss every step" "$(printf '%s\n' "$out" | awk '$1=="loss"{print $(NF-1)}')" 20

# Probing must not change training: the same losses with and without.
bl -c "$M; $D; train steps=15 log_every=1 eval_every=0"
a=$(grep '^step' "$TMP/out" | awk '{print $3}')
bl -c "$M; $D; probe all every=1; train steps=15 log_every=1 eval_every=0"
b=$(grep '^step' "$TMP/out" | awk '{print $3}')
same "probes do not change training" "$a" "$b"

bl -c "$M; $D; train steps=10; show gnorm"
expect "show a scalar series" 0 "gnorm: 10 records, steps 1..10"
bl -c "$M; $D; train steps=10; show loss width=60 height=12"
expect "show a chart as text" 0 "run A"
check "text chart has no escape codes" sh -c "! grep -q \"$(printf '\033')\" $TMP/out"
bl -c "$M; show rank.cos"
expect "missing series" 1 "no series or chart 'rank.cos'" stderr
bl -c "$M; show rank"
expect "chart without data says what to run" 1 "run \`probe rank\`" stderr

bl -c "$M; $D; probe rank attn every=5; train steps=10; export png rank file=$TMP/r.png; export svg loss file=$TMP/l.svg; export csv rank.cos file=$TMP/r.csv; export png attn layer=1 head=-1 file=$TMP/a.png; export csv loss file=$TMP/loss.csv"
expect "exports" 0 "export: wrote $TMP/r.png"
check "png written" sh -c "head -c 8 $TMP/r.png | od -An -c | grep -q 'P   N   G'"
check "svg is well-formed" sh -c "command -v xmllint >/dev/null || exit 0; xmllint --noout $TMP/l.svg"
same "tidy csv header" "$(head -n 1 "$TMP/r.csv")" "run,step,layer,head,name,index,value"
same "tidy csv rows: 3 records x 4 layers" "$(tail -n +2 "$TMP/r.csv" | wc -l | tr -d ' ')" 12
check "csv layer column" grep -q '^A,10,3,,rank.cos,,' "$TMP/r.csv"
bl -c "$M; $D; train steps=3; export csv loss file=$TMP/loss.csv"
expect "no overwrite without force" 1 "exists" stderr
expect "the refusal names the key as typed" 1 "loss.csv already exists (force=on overwrites it)" stderr
bl -c "$M; $D; train steps=3; export csv loss file=$TMP/loss.csv force=on"
expect "overwrite with force" 0 "export: wrote"
bl -c "$M; $D; train steps=3; export png loss file=$TMP/no/such/dir/x.png"
expect "missing directory" 1 "does not exist" stderr
check "nothing half-written" sh -c "! ls $TMP/*.tmp* 2>/dev/null | grep -q ."
bl -c "$M; $D; train steps=3; run new B; train steps=3; export csv loss runs=A,B file=$TMP/ab.csv"
expect "two runs in one chart" 0 "export: wrote"
check "both runs in the csv" sh -c "grep -q '^A loss,' $TMP/ab.csv && grep -q '^B loss,' $TMP/ab.csv"
bl -c "$M; export png loss runs=A,Z"
expect "unknown run" 1 "no run named 'Z'" stderr

bl -c "$M; $D; train steps=2; export torch $TMP/pkg"
expect "export torch" 0 "train_ddp.py"
check "package files" sh -c "test -f $TMP/pkg/checkpoint.st && test -f $TMP/pkg/blocklab_model.py && test -f $TMP/pkg/train_ddp.py"
bl -c "$M; export torch $TMP/pkg"
expect "export torch refuses a full directory" 1 "" stderr

bl -c "help probe"
expect "help lists the probe names" 0 "NAME is one or more of: rank updates grads lnin attn scalars router knockout modules all off"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
