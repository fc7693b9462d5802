"""test_parity.py — blocklab against PyTorch on the same weights and tokens.

For each architecture, build/tests/parity_dump writes blocklab's initial
checkpoint and its logits, gradients and 5 AdamW-step losses; this script
rebuilds the model in PyTorch (tools/torch/blocklab_model.py) in float64 — the
reference — and requires:
  logits      max|c − t| <= 1e-4 · max|t|
  gradients   per tensor, max|c − t| <= 1e-3 · max(max|t|, 1e-2 · largest gradient entry)
  AdamW       |loss_c − loss_t| <= 1e-4 · |loss_t| after each of 5 steps
Run with Debian's torch: /usr/bin/python3 tests/parity/test_parity.py
"""
import os
import subprocess
import sys
import tempfile

from harness import check, summary, run_all, tally, dump_tool  # noqa: F401 (first: it puts tools/torch on sys.path)
import numpy as np  # noqa: E402

import torch  # noqa: E402

from blocklab_model import BlocklabModel, read_safetensors  # noqa: E402

torch.set_num_threads(1)
DUMP = dump_tool("parity_dump")
BASE = "model new depth=2 width=32 heads=4 ctx=8 vocab=11 mlp_ratio=4"

CONFIGS = [
    ("preln bias=off", BASE + " bias=off"),
    ("preln bias=on (GPT-2 style)", BASE + " bias=on"),
    ("preln untied rms relu", BASE + " tie=off norm=rms act=relu"),
    ("preln sinusoidal", BASE + " pos=sinusoidal"),
    ("postln", BASE + " preset=postln"),
    ("parallel", BASE + " preset=parallel bias=on"),
    ("vskipinit", BASE + " preset=vskipinit"),
    ("sas (shaped, trainable a/b/g, layer-1 W^V)", BASE + " preset=sas norm=rms act=relu"),
    ("sasp", BASE + " preset=sasp"),
    ("sasp norm=off", BASE + " preset=sasp; block all norm=off"),
    ("deepnorm", BASE + " preset=deepnorm"),
    ("postln-init", BASE + " preset=postln-init"),
    ("encoder (causal=off) sas", BASE + " causal=off preset=sas"),
    ("attention-only skipless", BASE + "; block all mlp=off skip.attn=off"),
    ("mlp-only", BASE + "; block all attn=off"),
    ("preln ctx=72", "model new depth=2 width=32 heads=4 ctx=72 vocab=11 bias=on"),
    ("sas ctx=72", "model new depth=2 width=32 heads=4 ctx=72 vocab=11 preset=sas"),
    # Heads of 16 or 32 at short contexts take core/attn_kernel.c's loops, not OpenBLAS.
    ("preln heads of 16, ctx=13 (attention kernels)", "model new depth=2 width=32 heads=2 ctx=13 vocab=11 bias=on"),
    ("sas heads of 16, ctx=13 (attention kernels)", "model new depth=2 width=32 heads=2 ctx=13 vocab=11 preset=sas"),
    ("encoder sasp heads of 32, ctx=9 (attention kernels)",
     "model new depth=2 width=64 heads=2 ctx=9 vocab=11 causal=off preset=sasp"),
    # Mixture-of-Modules (spec §A): routers, pools, SKIP, top-K, the aux loss in the objective.
    ("mom gru 4+4 H=4 K=1", BASE + " stack=mom attn_pool=4 ffn_pool=4 steps=4 topk=1"),
    ("mom gru 3+2 H=3 K=2 bias", BASE + " stack=mom attn_pool=3 ffn_pool=2 steps=3 topk=2 bias=on"),
    ("mom mlp 2+3 H=5 K=1 raw weights", BASE + " stack=mom attn_pool=2 ffn_pool=3 steps=5 router=mlp renorm=off"),
    ("mom static bottom/anchor/top rms", BASE + " stack=mom attn_pool=2 ffn_pool=2 steps=2 topk=2 bottom=1 anchor=on top=1 norm=rms"),
    # Attention replaced by students (Rethinking Attention): every mode, both forms.
    # AdamW at lr 1e-3 (the distillation recipe's scale), not 1e-2: a student's
    # LayerNorm over ctx*width inputs has thousands of weights whose gradients
    # are near zero, and Adam turns each into a step of about lr whatever its
    # float32 rounding sign, which moves the loss by ~2e-4 after 5 steps at 1e-2.
    ("hybrid mlp-alr causal", BASE + " bias=on; block 1 attn=mlp-alr student=m", 1e-3),
    ("hybrid mlp-aslr causal", BASE + "; block 0 attn=mlp-aslr student=l", 1e-3),
    ("hybrid mlp-alrr encoder", BASE + " causal=off; block 0 attn=mlp-alrr student=s", 1e-3),
    ("hybrid mlp-elr encoder + alr", BASE + " causal=off; block 0 attn=mlp-elr student=xs; block 1 attn=mlp-alr", 1e-3),
    ("hybrid mlp-elr causal, all blocks", BASE + "; block all attn=mlp-elr student=m", 1e-3),
    # Two students in a row: float32 finite differences through stacked
    # LeakyReLU students cross kinks too often to judge these (see
    # tests/unit/test_hybrid.c); the float64 reference does.
    ("hybrid mlp-alr causal, all blocks, bias", BASE + " bias=on; block all attn=mlp-alr", 1e-3),
    ("hybrid mlp-aslr encoder, all blocks", BASE + " causal=off; block all attn=mlp-aslr student=m", 1e-3),
]



def rel_max(c, t):
    scale = float(np.max(np.abs(t)))
    return float(np.max(np.abs(c - t))) / scale if scale > 0 else float(np.max(np.abs(c - t)))


def run_config(label, arch, lr=None):
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([DUMP, d, arch] + (["5", str(lr)] if lr else []), capture_output=True, text=True)
        if r.returncode != 0:
            check(False, f"{label}: parity_dump failed: {r.stderr.strip()}")
            return
        model, _ = BlocklabModel.from_checkpoint(os.path.join(d, "init.st"))
        ref, meta = read_safetensors(os.path.join(d, "ref.st"))
    model = model.double()
    tok = torch.from_numpy(ref["tokens"].astype(np.int64))
    tg = torch.from_numpy(ref["targets"].astype(np.int64))
    mask = torch.from_numpy(ref["mask"].astype(np.float64))

    logits = model(tok)
    e_logits = rel_max(ref["logits"], logits.detach().numpy())
    check(e_logits <= 1e-4, f"{label}: logits rel err {e_logits:.2e} > 1e-4")

    loss = model.loss(tok, tg, mask)
    loss.backward()
    worst, worst_name = 0.0, ""
    names = dict(model.named_parameters())
    # Floor: an error below 1e-5 of the largest gradient entry is float32 rounding
    # (scalar-gain gradients are sums over B*T*C terms that nearly cancel).
    gmax = max(float(p.grad.abs().max()) for p in names.values())
    for name, p in names.items():
        bname = model.to_blocklab_name(name)
        key = "grad." + bname
        if key not in ref:
            check(False, f"{label}: blocklab has no gradient for {bname}")
            continue
        t = p.grad.detach().numpy().reshape(ref[key].shape)
        e = float(np.max(np.abs(ref[key] - t))) / max(float(np.max(np.abs(t))), 1e-2 * gmax)
        if e > worst:
            worst, worst_name = e, bname
    check(worst <= 1e-3, f"{label}: gradient of {worst_name} rel err {worst:.2e} > 1e-3")

    # AdamW, same hyper-parameters as parity_dump, on the same batch.
    import json

    h = json.loads(meta["adamw"])
    opt = torch.optim.AdamW(model.param_groups(h["weight_decay"]), lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"])
    losses = []
    steps = len(ref["adam_losses"]) - 1
    for k in range(steps + 1):
        opt.zero_grad()
        l = model.loss(tok, tg, mask)
        losses.append(l.item())
        if k == steps:
            break
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), h["clip"])
        opt.step()
    c = ref["adam_losses"].astype(np.float64)
    e_adam = float(np.max(np.abs(c - np.array(losses)) / np.abs(np.array(losses))))
    check(e_adam <= 1e-4, f"{label}: AdamW losses rel err {e_adam:.2e} > 1e-4 (blocklab {c.tolist()} torch {losses})")
    print(f"  {label:44s} logits {e_logits:.1e}  grads {worst:.1e} ({worst_name})  adam {e_adam:.1e}  loss {losses[0]:.4f} -> {losses[-1]:.4f}")


def main():
    return run_all(DUMP, CONFIGS, run_config)


if __name__ == "__main__":
    sys.exit(main())
