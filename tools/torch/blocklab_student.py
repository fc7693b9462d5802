"""blocklab_student.py — the shallow feed-forward student that replaces attention
("Rethinking Attention", Bozic et al.), as blocklab computes it (core/student.c):

    LN(L*d) -> Linear(L*d -> h) -> LeakyReLU(0.01) -> LN(h) -> Linear(h -> out) -> *mask

Written the way the official code runs it, not the way blocklab computes it:
the encoder form is one pass over the zero-padded flattened sequence; the
causal form runs the whole network once per position i on the sequence with
positions > i (and padding) zeroed (FFNetwork_decoder_* in the official
models/definitions/ALR_FF.py). blocklab's causal first layer is an exact
prefix-sum rewrite of that loop, so this file doubles as its reference.

Parameter names are blocklab's: "ln_in.w", "w1", ... (ASLR: "<head>.w1"), so
state_dict() keys are the checkpoint's.

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


def hidden_for(size, length, width):
    return max(1, length * width // SIZE_K[size])


class LayerNorm(nn.Module):
    """nn.LayerNorm with blocklab's tensor names (w, b)."""

    def __init__(self, n):
        super().__init__()
        self.w = nn.Parameter(torch.ones(n))
        self.b = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.w, self.b, LN_EPS)


class Net(nn.Module):
    """One student network: in_width -> hidden -> out_width, PyTorch's default init."""

    def __init__(self, in_width, hidden, out_width):
        super().__init__()
        self.ln_in = LayerNorm(in_width)
        fc1, fc2 = nn.Linear(in_width, hidden), nn.Linear(hidden, out_width)
        self.w1, self.b1 = fc1.weight, fc1.bias
        self.ln_h = LayerNorm(hidden)
        self.w2, self.b2 = fc2.weight, fc2.bias

    def forward(self, v):
        u = F.leaky_relu(F.linear(self.ln_in(v), self.w1, self.b1), SLOPE)
        return F.linear(self.ln_h(u), self.w2, self.b2)


class Student(nn.Module):
    """Tensors named as blocklab's: "w1", ... for one net; "0.w1", ... per head (ASLR)."""

    def __init__(self, mode, causal, length, width, heads, hidden):
        super().__init__()
        assert mode in MODES
        self.mode, self.causal, self.length, self.width = mode, bool(causal), length, width
        self.nets_n = heads if mode == "aslr" else 1
        self.out = width // self.nets_n
        per_net_out = self.out if self.causal else length * self.out
        nets = [Net(length * width, hidden, per_net_out) for _ in range(self.nets_n)]
        if self.nets_n == 1:  # the net's tensors directly under this module
            for name, child in nets[0].named_children():
                self.add_module(name, child)
            for name, p in nets[0].named_parameters(recurse=False):
                self.register_parameter(name, p)
        else:
            for i, net in enumerate(nets):
                self.add_module(str(i), net)
        object.__setattr__(self, "_nets", nets)  # the forward's view, not registered twice

    def forward(self, x, valid=None):
        B, T, d = x.shape
        if T > self.length:
            raise ValueError(f"the {self.mode} student takes at most {self.length} positions; got {T}")
        if valid is None:
            valid = torch.ones(B, T, dtype=x.dtype, device=x.device)
        valid = valid.to(x.dtype)
        pad = torch.zeros(B, self.length - T, d, dtype=x.dtype, device=x.device)
        xp = torch.cat([x * valid[:, :, None], pad], dim=1)          # (B, L, d), padding zeroed
        outs = []
        for net in self._nets:
            if self.causal:
                rows = []
                for i in range(T):
                    keep = (torch.arange(self.length, device=x.device) <= i).to(x.dtype)   # causal row i
                    rows.append(net((xp * keep[None, :, None]).reshape(B, -1)))
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
