#!/bin/sh
# model.sh — model new, block, arch, params: building, refusing bad input
# without changing anything, the arch text round trip, and parameter counts.
. "$(dirname "$0")/lib"

spec() { "$BLOCKLAB" -c "$1; arch spec" 2>&1 | tail -n 1; }

# model new
bl -c 'model new'
expect "model new defaults" 0 "model: 2 blocks, width 64, 4 heads, ctx 32, vocab 16, 101,696 params"
bl -c 'model new depth=3 width=32 heads=2 ctx=16 vocab=20 mlp_ratio=2 bias=on causal=off norm=rms act=relu pos=sinusoidal init=xavier tie=off seed=9 preset=postln'
expect "model new every key" 0 "model: 3 blocks, width 32, 2 heads, ctx 16, vocab 20"
bl -c 'model new widht=64'
expect "unknown model key" 1 "-c:1:11: unknown model key 'widht'" stderr
bl -c 'model new skip.attn=off'
expect "block key given to model" 1 "'skip.attn' is a block key: use \`block all skip.attn=...\`" stderr
bl -c 'model new depth=0'
expect "depth out of range" 1 "-c:1:17: depth=0: out of range (expected 1 to 4096)" stderr
bl -c 'model new width=2.5'
expect "not a whole number" 1 "width=2.5: expected a whole number" stderr
bl -c 'model new norm=batch'
expect "bad enum" 1 "norm=batch: expected layer|rms|none" stderr
bl -c 'model new preset=nope'
expect "bad preset" 1 "unknown preset 'nope'" stderr
bl -c 'model new width=63'
expect "width not a multiple of heads" 1 "width=63 is not a multiple of heads=4" stderr
bl -c 'model new seed=-1'
expect "negative seed" 1 "seed=-1: expected a whole number >= 0" stderr

# block: ranges, keys, refusal leaves the model unchanged.
bl -c 'model new depth=4; block all preset=sas; block 0..1 norm=post; block 3 attn=off mlp=2 beta.ff~=0.3; arch'
expect "block ranges" 0 "blocks 0..1: norm=post (model rebuilt"
expect "arch table row" 0 "3       sas     seq     pre   off"
expect "arch trainable gain" 0 "0.3~"
bl -c 'block all preset=sas'
expect "block without a model" 1 "no model yet: start one with \`model new\`" stderr
bl -c 'model new depth=2; block 2 attn=off'
expect "block out of range" 1 "-c:1:26: block 2 does not exist: the model has blocks 0..1" stderr
bl -c 'model new depth=2; block 0..5 attn=off'
expect "range out of range" 1 "blocks 0..5 do not exist: the model has blocks 0..1" stderr
bl -c 'model new depth=2; block 1..0 attn=off'
expect "reversed range" 1 "range '1..0': the first block is after the last (write 0..1)" stderr
bl -c 'model new depth=2; block x attn=off'
expect "bad range" 1 "range 'x': expected all, a block number (3) or a range (0..5)" stderr
bl -c 'model new; block 0 depth=3'
expect "model key given to block" 1 "'depth' is a model-wide key: use \`model new depth=...\`" stderr
bl -c 'model new; block 0 attn=maybe'
expect "bad block value" 1 "-c:1:25: attn=maybe: expected mha|off" stderr
bl -c 'model new; block 0 attn~=off'
expect "~= on a block toggle" 1 "attn~=off: only scalar gains can be made trainable" stderr
bl -c 'model new; block 0'
expect "block without keys" 1 "block 0: expected key=value toggles" stderr
bl -c 'model new; block 0 layout=parallel norm=post'
expect "invalid combination" 1 "layout=parallel is defined with a pre-norm only" stderr
before=$(spec 'model new depth=3; block 1 preset=sas')
# -k runs on after a failure, so the state after a refused command can be seen.
for bad in 'block 1 layout=parallel norm=post' 'block 1 mlp=off attn=off' 'block 7 attn=off' 'block 0 mlp=0.001' \
    'model new width=63' 'model new depth=2 norm=batch'; do
    after=$("$BLOCKLAB" -k -c 'model new depth=3; block 1 preset=sas' -c "$bad" -c 'arch spec' 2>/dev/null | tail -n 1)
    same "refused '$bad' changes nothing" "$before" "$after"
done
bl -k -c 'model new depth=3; block 1 preset=sas' -c 'block 1 mlp=off attn=off' -c 'arch spec'
expect "empty block refused" 1 "block 1: attn=off and mlp=off leave the block empty" stderr

# arch text: pasted back, it rebuilds the same model (same text, same parameters).
for m in 'model new' \
    'model new depth=6 preset=deepnorm' \
    'model new depth=5 width=48 heads=3 norm=rms pos=sinusoidal act=relu bias=on tie=off seed=42' \
    'model new depth=4; block all preset=sas; block 2..3 preset=sasp; block 0 beta.ff~=0.2 alpha.sa=0.5' \
    'model new depth=3 preset=postln-init; block 1 value=id proj=id shape=vskip' \
    'model new depth=4 causal=off; block 1..2 mlp=1.5 skip.mlp=off; block 3 attn=off init.gain=0.5 xavier=on'; do
    a=$(spec "$m")
    b=$(spec "$a")
    same "arch round trip: $m" "$a" "$b"
    pa=$("$BLOCKLAB" -c "$m; params" | grep -v " available" | tail -n 1)   # free memory varies
    pb=$("$BLOCKLAB" -c "$a; params" | grep -v " available" | tail -n 1)
    same "arch round trip params: $m" "$pa" "$pb"
done
bl -c 'model new depth=2; arch'
expect "arch shows settings" 0 "mlp_ratio=4 norm=layer act=gelu pos=learned"
expect "arch groups identical blocks" 0 "0..1    preln"
expect "arch ends with the spec" 0 "model new depth=2 width=64 heads=4 ctx=32 vocab=16"
bl -c 'arch'
expect "arch without a model" 1 "no model yet" stderr

# params: grouped, totals; what-if counts allocate nothing (GPT-2 sizes are known).
bl -c 'model new depth=3; params'
expect "params groups blocks" 0 "blocks 0..2"
expect "params total" 0 "total        21 tensors"
expect "params equals model count" 0 "150,976"
bl -c 'params depth=48 width=1600 heads=25 ctx=1024 vocab=50257 bias=on'
expect "GPT-2 XL parameter count" 0 "1,557,611,200"
bl -c 'params depth=12 width=768 heads=12 ctx=1024 vocab=50257 bias=on'
expect "GPT-2 small parameter count" 0 "124,439,808"
bl -c 'params depth=3 preset=sas'
expect "params shows frozen-free gains" 0 "beta_ff"
bl -c 'params'
expect "params without a model counts the default" 0 "counting the default model"
bl -c 'params width=63'
expect "params checks the spec" 1 "width=63 is not a multiple of heads=4" stderr
bl -c 'params skip.attn=off'
expect "params takes model keys only" 1 "'skip.attn' is a block key" stderr

summary
