"""test_student.py — blocklab's attention-replacing student against PyTorch.

For each mode (ALR, ASLR, ALRR, ELR), form (causal, encoder) and a few sizes,
build/tests/student_dump writes a student's initial weights, a batch with
padding, blocklab's output, masked-MSE loss, gradients (weights and input),
and the losses of 5 steps of the distillation recipe (Adam 0.9/0.98/1e-9, lr
1e-4 for ALR, 1e-3 otherwise). This script rebuilds the student in float64
PyTorch the way the official code runs it (tools/torch/blocklab_student.py:
the causal form as one full pass per position over the zeroed future) and
requires:
  output      max|c - t| <= 1e-4 * max|t|
  gradients   per tensor, max|c - t| <= 1e-3 * max(max|t|, 1e-2 * largest entry)
  recipe      |loss_c - loss_t| <= 1e-4 * |loss_t| after each of 5 steps
Run with Debian's torch: /usr/bin/python3 tests/parity/test_student.py
"""
import json
import os
import subprocess
import sys
import tempfile

from harness import check, summary, run_all, dump_tool  # (first: it puts tools/torch on sys.path)
import numpy as np  # noqa: E402
import torch  # noqa: E402

from blocklab_model import read_safetensors  # noqa: E402
from blocklab_student import Student, masked_mse  # noqa: E402

torch.set_num_threads(1)
DUMP = dump_tool("student_dump")

# (mode, size, causal, L, width, heads, T)
CONFIGS = [(m, "l", c, 6, 8, 2, 5) for m in ("alr", "aslr", "alrr", "elr") for c in (1, 0)] + [
    ("alr", "xs", 1, 8, 16, 4, 8),
    ("alr", "m", 0, 8, 16, 4, 8),
    ("elr", "s", 1, 8, 16, 4, 6),
    ("alr", "l", 1, 6, 8, 2, 6),  # T = L
    ("aslr", "m", 0, 6, 8, 2, 6),
]


def rel_max(c, t):
    scale = float(np.max(np.abs(t)))
    return float(np.max(np.abs(c - t))) / (scale if scale > 0 else 1.0)


def run(mode, size, causal, L, d, heads, T):
    label = f"{mode} {size} {'causal' if causal else 'encoder'} L={L} d={d} T={T}"
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([DUMP, tmp, mode, size, str(causal), str(L), str(d), str(heads), str(T)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            check(False, f"{label}: student_dump failed: {r.stderr.strip()}")
            return
        ref, meta = read_safetensors(os.path.join(tmp, "student.st"))
    recipe = json.loads(meta["recipe"])
    st = Student(mode, causal, L, d, heads, recipe["hidden"]).double()
    params = dict(st.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(torch.from_numpy(ref[name].astype(np.float64)))
    x = torch.from_numpy(ref["x"].astype(np.float64)).requires_grad_(True)
    target = torch.from_numpy(ref["target"].astype(np.float64))
    valid = torch.from_numpy(ref["valid"].astype(np.float64))

    y = st(x, valid)
    e_y = rel_max(ref["y"], y.detach().numpy())
    check(e_y <= 1e-4, f"{label}: output rel err {e_y:.2e} > 1e-4")
    loss = masked_mse(y, target, valid)
    e_loss = abs(float(ref["loss"][0]) - loss.item()) / abs(loss.item())
    check(e_loss <= 1e-5, f"{label}: loss rel err {e_loss:.2e}")
    loss.backward()
    grads = {"x": x.grad}
    for name, p in params.items():
        grads[name] = p.grad
    gmax = max(float(g.abs().max()) for g in grads.values())
    worst, worst_name = 0.0, ""
    for name, g in grads.items():
        t = g.detach().numpy()
        e = float(np.max(np.abs(ref["grad." + name] - t))) / max(float(np.max(np.abs(t))), 1e-2 * gmax)
        if e > worst:
            worst, worst_name = e, name
    check(worst <= 1e-3, f"{label}: gradient of {worst_name} rel err {worst:.2e} > 1e-3")

    opt = torch.optim.Adam(st.parameters(), lr=recipe["lr"], betas=(recipe["beta1"], recipe["beta2"]), eps=recipe["eps"])
    c = ref["adam_losses"].astype(np.float64)
    losses = []
    x = x.detach()
    for k in range(len(c)):
        opt.zero_grad()
        l = masked_mse(st(x, valid), target, valid)
        losses.append(l.item())
        if k == len(c) - 1:
            break
        l.backward()
        opt.step()
    e_adam = float(np.max(np.abs(c - np.array(losses)) / np.abs(np.array(losses))))
    check(e_adam <= 1e-4, f"{label}: recipe losses rel err {e_adam:.2e} (blocklab {c.tolist()} torch {losses})")
    check(losses[-1] < losses[0], f"{label}: the recipe did not lower the loss ({losses[0]} -> {losses[-1]})")
    print(f"  {label:40s} y {e_y:.1e}  grads {worst:.1e} ({worst_name})  adam {e_adam:.1e}  mse {losses[0]:.4f} -> {losses[-1]:.4f}")


def main():
    return run_all(DUMP, CONFIGS, run)


if __name__ == "__main__":
    sys.exit(main())
