"""test_data.py — tools/torch/blocklab_data.py against blocklab's data_batch.

build/tests/data_dump writes C batches (tokens, targets, mask) for chosen
(split, index) pairs; the Python port must give identical arrays for copy,
reverse, sort, encoder mode, text and fortunes, several seeds (0 and beyond
2^63 included), batch indices up to 2^40, train and validation, contexts that
cut or pad examples, alphabets so small that the split retries run out, a
subset of rows (a rank's share), and rng_below where Lemire's rejection bites.
Run with Debian's python: /usr/bin/python3 tests/parity/test_data.py
"""
import os
import subprocess
import sys
import tempfile

from harness import check, summary, tally, dump_tool  # noqa: F401 (first: it puts tools/torch on sys.path)
import numpy as np  # noqa: E402


from blocklab_data import DataStream, RowRng  # noqa: E402
from blocklab_model import read_safetensors  # noqa: E402

DUMP = dump_tool("data_dump")
BATCHES = ["0:0", "0:1", "0:37", "0:1099511627776", "1:0", "1:5", "1:123456"]



def spec_of(args):
    s = {"kind": "reverse", "symbols": 10, "length": 8, "per_position": 0, "seed": 1, "path": "", "val_frac": 0.1}
    B, T = 4, 16
    for a in args:
        k, v = a.split("=", 1)
        if k == "B":
            B = int(v)
        elif k == "T":
            T = int(v)
        elif k == "val":
            s["val_frac"] = float(v)
        else:
            s[k] = v
    return s, B, T


def run_case(label, args, batches=BATCHES):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "dump.st")
        r = subprocess.run([DUMP, out] + args + batches, capture_output=True, text=True)
        if r.returncode != 0:
            check(False, f"{label}: data_dump failed: {r.stderr.strip()}")
            return
        ref, meta = read_safetensors(out)
    spec, B, T = spec_of(args)
    if "ids" in ref:
        import json

        stream = DataStream(spec, ids=ref["ids"].astype(np.int64), val_start=int(meta["val_start"]), vocab=json.loads(meta["vocab"]))
    else:
        stream = DataStream(spec)
    bad = []
    for b in batches:
        split, index = (int(x) for x in b.split(":"))
        tok, tgt, mask = stream.batch(split, index, B, T)
        key = f"{split}.{index}."
        same = (
            np.array_equal(ref[key + "tokens"].astype(np.int64), tok)
            and np.array_equal(ref[key + "targets"].astype(np.int64), tgt)
            and np.array_equal(ref[key + "mask"], mask)
        )
        if not same:
            bad.append(b)
        # a rank's share (rows r::world) is the same rows of the whole batch
        rows = list(range(1, B, 2))
        part = stream.batch(split, index, B, T, rows=rows)
        if not np.array_equal(part[0], tok[rows]) or not np.array_equal(part[2], mask[rows]):
            bad.append(b + " (rows 1::2)")
    check(not bad, f"{label}: batches differ from C at {bad}")
    if not bad:
        print(f"  {label:48s} {len(batches)} batches of {B}x{T} identical")


def run_rng(seed, n, count=4000):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "rng.st")
        r = subprocess.run([DUMP, out, "rng", str(seed), str(n), str(count)], capture_output=True, text=True)
        if r.returncode != 0:
            check(False, f"rng_below({n}): data_dump failed: {r.stderr.strip()}")
            return
        ref, _ = read_safetensors(out)
    c = ref["below"].astype(np.int64)
    c = (c[:, 0] << 16) | c[:, 1]
    rng = RowRng([seed])
    idx = np.array([0])
    p = np.array([int(rng.below(idx, n)[0]) for _ in range(count)], dtype=np.int64)
    check(np.array_equal(c, p), f"rng_below({n}) seed {seed}: first difference at draw {int(np.argmax(c != p))}")
    print(f"  rng_below({n}) seed {seed}: {count} draws identical")


def main():
    if not os.path.exists(DUMP):
        print(f"missing {DUMP}: run make first")
        print("0 passed, 1 failed")
        return 1
    run_case("reverse (defaults)", ["kind=reverse"])
    run_case("copy seed 0", ["kind=copy", "seed=0", "B=5"])
    run_case("sort seed 2^64-1, 64 symbols, n 20", ["kind=sort", "seed=18446744073709551615", "symbols=64", "length=20", "T=48"])
    run_case("reverse encoder (per_position)", ["kind=reverse", "per_position=1", "T=8", "seed=7"])
    run_case("sort encoder, T > n pads", ["kind=sort", "per_position=1", "length=5", "T=9", "seed=3"])
    run_case("copy, T cuts the example", ["kind=copy", "length=8", "T=11", "seed=11"])
    run_case("reverse, T = 2n+1 and more", ["kind=reverse", "length=6", "T=20", "seed=12345678901"])
    run_case("copy, 2 symbols length 1 (retries run out)", ["kind=copy", "symbols=2", "length=1", "T=2"])
    run_case("sort, 3 symbols length 2", ["kind=sort", "symbols=3", "length=2", "T=4", "B=16", "seed=5"])
    run_case("reverse, variable lengths 3..9", ["kind=reverse", "length=9", "min_length=3", "T=20", "B=16", "seed=9"])
    run_case("sort encoder, variable lengths 1..6", ["kind=sort", "per_position=1", "length=6", "min_length=1", "T=8", "B=16"])
    run_case("copy, variable lengths cut by T", ["kind=copy", "length=8", "min_length=4", "T=12", "B=8", "seed=4"])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "corpus.txt")
        with open(path, "w", encoding="utf-8") as f:
            for i in range(300):
                f.write(f"line {i}: héllo wörld — ünïcode ✓ {i * i % 97}\n\tindented\n")
        run_case("text (UTF-8 file)", ["kind=text", f"path={path}", "T=32", "seed=9"])
        run_case("text, validation part shorter than T", ["kind=text", f"path={path}", "T=64", "val=0.002", "seed=4"])
    if os.path.isdir(os.environ.get("BLOCKLAB_FORTUNES_DIR", "/usr/share/games/fortunes")):
        run_case("fortunes", ["kind=fortunes", "T=64", "B=3"], ["0:0", "0:99", "1:7"])
    run_rng(1, 3_000_000_001)
    run_rng(2**63 + 5, 4_294_967_295)
    run_rng(0, 10)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
