#!/bin/sh
# sizes.sh — every size the docs allow is counted exactly or refused with one
# line naming the memory it needs (issue 10, findings 1 and 8): no abort, no
# heap corruption, and a refused command changes nothing.
. "$(dirname "$0")/lib"
cd "$TMP" || exit 1

# Finding 1: this aborted with "double free or corruption" after ~35 s.
bl -c 'model new depth=1 width=8192 heads=4 vocab=1000000'
expect "a model past memory is refused" 1 "model new: needs about"
expect "the refusal names the available memory" 1 "is available; force=on builds it anyway" stderr
check "the refusal is one line" test "$(printf '%s\n' "$err" | wc -l)" -eq 1
bl -c 'model new depth=4096 width=8192 heads=4 ctx=4096 vocab=1000000'
expect "the largest model the help allows is refused" 1 "TB (weights+grads"
bl -k -c "$TINY; model new depth=1 width=8192 heads=4 vocab=1000000; arch spec"
expect "a refused model new changes nothing" 1 "model new depth=1 width=16 heads=2 ctx=8" stdout
bl -k -c "$TINY; block 0 mlp=64 force=off; model new width=8192 heads=4 vocab=1000000 depth=64; arch spec"
expect "block rebuilds are budgeted too" 1 "model new depth=1 width=16" stdout

# Finding 1: params printed a negative tensor size, and mlp_ratio=64 counted a tensor as 0.
bl -c 'params width=8192 vocab=1000000'
expect "params counts past 2^31" 0 "(1000000, 8192)  8,192,000,000"
check "no negative count" sh -c "! printf '%s' \"\$1\" | grep -q -- '  -[0-9]'" sh "$out"
bl -c 'params depth=1 width=8192 heads=4 mlp_ratio=64'
expect "mlp_ratio=64 counts its tensors" 0 "(524288, 8192)  4,294,967,296"
bl -c 'params depth=4096 width=8192 heads=4 ctx=4096 vocab=1000000'
expect "params counts the largest model without allocating" 0 "3,306,"
expect "params shows what training it would need" 0 "memory to train at batch 32: about"

# train: the step's activations and the moments are budgeted before allocating.
bl -k -c "model new depth=1 width=64 heads=4 ctx=4096; $TASK; train steps=1 batch=65536; train steps=1 batch=2"
expect "a batch past memory is refused" 1 "train: needs about"
expect "and training still works after" 1 "done: 1 step"

# probe: its own tape (batch 4) and kept attention maps come on top of the model.
bl -k -c "model new depth=48 width=256 heads=64 ctx=4096 force=on; probe attn; probe grads; arch spec"
expect "a probe past memory is refused" 1 "probe: needs about"
expect "the probe refusal says how to override" 1 "force=on probes anyway" stderr
expect "a refused probe changes nothing" 1 "model new depth=48 width=256 heads=64 ctx=4096" stdout
check "each refused probe is one line" test "$(printf '%s\n' "$err" | wc -l)" -eq 2
bl -c "$TINY; probe rank attn updates force=off"
expect "a probe that fits runs" 0 "rank: mean token cosine"

# Finding 8: SGD's momentum was reused as Adam's first moment (val loss 2.20 -> 2.55).
bl -c "$TINY; $TASK; train steps=3 opt=sgd; train steps=1 opt=adamw"
expect "an optimizer switch starts fresh moments" 0 "train: optimizer sgd -> adamw: fresh optimizer moments"
a=$("$BLOCKLAB" -c "$TINY; $TASK; train steps=3 opt=sgd; save s.safetensors; train steps=2 opt=adamw log_every=1" | awk '/^step/ {print $2, $4, $6}' | tail -n 2)
b=$("$BLOCKLAB" -c "load s.safetensors; train steps=2 opt=adamw log_every=1" | awk '/^step/ {print $2, $4, $6}')
same "a switch equals a fresh optimizer on the same weights" "$a" "$b"

# Checkpoints hold training states to train's ranges; the edges themselves load.
bl -c "$TINY; $TASK; train steps=1 eps=1e-12 beta2=0.99999 beta1=0.9999 lr=1e-9 wd=10 min_lr_frac=1; save edge.safetensors; load edge.safetensors"
expect "settings at the edges of their ranges save and load" 0 "loaded edge.safetensors"

summary
