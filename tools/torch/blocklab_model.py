"""blocklab_model.py — any blocklab architecture as a PyTorch module.

Builds the model from a blocklab checkpoint's metadata ("arch_json": every
block's fields expanded) and loads its weights; parameter names are blocklab's
own ("blocks.3.attn.w_qkv"), so state_dict() round-trips with the checkpoint.
The forward mirrors core/model.c line for line (see the comments there for the
paper sections). Standalone: needs only torch and numpy.

    model, meta = BlocklabModel.from_checkpoint("run.st")
    logits = model(tokens)                 # (B, T) int64 -> (B, T, V)
    loss = model.loss(tokens, targets, mask)
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from blocklab_student import SIZE_K, Student


def read_safetensors(path):
    """Returns ({name: float32 ndarray}, {metadata key: str})."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None) or {}
    data = raw[8 + n :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32")
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
        tensors[name] = arr.copy()
    return tensors, meta


def write_safetensors(path, tensors, meta=None):
    """Writes {name: ndarray} as float32 safetensors (for checkpoints going back to blocklab)."""
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        a = np.ascontiguousarray(arr, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class Gain(nn.Module):
    """A scalar gain: a trainable parameter, or a constant."""

    def __init__(self, spec):
        super().__init__()
        self.trainable = bool(spec["trainable"])
        if self.trainable:
            self.g = nn.Parameter(torch.tensor([float(spec["value"])]))
        else:
            self.value = float(spec["value"])

    def forward(self):
        return self.g if self.trainable else self.value


class Norm(nn.Module):
    def __init__(self, kind, width, bias, eps):
        super().__init__()
        self.kind, self.eps = kind, eps
        self.w = nn.Parameter(torch.ones(width))
        self.b = nn.Parameter(torch.zeros(width)) if (bias and kind == "layer") else None

    def forward(self, x):
        if self.kind == "rms":
            return self.w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return F.layer_norm(x, (x.shape[-1],), self.w, self.b, self.eps)


class Attention(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        C, H = a["width"], a["heads"]
        self.C, self.H, self.causal = C, H, a["causal"]
        self.value, self.shape = b["value"], b["shape"]
        parts = 3 if self.value == "learned" else 2
        name = "w_qkv" if parts == 3 else "w_qk"
        setattr(self, name, nn.Parameter(torch.zeros(parts * C, C)))
        setattr(self, "b_qkv" if parts == 3 else "b_qk", nn.Parameter(torch.zeros(parts * C)) if a["bias"] else None)
        self.wname, self.bname = name, ("b_qkv" if parts == 3 else "b_qk")
        if self.value == "resid":
            self.w_v_delta = nn.Parameter(torch.zeros(C, C))
            self.alpha_v, self.beta_v = Gain(b["alpha_v"]), Gain(b["beta_v"])
        self.w_o = nn.Parameter(torch.zeros(C, C)) if b["proj"] == "learned" else None
        self.b_o = nn.Parameter(torch.zeros(C)) if (b["proj"] == "learned" and a["bias"]) else None
        if self.shape != "off":
            n = H if self.shape == "on" else 1
            for g, key in (("alpha", "attn_alpha"), ("beta", "attn_beta")) + ((("gamma", "attn_gamma"),) if self.shape == "on" else ()):
                t = torch.full((n,), float(b[key]["value"]))
                if b[key]["trainable"]:
                    setattr(self, g, nn.Parameter(t))
                else:
                    self.register_buffer(g, t)

    def forward(self, h):
        B, T, C = h.shape
        H, hs = self.H, C // self.H
        qkv = F.linear(h, getattr(self, self.wname), getattr(self, self.bname))
        q, k = qkv[..., :C], qkv[..., C : 2 * C]
        if self.value == "learned":
            v = qkv[..., 2 * C :]
        elif self.value == "id":
            v = h
        else:
            v = self.alpha_v() * h + self.beta_v() * F.linear(h, self.w_v_delta)
        q, k, v = (z.reshape(B, T, H, hs).transpose(1, 2) for z in (q, k, v))
        s = q @ k.transpose(-1, -2) / math.sqrt(hs)
        if self.causal:
            mask = torch.ones(T, T, dtype=torch.bool, device=h.device).tril()
            s = s.masked_fill(~mask, float("-inf"))
        p = torch.softmax(s, dim=-1)
        if self.shape != "off":
            eye = torch.eye(T, device=h.device)
            if self.causal:
                cen = torch.ones(T, T, device=h.device).tril() / torch.arange(1, T + 1, device=h.device).unsqueeze(1)
            else:
                cen = torch.full((T, T), 1.0 / T, device=h.device)
            al, be = self.alpha.view(-1, 1, 1), self.beta.view(-1, 1, 1)
            A = al * eye + be * p
            if self.shape == "on":
                A = A - self.gamma.view(-1, 1, 1) * cen
            p = A
        y = (p @ v).transpose(1, 2).reshape(B, T, C)
        if self.w_o is not None:
            y = F.linear(y, self.w_o, self.b_o)
        return y


class MLP(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        C = a["width"]
        Fh = int(b["mlp_ratio"] * C + 0.5)
        self.act = b["act"]
        self.w_in = nn.Parameter(torch.zeros(Fh, C))
        self.b_in = nn.Parameter(torch.zeros(Fh)) if a["bias"] else None
        self.w_out = nn.Parameter(torch.zeros(C, Fh))
        self.b_out = nn.Parameter(torch.zeros(C)) if a["bias"] else None

    def forward(self, h):
        u = F.linear(h, self.w_in, self.b_in)
        u = F.relu(u) if self.act == "relu" else F.gelu(u, approximate="tanh")
        return F.linear(u, self.w_out, self.b_out)


def _attend(qkv, H, causal):
    """One multi-head softmax attention over (B, T, 3C) holding [q | k | v] per token."""
    B, T, C3 = qkv.shape
    C = C3 // 3
    hs = C // H
    q, k, v = (z.reshape(B, T, H, hs).transpose(1, 2) for z in (qkv[..., :C], qkv[..., C : 2 * C], qkv[..., 2 * C :]))
    s = q @ k.transpose(-1, -2) / math.sqrt(hs)
    if causal:
        mask = torch.ones(T, T, dtype=torch.bool, device=qkv.device).tril()
        s = s.masked_fill(~mask, float("-inf"))
    return (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)


class Lin(nn.Module):
    """A linear layer with blocklab's parameter names (w, b)."""

    def __init__(self, n_in, n_out, bias=True):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(n_out, n_in))
        self.b = nn.Parameter(torch.zeros(n_out)) if bias else None

    def forward(self, x):
        return F.linear(x, self.w, self.b)


class Router(nn.Module):
    """MoM router (spec §A.4): a GRU cell carried over the steps, or a 2-layer MLP; N+1 scores."""

    def __init__(self, kind, C, r, n_out):
        super().__init__()
        self.kind, self.r = kind, r
        if kind == "gru":
            self.x2h, self.h2h = Lin(C, 3 * r), Lin(r, 3 * r)
        else:
            self.l1 = Lin(C, r)
        self.out = Lin(r, n_out)

    def forward(self, x, g):
        if self.kind != "gru":
            return self.out(F.relu(self.l1(x))), g
        xr, xu, xn = self.x2h(x).chunk(3, -1)
        hr, hu, hn = self.h2h(g).chunk(3, -1)
        rz, uz = torch.sigmoid(xr + hr), torch.sigmoid(xu + hu)
        n = torch.tanh(xn + rz * hn)
        g = n + uz * (g - n)
        return self.out(g), g


class MoMAttn(nn.Module):
    def __init__(self, a, mk):
        super().__init__()
        C, bias = a["width"], a["bias"]
        self.ln = mk()
        self.w_qkv = nn.Parameter(torch.zeros(3 * C, C))
        self.b_qkv = nn.Parameter(torch.zeros(3 * C)) if bias else None
        self.w_o = nn.Parameter(torch.zeros(C, C))
        self.b_o = nn.Parameter(torch.zeros(C)) if bias else None


class MoMFFN(nn.Module):
    def __init__(self, a, mk):
        super().__init__()
        C, bias = a["width"], a["bias"]
        Fh = int(a["mlp_ratio"] * C + 0.5)
        self.act = a["act"]
        self.ln = mk()
        self.w_in = nn.Parameter(torch.zeros(Fh, C))
        self.b_in = nn.Parameter(torch.zeros(Fh)) if bias else None
        self.w_out = nn.Parameter(torch.zeros(C, Fh))
        self.b_out = nn.Parameter(torch.zeros(C)) if bias else None

    def forward(self, x):
        u = F.linear(self.ln(x) if self.ln is not None else x, self.w_in, self.b_in)
        u = F.relu(u) if self.act == "relu" else F.gelu(u, approximate="tanh")
        return F.linear(u, self.w_out, self.b_out)


def balance_loss(ps):
    """Switch load-balancing loss over every routing decision (spec §A.9): S·Σ f_c·mean(softmax(p))_c."""
    p = torch.cat(ps, 0)
    S = p.shape[-1]
    f = F.one_hot(p.argmax(-1), S).to(p.dtype).mean(0)
    return S * (f * torch.softmax(p, -1).mean(0)).sum()


class MoMChunk(nn.Module):
    """Mixture-of-Modules (spec §A.3-A.6, README "Decisions"); mirrors core/mom.c.

    Each step, every token picks top-K of (pool + SKIP); the chosen attention
    modules' q, k, v are summed unweighted (a SKIP-only token keeps q=k=v=0),
    one causal attention runs over all tokens, the chosen W_o and FFN outputs
    are added weighted by the router. `off` knocks modules out (score -inf);
    `force` = (attn, ffn) index lists [step][N*K] fixes the path."""

    def __init__(self, a, mk):
        super().__init__()
        m = self.spec = a["mom"]
        C = a["width"]
        self.H, self.K, self.heads, self.causal = m["steps"], m["topk"], a["heads"], a["causal"]
        self.tau, self.renorm, self.r = m["tau"], m["renorm"], m["router_dim"]
        self.attn = nn.ModuleList(MoMAttn(a, mk) for _ in range(m["attn_pool"]))
        self.ffn = nn.ModuleList(MoMFFN(a, mk) for _ in range(m["ffn_pool"]))
        self.router = nn.ModuleDict({"attn": Router(m["router"], C, self.r, m["attn_pool"] + 1),
                                     "ffn": Router(m["router"], C, self.r, m["ffn_pool"] + 1)})
        self.off = {"attn": set(), "ffn": set()}
        self.force = None
        self.aux = None
        self.choices = None

    def _choose(self, kind, x, g, h):
        s, g = self.router[kind](x, g)
        if self.off[kind]:
            s = s.clone()
            s[:, sorted(self.off[kind])] = float("-inf")
        p = torch.softmax(s / self.tau, -1)
        if self.force is not None:
            idx = torch.as_tensor(self.force[kind == "ffn"][h], dtype=torch.int64, device=x.device).view(-1, self.K)
            w = p.gather(1, idx)
        else:
            w, idx = torch.topk(p, self.K, dim=-1)
        if self.renorm:
            w = w / w.sum(-1, keepdim=True)
        return p, w, idx, g

    def forward(self, x):
        B, T, C = x.shape
        N = B * T
        x = x.reshape(N, C)
        ga = gf = x.new_zeros(N, self.r)
        pa, pf, self.choices = [], [], []
        for h in range(self.H):
            p, w, idx, ga = self._choose("attn", x, ga, h)
            pa.append(p)
            qkv = x.new_zeros(N, 3 * C)
            picks = []
            for m, mod in enumerate(self.attn):
                rows, slot = torch.where(idx == m)
                picks.append((rows, slot))
                if len(rows):
                    xm = x[rows]
                    qkv = qkv.index_add(0, rows, F.linear(mod.ln(xm) if mod.ln is not None else xm, mod.w_qkv, mod.b_qkv))
            att = _attend(qkv.view(B, T, 3 * C), self.heads, self.causal).reshape(N, C)
            out = x.new_zeros(N, C)
            for (rows, slot), mod in zip(picks, self.attn):
                if len(rows):
                    out = out.index_add(0, rows, w[rows, slot].unsqueeze(1) * F.linear(att[rows], mod.w_o, mod.b_o))
            x = x + out
            ia = idx
            p, w, idx, gf = self._choose("ffn", x, gf, h)
            pf.append(p)
            out = x.new_zeros(N, C)
            for m, mod in enumerate(self.ffn):
                rows, slot = torch.where(idx == m)
                if len(rows):
                    out = out.index_add(0, rows, w[rows, slot].unsqueeze(1) * mod(x[rows]))
            x = x + out
            self.choices.append((ia.detach(), idx.detach()))
        self.aux = balance_loss(pa) + balance_loss(pf)
        return x.view(B, T, C)


class OutProj(nn.Module):
    """W_O (and b_O) kept behind an ALR/ASLR student: blocklab's "attn.w_o"."""

    def __init__(self, a, b):
        super().__init__()
        C = a["width"]
        self.w_o = nn.Parameter(torch.zeros(C, C)) if b["proj"] == "learned" else None
        self.b_o = nn.Parameter(torch.zeros(C)) if (b["proj"] == "learned" and a["bias"]) else None

    def forward(self, y):
        return F.linear(y, self.w_o, self.b_o) if self.w_o is not None else y


class StudentAttention(nn.Module):
    """attn=mlp-alr|mlp-aslr: the student computes the heads' outputs; W_O kept."""

    def __init__(self, student, proj):
        super().__init__()
        object.__setattr__(self, "student", student)  # registered on the block (blocks.L.student.*)
        object.__setattr__(self, "proj", proj)         # registered on the block (blocks.L.attn.*)

    def forward(self, h):
        return self.proj(self.student(h))


class Block(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.spec = b
        has_norm = b["norm"] != "off" and a["norm"] != "none"
        self.smode = b["attn"][4:] if b["attn"].startswith("mlp-") else None
        if self.smode is not None:  # a student in place of attention (core/student.h)
            hidden = max(1, a["ctx"] * a["width"] // SIZE_K[b.get("student", "l")])
            self.student = Student(self.smode, a["causal"], a["ctx"], a["width"], a["heads"], hidden)
            if self.smode in ("alr", "aslr"):
                b = dict(b, attn="mha")  # the rest of the block is an attention block
            elif self.smode == "alrr":
                b = dict(b, attn="off")
            else:  # elr: nothing else in the block
                self.ln1 = self.ln2 = self.attn = self.mlp = None
                return
        mk = lambda: Norm(a["norm"], a["width"], a["bias"], a["norm_eps"])
        self.parallel = b["layout"] == "parallel"
        self.post = b["norm"] == "post"
        self.normed = b["norm"] != "off"
        self.ln1 = mk() if has_norm and (self.parallel or b["attn"] == "mha") else None
        self.ln2 = mk() if has_norm and not self.parallel and b["mlp"] else None
        if self.smode in ("alr", "aslr"):
            self.attn = OutProj(a, b)
            attn_fn = StudentAttention(self.student, self.attn)
        else:
            self.attn = Attention(a, b) if b["attn"] == "mha" else None
            attn_fn = self.attn
        object.__setattr__(self, "attn_fn", attn_fn)  # a view: its tensors are registered above
        self.mlp = MLP(a, b) if b["mlp"] else None
        if self.attn is not None:
            self.alpha_sa, self.beta_sa = Gain(b["alpha_sa"]), Gain(b["beta_sa"])
        if self.mlp is not None:
            self.alpha_ff, self.beta_ff = Gain(b["alpha_ff"]), Gain(b["beta_ff"])
        if self.parallel and self.attn is None:
            self.alpha_sa = Gain(b["alpha_sa"])

    @staticmethod
    def _norm(ln, x):
        return ln(x) if ln is not None else x

    def forward(self, x):
        if self.smode == "elr":
            return self.student(x)
        if self.parallel:
            h = self._norm(self.ln1, x) if self.normed else x
            if self.attn is not None:
                y = self.alpha_sa() * x + self.beta_sa() * self.attn_fn(h)
                if self.mlp is not None:
                    y = y + self.beta_ff() * self.mlp(h)
            else:
                y = self.alpha_sa() * x + self.beta_ff() * self.mlp(h)
            return y
        if self.post and self.normed:
            if self.attn is not None:
                x = self._norm(self.ln1, self.alpha_sa() * x + self.beta_sa() * self.attn_fn(x))
            if self.mlp is not None:
                x = self._norm(self.ln2, self.alpha_ff() * x + self.beta_ff() * self.mlp(x))
            return x
        if self.smode == "alrr":  # norm + attention + residual
            x = self.student(x)
        elif self.attn is not None:
            h = self._norm(self.ln1, x) if self.normed else x
            x = self.alpha_sa() * x + self.beta_sa() * self.attn_fn(h)
        if self.mlp is not None:
            h = self._norm(self.ln2, x) if self.normed else x
            x = self.alpha_ff() * x + self.beta_ff() * self.mlp(h)
        return x


class BlocklabModel(nn.Module):
    def __init__(self, arch):
        super().__init__()
        a = self.arch = arch
        C, V = a["width"], a["vocab"]
        self.wte = nn.Parameter(torch.zeros(V, C))
        if a["pos"] == "learned":
            self.wpe = nn.Parameter(torch.zeros(a["ctx"], C))
        elif a["pos"] == "sinusoidal":
            self.register_buffer("wpe", torch.zeros(a["ctx"], C))
        else:
            self.wpe = None
        mk = lambda: Norm(a["norm"], C, a["bias"], a["norm_eps"])
        has_norm = a["norm"] != "none"
        self.ln_in = mk() if has_norm and a["blocks"] and a["blocks"][0]["norm"] == "off" else None
        self.blocks = nn.ModuleList(Block(a, b) for b in a["blocks"])
        self.is_mom = a.get("stack") == "mom"
        mk_mod = lambda: mk() if has_norm else None
        self.mom = MoMChunk(a, mk_mod) if self.is_mom else None
        self.mom_at = a["mom"]["bottom"] if self.is_mom else -1
        self.ln_f = mk() if has_norm else None
        self.lm_head = None if a["tie"] else nn.Parameter(torch.zeros(V, C))

    # Gains live in Gain modules as ".g"; blocklab names them without it.
    @staticmethod
    def to_blocklab_name(name):
        return name[:-2] if name.endswith(".g") else name

    def blocklab_state(self):
        return {self.to_blocklab_name(k): v for k, v in self.state_dict().items()}

    def load_blocklab(self, tensors):
        own = self.state_dict()
        missing = []
        for key in own:
            bname = self.to_blocklab_name(key)
            if bname not in tensors:
                missing.append(bname)
                continue
            src = torch.from_numpy(np.asarray(tensors[bname])).reshape(own[key].shape)
            own[key].copy_(src)
        if missing:
            raise KeyError(f"checkpoint lacks {missing}")

    @classmethod
    def from_checkpoint(cls, path):
        tensors, meta = read_safetensors(path)
        model = cls(json.loads(meta["arch_json"]))
        with torch.no_grad():
            model.load_blocklab(tensors)
        return model, meta

    def forward(self, tokens):
        B, T = tokens.shape
        x = self.wte[tokens]
        if self.wpe is not None:
            x = x + self.wpe[:T]
        if self.ln_in is not None:
            x = self.ln_in(x)
        for i in range(len(self.blocks) + 1):
            if i == self.mom_at:
                x = self.mom(x)
            if i < len(self.blocks):
                x = self.blocks[i](x)
        if self.ln_f is not None:
            x = self.ln_f(x)
        logits = F.linear(x, self.lm_head if self.lm_head is not None else self.wte)
        if getattr(self, "return_aux", False):  # (logits, aux): DDP must see every output a loss uses
            return logits, self.mom.aux
        return logits

    def loss(self, tokens, targets, mask=None):
        """The training objective: masked cross-entropy, plus aux·(load balancing) for a MoM.
        The cross-entropy alone is kept in self.last_ce."""
        logits = self(tokens)
        V = logits.shape[-1]
        per = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none")
        if mask is None:
            ce = per.mean()
        else:
            m = mask.reshape(-1)
            ce = (per * m).sum() / m.sum().clamp_min(1e-30)
        self.last_ce = ce.detach()
        if self.is_mom and self.arch["mom"]["aux"] != 0:
            return ce + self.arch["mom"]["aux"] * self.mom.aux
        return ce

    def param_groups(self, weight_decay):
        """AdamW groups as blocklab's optimizer: decay only 2-D weights other than the embeddings."""
        decay, rest = [], []
        for name, p in self.named_parameters():
            (decay if p.ndim == 2 and name not in ("wte", "wpe") else rest).append(p)
        return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
