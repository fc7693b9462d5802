"""blocklab_student.py — the shallow feed-forward student that replaces attention
("Rethinking Attention", Bozic et al.), as blocklab computes it (core/student.c):

    LN(L*d) -> Linear(L*d -> h) -> LeakyReLU(0.01) -> LN(h) -> Linear(h -> out) -> *mask

Written the way the official code runs it, not the way blocklab computes it:
the encoder form is one pass over the zero-padded flattened sequence; the
causal form runs the whole network once per position i on the sequence with
positions > i (and padding) zeroed (FFNetwork_decoder_* in the official
models/definitions/ALR_FF.py). blocklab's causal first layer is an exact
prefix-sum rewrite of that loop, so this file doubles as its reference.

Parameter names are blocklab's: "ln_in.w", "w1", ... (ASLR: "<head>.w1").

    st = Student(mode="alr", causal=True, length=32, width=64, heads=4, hidden=1024)
    y = st(x, valid)          # x (B, T, d), valid (B, T) 0/1 or None -> (B, T, d)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

MODES = ("alr", "aslr", "alrr", "elr")
SIZE_K = {"xs": 128, "s": 64, "m": 8, "l": 2}
LN_EPS = 1e-5
SLOPE = 0.01

# blocklab tensor name -> (submodule, attribute)
NAMES = {"ln_in.w": ("ln_in", "weight"), "ln_in.b": ("ln_in", "bias"), "w1": ("fc1", "weight"),
         "b1": ("fc1", "bias"), "ln_h.w": ("ln_h", "weight"), "ln_h.b": ("ln_h", "bias"),
         "w2": ("fc2", "weight"), "b2": ("fc2", "bias")}


def hidden_for(size, length, width):
    return max(1, length * width // SIZE_K[size])


class Net(nn.Module):
    """One student network: in_width -> hidden -> out_width."""

    def __init__(self, in_width, hidden, out_width):
        super().__init__()
        self.ln_in = nn.LayerNorm(in_width, eps=LN_EPS)
        self.fc1 = nn.Linear(in_width, hidden)
        self.ln_h = nn.LayerNorm(hidden, eps=LN_EPS)
        self.fc2 = nn.Linear(hidden, out_width)

    def forward(self, v):
        return self.fc2(self.ln_h(F.leaky_relu(self.fc1(self.ln_in(v)), SLOPE)))


class Student(nn.Module):
    def __init__(self, mode, causal, length, width, heads, hidden):
        super().__init__()
        assert mode in MODES
        self.mode, self.causal, self.length, self.width = mode, bool(causal), length, width
        self.nets_n = heads if mode == "aslr" else 1
        self.out = width // self.nets_n
        per_net_out = self.out if self.causal else length * self.out
        self.nets = nn.ModuleList(Net(length * width, hidden, per_net_out) for _ in range(self.nets_n))

    def tensor(self, name):
        """The parameter blocklab calls `name` ("w1", or "2.w1" for head 2 of ASLR)."""
        net = 0
        if self.nets_n > 1:
            head, name = name.split(".", 1)
            net = int(head)
        mod, attr = NAMES[name]
        return getattr(getattr(self.nets[net], mod), attr)

    def blocklab_names(self):
        pre = [f"{n}." for n in range(self.nets_n)] if self.nets_n > 1 else [""]
        return [p + k for p in pre for k in NAMES]

    def forward(self, x, valid=None):
        B, T, d = x.shape
        if T > self.length:
            raise ValueError(f"the {self.mode} student takes at most {self.length} positions; got {T}")
        if valid is None:
            valid = torch.ones(B, T, dtype=x.dtype)
        valid = valid.to(x.dtype)
        pad = torch.zeros(B, self.length - T, d, dtype=x.dtype)
        xp = torch.cat([x * valid[:, :, None], pad], dim=1)          # (B, L, d), padding zeroed
        outs = []
        for net in self.nets:
            if self.causal:
                rows = []
                for i in range(T):
                    keep = (torch.arange(self.length) <= i).to(x.dtype)   # causal row i of the mask
                    v = (xp * keep[None, :, None]).reshape(B, -1)
                    rows.append(net(v))
                outs.append(torch.stack(rows, dim=1))                   # (B, T, out)
            else:
                y = net(xp.reshape(B, -1)).reshape(B, self.length, self.out)
                outs.append(y[:, :T])
        return torch.cat(outs, dim=-1) * valid[:, :, None]


def masked_mse(pred, target, valid):
    """Mean over real positions and features of (pred - target)^2 (the official loss)."""
    v = valid[:, :, None].to(pred.dtype)
    count = v.sum() * pred.shape[-1]
    return ((pred - target) ** 2 * v).sum() / count
