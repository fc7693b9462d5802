"""blocklab_data.py — blocklab's training batches, bit for bit, in numpy.

A port of core/data.c's data_batch: row r of batch k is drawn from its own
xoshiro256** stream seeded by a hash of (seed, split, k, r), so any process can
draw any rows of any batch without drawing what came before. That is what lets
train_ddp.py continue a run at its data_position and shard a batch across ranks
while the global batch stays exactly blocklab's. Rows are drawn all at once
(numpy arrays of uint64 generator states, one per row).

Tasks (copy, reverse, sort) need only the spec; text and fortunes read the
corpus ids the export wrote (tokens.bin, one uint8 id per character, and
data.json with val_start and the vocabulary).

    stream = DataStream.from_state(json.loads(meta["train"])["data"], export_dir)
    tokens, targets, mask = stream.batch(split=0, index=k, B=32, T=64)
Standalone: needs only numpy.
"""
import json
import os

import numpy as np

U64 = np.uint64
MASK32 = U64(0xFFFFFFFF)
GOLDEN = U64(0x9E3779B97F4A7C15)
MIX1 = U64(0xBF58476D1CE4E5B9)
MIX2 = U64(0x94D049BB133111EB)
ROW_SALT = 0x626C6F636B6C6162  # "blocklab"
SPLIT_SALT = 0x243F6A8885A308D3  # held-out hash start
SPLIT_RETRIES = 512
VAL_BUCKETS = 10
TASKS = ("copy", "reverse", "sort")
TEXTS = ("text", "fortunes")


def _u64(values):
    """A 1-D uint64 array (numpy keeps wrapping arithmetic silent on arrays)."""
    return np.atleast_1d(np.asarray(values, dtype=np.uint64))


def mix64(z):
    """splitmix64's finalizer on a uint64 array (data.c mix64)."""
    with np.errstate(over="ignore"):
        z = z + GOLDEN
        z = (z ^ (z >> U64(30))) * MIX1
        z = (z ^ (z >> U64(27))) * MIX2
        return z ^ (z >> U64(31))


def _rotl(x, k):
    return (x << U64(k)) | (x >> U64(64 - k))


class RowRng:
    """xoshiro256** (core/rng.c), one generator per row, stepped together.

    Calls take `idx`, the rows that draw this time: rejection loops and
    held-out retries make rows draw different amounts, and a row's stream must
    advance only when that row draws, as in C.
    """

    def __init__(self, seeds):
        seeds = _u64(seeds)
        self.s = np.empty((4, seeds.size), dtype=np.uint64)
        x = seeds.copy()
        with np.errstate(over="ignore"):
            for i in range(4):  # rng_seed: four splitmix64 outputs
                x = x + GOLDEN
                self.s[i] = mix64(x - GOLDEN)

    def u64(self, idx):
        s0, s1, s2, s3 = (self.s[i, idx] for i in range(4))
        with np.errstate(over="ignore"):
            result = _rotl(s1 * U64(5), 7) * U64(9)
            t = s1 << U64(17)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = _rotl(s3, 45)
        self.s[0, idx], self.s[1, idx], self.s[2, idx], self.s[3, idx] = s0, s1, s2, s3
        return result

    def below(self, idx, n):
        """rng_below: Lemire's multiply-shift with rejection, 0 < n < 2^32."""
        n = int(n)
        out = np.empty(len(idx), dtype=np.uint64)
        threshold = U64((2**32 - n) % n)
        todo = np.arange(len(idx))
        while todo.size:
            m = (self.u64(idx[todo]) >> U64(32)) * U64(n)
            bad = (m & MASK32) < threshold
            out[todo[~bad]] = m[~bad] >> U64(32)
            todo = todo[bad]
        return out

    def below64(self, idx, n):
        """data.c rng_below64: rng_below up to 2^32 - 1, else plain rejection."""
        n = int(n)
        if n <= 0xFFFFFFFF:
            return self.below(idx, n)
        limit = U64(2**64 - 1 - (2**64 - 1) % n)
        out = np.empty(len(idx), dtype=np.uint64)
        todo = np.arange(len(idx))
        while todo.size:
            x = self.u64(idx[todo])
            ok = x < limit
            out[todo[ok]] = x[ok] % U64(n)
            todo = todo[~ok]
        return out


def row_seeds(seed, split, batch, rows):
    """data.c seed_row_rng: the per-row seeds of one batch."""
    h = mix64(_u64(int(seed) ^ ROW_SALT))
    h = mix64(h ^ U64(1 if split else 0))
    h = mix64(h ^ U64(int(batch)))
    return mix64(h ^ _u64(rows))


def held_out(x):
    """data.c input_is_held_out for each row of x (R, n): a seed-free hash."""
    h = np.full(x.shape[0], SPLIT_SALT, dtype=np.uint64)
    for i in range(x.shape[1]):
        h = mix64(h ^ x[:, i].astype(np.uint64))
    return h % U64(VAL_BUCKETS) == 0


class DataStream:
    """One blocklab DataSource: a task spec, or a text corpus as ids."""

    def __init__(self, spec, ids=None, val_start=None, vocab=None):
        self.kind = spec["kind"]
        self.seed = int(spec["seed"])
        if self.kind in TASKS:
            self.symbols = int(spec["symbols"])
            self.length = int(spec["length"])
            self.per_position = bool(int(spec["per_position"]))
            self.min_length = int(spec.get("min_length", 0))
            if not (2 <= self.symbols <= 64 and 1 <= self.length <= 512):
                raise ValueError(f"task symbols={self.symbols} length={self.length}: expected 2..64 and 1..512")
            self.sep, self.pad = self.symbols, self.symbols + 1
            self.vocab = self.symbols + 2
            self.min_ctx = self.length if self.per_position else 2 * self.length
        elif self.kind in TEXTS:
            if ids is None or val_start is None:
                raise ValueError(f"{self.kind} data needs the corpus ids (tokens.bin) and val_start")
            self.ids = np.asarray(ids, dtype=np.int64)
            self.val_start = int(val_start)
            if not 0 < self.val_start < self.ids.size:
                raise ValueError(f"val_start {self.val_start} is outside the corpus of {self.ids.size} ids")
            self.sep = self.pad = -1
            self.vocab = len(vocab) if vocab is not None else int(self.ids.max()) + 1
            self.min_ctx = 2
        else:
            raise ValueError(f"unknown data kind '{self.kind}': expected {', '.join(TASKS + TEXTS)}")

    @classmethod
    def from_state(cls, data_spec, directory="."):
        """From the "data" object of a checkpoint's "train" metadata; text corpora
        are read from DIR/tokens.bin and DIR/data.json as export_torch writes them."""
        if data_spec["kind"] in TASKS:
            return cls(data_spec)
        tok = os.path.join(directory, "tokens.bin")
        info_path = os.path.join(directory, "data.json")
        if not (os.path.exists(tok) and os.path.exists(info_path)):
            raise FileNotFoundError(f"{data_spec['kind']} data needs {tok} and {info_path} (written by `export torch`)")
        with open(info_path, encoding="utf-8") as f:
            info = json.load(f)
        ids = np.fromfile(tok, dtype=np.uint8)
        if ids.size != int(info["n_ids"]):
            raise ValueError(f"{tok} holds {ids.size} ids, data.json says {info['n_ids']}")
        return cls(data_spec, ids=ids, val_start=info["val_start"], vocab=info.get("vocab"))

    def batch(self, split, index, B, T, rows=None):
        """Batch `index` of split 0 (train) or 1 (validation), as data_batch with
        position = index. rows: which of the B rows to draw (default all), e.g.
        range(rank, B, world) for one rank's share. Returns tokens, targets
        (int64, (R, T)) and mask (float32, (R, T))."""
        rows = np.arange(B) if rows is None else np.asarray(list(rows), dtype=np.int64)
        rng = RowRng(row_seeds(self.seed, split, index, rows))
        if self.kind in TASKS:
            return self._task_rows(split, rng, len(rows), T)
        return self._text_rows(split, rng, len(rows), T)

    def _task_rows(self, split, rng, R, T):
        if 0 < self.min_length < self.length:
            return self._task_rows_variable(split, rng, R, T)
        n = self.length
        x = np.zeros((R, n), dtype=np.int64)
        want = split != 0
        active = np.arange(R)
        for _ in range(SPLIT_RETRIES):  # redraw until on the wanted side of the split
            for i in range(n):
                x[active, i] = rng.below(active, self.symbols).astype(np.int64)
            active = active[held_out(x[active]) != want]
            if active.size == 0:
                break
        if self.kind == "copy":
            y = x.copy()
        elif self.kind == "reverse":
            y = x[:, ::-1].copy()
        else:
            y = np.sort(x, axis=1)
        tok = np.full((R, T), self.pad, dtype=np.int64)
        tgt = np.full((R, T), self.pad, dtype=np.int64)
        mask = np.zeros((R, T), dtype=np.float32)
        if self.per_position:
            k = min(T, n)
            tok[:, :k], tgt[:, :k], mask[:, :k] = x[:, :k], y[:, :k], 1.0
            return tok, tgt, mask
        seq = np.concatenate([x, np.full((R, 1), self.sep, dtype=np.int64), y], axis=1)
        L = 2 * n + 1
        k = min(T, L)
        tok[:, :k] = seq[:, :k]
        k = min(T, L - 1)  # the last symbol has no target
        tgt[:, :k] = seq[:, 1 : k + 1]
        mask[:, :k] = (np.arange(1, k + 1) > n).astype(np.float32)
        return tok, tgt, mask

    def _task_rows_variable(self, split, rng, R, T):
        """min_length > 0: each row first draws its n in min_length..length (data.c task_draw)."""
        rows = np.arange(R)
        n = self.min_length + rng.below(rows, self.length - self.min_length + 1).astype(np.int64)
        x = np.zeros((R, self.length), dtype=np.int64)
        want = split != 0
        active = rows
        for _ in range(SPLIT_RETRIES):
            for i in range(self.length):
                draw = active[n[active] > i]
                if draw.size:
                    x[draw, i] = rng.below(draw, self.symbols).astype(np.int64)
            h = np.full(active.size, SPLIT_SALT, dtype=np.uint64)
            for i in range(self.length):
                h = np.where(n[active] > i, mix64(h ^ x[active, i].astype(np.uint64)), h)
            active = active[(h % U64(VAL_BUCKETS) == 0) != want]
            if active.size == 0:
                break
        tok = np.full((R, T), self.pad, dtype=np.int64)
        tgt = np.full((R, T), self.pad, dtype=np.int64)
        mask = np.zeros((R, T), dtype=np.float32)
        for r in range(R):
            k, xr = int(n[r]), x[r, : int(n[r])]
            yr = xr.copy() if self.kind == "copy" else xr[::-1].copy() if self.kind == "reverse" else np.sort(xr)
            if self.per_position:
                m = min(T, k)
                tok[r, :m], tgt[r, :m], mask[r, :m] = xr[:m], yr[:m], 1.0
                continue
            seq = np.concatenate([xr, [self.sep], yr])
            m = min(T, 2 * k + 1)
            tok[r, :m] = seq[:m]
            m = min(T, 2 * k)
            tgt[r, :m] = seq[1 : m + 1]
            mask[r, :m] = (np.arange(1, m + 1) > k).astype(np.float32)
        return tok, tgt, mask

    def _text_rows(self, split, rng, R, T):
        lo, hi = (self.val_start, self.ids.size) if split else (0, self.val_start)
        span = hi - lo
        o = np.full(R, lo, dtype=np.int64)
        if span > T:
            o += rng.below64(np.arange(R), span - T).astype(np.int64)
        i = o[:, None] + np.arange(T)[None, :]
        tok = np.where(i < hi, self.ids[np.minimum(i, hi - 1)], 0)
        whole = i + 1 < hi
        tgt = np.where(whole, self.ids[np.minimum(i + 1, hi - 1)], 0)
        return tok.astype(np.int64), tgt.astype(np.int64), whole.astype(np.float32)
