"""test_export.py — `export torch DIR` end to end: the package blocklab writes
runs on its own and continues blocklab's runs.

build/tests/export_dump drives core/export.c. Every module is imported FROM
THE EXPORT DIRECTORY (never tools/torch), and train_ddp.py runs from there:
  files     the embedded .py files are byte-identical to tools/torch; README;
            refusals (non-empty dir without force, a file, a missing parent)
  logits    for every preset of test_parity.py, the exported model's float32
            logits match blocklab's: max|c - t| <= 1e-4 * max|t|
  resume    one rank continues a run exported after 20 C steps (warmup,
            cosine, clipping, AdamW moments): its batch at data_position equals
            C's data_batch, and its logged losses equal C's own continuation
            (rel 1e-4); the same for a text corpus (tokens.bin)
  ddp       two ranks (gloo, CPU; started by hand with torchrun's environment,
            since Debian's torch 1.13 torchrun crashes under Python 3.11) train
            30 steps from a fresh export: the first loss equals blocklab's loss on
            batch 0 (the global batch is blocklab's), the loss falls, and the
            checkpoint rank 0 writes loads in blocklab with its step, position
            and moments, giving the same next-batch loss as PyTorch.
Run with Debian's torch: /usr/bin/python3 tests/parity/test_export.py
"""
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from harness import check, summary, tally  # noqa: E402,F401
import torch  # noqa: E402

from test_parity import CONFIGS  # noqa: E402  (the preset list; importing runs nothing)

torch.set_num_threads(1)
PY = sys.executable
DUMP = os.path.join(ROOT, os.environ.get("BUILD", "build"), "tests", "export_dump")
TASK_ARCH = "model new depth=2 width=32 heads=4 ctx=16 vocab=12"
TIMEOUT = 120



def dump(*args):
    return subprocess.run([DUMP, *args], capture_output=True, text=True, timeout=TIMEOUT)


_loaded = 0


def load_exported(directory, name):
    """Imports DIR/name.py under a fresh module name (each export is its own package)."""
    global _loaded
    _loaded += 1
    spec = importlib.util.spec_from_file_location(f"{name}_{_loaded}", os.path.join(directory, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def losses_of(out):
    return [(int(s), float(x)) for s, x in re.findall(r"^step (\d+) loss (\S+)", out, re.M)]


def test_files(tmp):
    d = os.path.join(tmp, "files")
    r = dump("export", d, TASK_ARCH)
    if not check(r.returncode == 0, f"export failed: {r.stdout.strip()} {r.stderr.strip()}"):
        return
    for name in ("blocklab_model.py", "blocklab_student.py", "blocklab_data.py", "train_ddp.py"):
        with open(os.path.join(d, name), "rb") as f, open(os.path.join(ROOT, "tools", "torch", name), "rb") as g:
            check(f.read() == g.read(), f"exported {name} differs from tools/torch/{name}")
    with open(os.path.join(d, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    check("torchrun --nproc_per_node=N train_ddp.py checkpoint.st --steps 1000" in readme and "RANK=1 LOCAL_RANK=1" in readme,
          "README lacks the torchrun and by-hand launch lines")
    r = dump("export", d, TASK_ARCH)
    check(r.returncode == 1 and "is not empty" in r.stdout, f"non-empty dir not refused: {r.stdout.strip()}")
    r = dump("export", d, TASK_ARCH, "force")
    check(r.returncode == 0, f"force on a non-empty dir failed: {r.stdout.strip()}")
    r = dump("export", os.path.join(d, "README.md"), TASK_ARCH)
    check(r.returncode == 1 and "not a directory" in r.stdout, f"a file as DIR not refused: {r.stdout.strip()}")
    r = dump("export", os.path.join(tmp, "no", "such", "dir"), TASK_ARCH)
    check(r.returncode == 1 and "parent directory does not exist" in r.stdout, f"missing parent: {r.stdout.strip()}")
    if os.geteuid() != 0:  # root writes anywhere
        ro = os.path.join(tmp, "ro")
        os.mkdir(ro, 0o555)
        r = dump("export", os.path.join(ro, "x"), TASK_ARCH)
        check(r.returncode == 1 and "Permission denied" in r.stdout, f"unwritable parent: {r.stdout.strip()}")
    print(f"  files: embedded .py identical to tools/torch, README, refusals ({tally['passed']} checks so far)")


def test_logits(tmp):
    worst = 0.0
    for i, (label, arch, *_) in enumerate(CONFIGS):
        d, ref_path = os.path.join(tmp, f"logits{i}"), os.path.join(tmp, f"logits{i}.st")
        r = dump("logits", d, ref_path, arch)
        if not check(r.returncode == 0, f"{label}: export_dump logits failed: {r.stderr.strip()}"):
            continue
        bm = load_exported(d, "blocklab_model")
        model, _ = bm.BlocklabModel.from_checkpoint(os.path.join(d, "checkpoint.st"))
        ref, _ = bm.read_safetensors(ref_path)
        with torch.no_grad():
            t = model(torch.from_numpy(ref["tokens"].astype(np.int64))).numpy()
        c = ref["logits"]
        e = float(np.max(np.abs(c - t))) / max(float(np.max(np.abs(t))), 1e-30)
        worst = max(worst, e)
        check(e <= 1e-4, f"{label}: exported model logits rel err {e:.2e} > 1e-4")
        print(f"  logits {label:44s} rel err {e:.1e}")
    return worst


TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def train_run(d, args):
    """One process, whatever environment this test was started in."""
    env = {k: v for k, v in os.environ.items() if k not in TORCHRUN_ENV}
    return subprocess.run([PY, os.path.join(d, "train_ddp.py"), *args], capture_output=True, text=True, cwd=d, env=env, timeout=TIMEOUT)


def test_resume(tmp, label, data_args, cont, arch=None):
    """C trains `pre` steps and exports; one Python rank continues `cont` steps."""
    d, ref_path = os.path.join(tmp, "resume-" + label), os.path.join(tmp, f"resume-{label}.st")
    arch = arch or (TASK_ARCH if "text" not in label else TASK_ARCH.replace("vocab=12", "vocab=64"))
    r = dump("train", d, ref_path, arch,
             *data_args, "batch=8", "lr=3e-3", "warmup=10", "steps=60", "schedule=cosine", "clip=0.5", "pre=20", f"cont={cont}")
    if not check(r.returncode == 0, f"resume {label}: export_dump train failed: {r.stderr.strip()}"):
        return
    bm, bd = load_exported(d, "blocklab_model"), load_exported(d, "blocklab_data")
    ref, meta = bm.read_safetensors(ref_path)
    _, cmeta = bm.read_safetensors(os.path.join(d, "checkpoint.st"))
    state = json.loads(cmeta["train"])
    k = int(state["data_position"])
    check(k == 20 and k == int(meta["data_position"]), f"resume {label}: data_position {k}, expected 20")
    stream = bd.DataStream.from_state(state["data"], d)
    tok, tgt, mask = stream.batch(0, k, int(state["batch"]), 16)
    same = (np.array_equal(tok, ref["tokens"].astype(np.int64)) and np.array_equal(tgt, ref["targets"].astype(np.int64))
            and np.array_equal(mask, ref["mask"]))
    check(same, f"resume {label}: Python's batch at data_position {k} differs from C's data_batch")
    r = train_run(d, ["checkpoint.st", "--steps", str(cont), "--log-every", "1", "--out", os.path.join(d, "one.st")])
    if not check(r.returncode == 0, f"resume {label}: train_ddp failed: {r.stderr.strip()[-800:]}"):
        return
    got = losses_of(r.stdout)
    want = [float(x) for x in ref["losses"]]
    steps_ok = [s for s, _ in got] == list(range(21, 21 + cont))
    errs = [rel(p, c) for (_, p), c in zip(got, want)]
    check(steps_ok and len(errs) == cont and max(errs) <= 1e-4 and "moments restored" in r.stdout,
          f"resume {label}: PyTorch losses {[x for _, x in got]} vs blocklab {want}")
    print(f"  resume {label:8s} batch at position {k} identical; {cont} steps, loss "
          f"{want[0]:.5f} -> {want[-1]:.5f}, max rel err vs blocklab {max(errs) if errs else float('nan'):.1e}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp(tmp, steps=30, arch=TASK_ARCH, label="ddp"):
    d, ref_path = os.path.join(tmp, label.replace(" ", "-")), os.path.join(tmp, label.replace(" ", "-") + ".st")
    r = dump("train", d, ref_path, arch, "kind=reverse", "symbols=10", "length=8", "batch=16", "lr=1e-2",
             "warmup=0", "steps=1000", "pre=0", "cont=1")
    if not check(r.returncode == 0, f"ddp: export_dump train failed: {r.stderr.strip()}"):
        return
    bm, bd = load_exported(d, "blocklab_model"), load_exported(d, "blocklab_data")
    ref, _ = bm.read_safetensors(ref_path)
    out = os.path.join(d, "ddp-out.st")
    env = {"WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())}
    args = [PY, os.path.join(d, "train_ddp.py"), "checkpoint.st", "--steps", str(steps), "--log-every", "1", "--out", out]
    procs = []
    for rank in (0, 1):
        e = {k: v for k, v in os.environ.items() if k not in TORCHRUN_ENV}
        e.update(env, RANK=str(rank), LOCAL_RANK=str(rank))
        procs.append(subprocess.Popen(args, cwd=d, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = []
    for p in procs:
        try:
            outs.append(p.communicate(timeout=TIMEOUT))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            outs.append(("", "timed out"))
    codes = [p.returncode for p in procs]
    if not check(codes == [0, 0], f"ddp: ranks exited {codes}: {outs[0][1].strip()[-600:]} | {outs[1][1].strip()[-600:]}"):
        return
    got = [x for _, x in losses_of(outs[0][0])]
    check(len(got) == steps and not losses_of(outs[1][0]), f"ddp: rank 0 logged {len(got)} losses, rank 1 {len(losses_of(outs[1][0]))}")
    if not got:
        return
    c0 = float(ref["losses"][0])
    check(rel(got[0], c0) <= 1e-4, f"ddp: first loss {got[0]} differs from blocklab's loss on batch 0, {c0}")
    head, tail = float(np.mean(got[:3])), float(np.mean(got[-3:]))
    check(tail < head - 0.1, f"ddp: loss did not fall: first {got[:3]} last {got[-3:]}")
    print(f"  {label} 2 ranks (gloo): {steps} steps, loss {head:.4f} -> {tail:.4f} (means of 3); first loss vs blocklab rel err {rel(got[0], c0):.1e}")
    r = dump("load", out)
    if not check(r.returncode == 0, f"ddp: blocklab cannot load the checkpoint train_ddp wrote: {r.stderr.strip()}"):
        return
    m = dict(kv.split("=") for kv in r.stdout.split()[1:])
    check(m["step"] == str(steps) and m["adam_t"] == str(steps) and m["position"] == str(steps) and m["moments"] == "1",
          f"ddp: loaded state {r.stdout.strip()}, expected step/adam_t/position {steps} with moments")
    model, meta = bm.BlocklabModel.from_checkpoint(out)
    state = json.loads(meta["train"])
    tok, tgt, mask = bd.DataStream.from_state(state["data"], d).batch(0, steps, int(state["batch"]), 16)
    with torch.no_grad():
        model.loss(torch.from_numpy(tok), torch.from_numpy(tgt), torch.from_numpy(mask))
        lt = float(model.last_ce)  # the cross-entropy (a MoM's objective adds aux)
    lc = float(m["loss"])
    check(rel(lc, lt) <= 1e-4, f"ddp: next-batch loss after load: blocklab {lc}, PyTorch {lt}")
    print(f"  ddp checkpoint loads in blocklab: {r.stdout.strip()}; PyTorch next-batch loss {lt:.6f}")


def main():
    if not os.path.exists(DUMP):
        print(f"missing {DUMP}: run make first")
        print("0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        test_files(tmp)
        worst = test_logits(tmp)
        print(f"  logits: {len(CONFIGS)} presets, worst rel err {worst:.1e}")
        test_resume(tmp, "reverse", ["kind=reverse", "symbols=10", "length=8", "seed=3"], 5)
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for i in range(400):
                f.write(f"{i}: the quick brown fox — jumps über the lazy dog {i * 7 % 13}\n")
        test_resume(tmp, "text", ["kind=text", f"path={corpus}", "seed=5"], 3)
        # A Mixture-of-Modules run continues in PyTorch with its aux loss (K=2 so the LM loss reaches the routers).
        test_resume(tmp, "mom", ["kind=reverse", "symbols=10", "length=8", "seed=3"], 5,
                    TASK_ARCH + " stack=mom attn_pool=3 ffn_pool=3 steps=3 topk=2")
        test_ddp(tmp)
        test_ddp(tmp, arch=TASK_ARCH + " stack=mom attn_pool=2 ffn_pool=2 steps=2", label="ddp mom")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
