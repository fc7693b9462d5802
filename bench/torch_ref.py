"""torch_ref.py — the PyTorch reference for `make bench`: the same GPT-2-style
model as bench_train.c (biases on every linear and norm, tied head, GELU-tanh,
Pre-LN, learned positions), idiomatic nanoGPT-style PyTorch, AdamW, trained on
random tokens. Prints one line in bench_train's format.
Usage: torch_ref.py CONFIG [steps]     (CONFIG = S | M)
Run with torch intra-op threads = 1 (set here) and OPENBLAS_NUM_THREADS=2:
Debian's torch runs two thread pools that fight otherwise."""
import math
import sys
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
# BENCH_CLOCK=cpu: this thread's CPU time, which a loaded machine does not inflate
# (with one intra-op thread all the work runs on it), as bench_train does.
clock = time.thread_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter

CONFIGS = {
    "S": dict(vocab=128, depth=4, width=128, heads=4, ctx=64, batch=16),
    "M": dict(vocab=128, depth=6, width=256, heads=8, ctx=128, batch=8),
}


class Block(nn.Module):
    def __init__(self, C, H, T):
        super().__init__()
        self.H = H
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.out = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.ones(T, T, dtype=torch.bool).tril())

    def attn(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (z.view(B, T, self.H, C // self.H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        return self.proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, depth, width, heads, ctx, **_):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(ctx, width)
        self.blocks = nn.ModuleList(Block(width, heads, ctx) for _ in range(depth))
        self.ln_f = nn.LayerNorm(width)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    cfg = sys.argv[1] if len(sys.argv) > 1 else "S"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    c = CONFIGS[cfg]
    torch.manual_seed(0)
    model = GPT(**c)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "wte" not in n and "wpe" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "wte" not in n and "wpe" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.95))
    B, T = c["batch"], c["ctx"]
    times = []
    for i in range(steps + 3):
        idx = torch.randint(0, c["vocab"], (B, T))
        t0 = clock()
        loss = model(idx, torch.roll(idx, -1, 1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i >= 3:
            times.append((clock() - t0) * 1e3)
    times.sort()
    med = times[len(times) // 2]
    n = sum(p.numel() for p in model.parameters())
    print(f"torch {cfg} preln params {n} ms/step {med:.2f} tok/s {B * T / (med / 1e3):.0f} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
