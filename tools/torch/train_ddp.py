"""train_ddp.py — continue a blocklab run in PyTorch, on one process or many (DDP).

Reads a blocklab checkpoint (weights, arch, training state, AdamW moments),
continues training exactly as blocklab would — same schedule, clipping,
optimizer state, and the same data stream from the checkpoint's data_position
— and writes a blocklab checkpoint back that `blocklab load` reads.

Launch with torchrun (it sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT), or set those by hand, one process per rank:
    torchrun --nproc_per_node=4 train_ddp.py checkpoint.st --steps 1000
    python3 train_ddp.py checkpoint.st --steps 100          # one process
Backend: NCCL on GPUs, gloo on CPUs. Global batch k is blocklab's batch k: its
B rows are split across ranks (rank r draws rows r, r+world, ...), each rank's
loss is its share of the masked mean over the whole batch, and DDP's gradient
average then equals the gradient of blocklab's loss. Rank 0 logs
"step N loss X" (N counts from the start of the run, X is the loss before
that step's update) and saves the checkpoint. A Mixture-of-Modules run also
trains its load-balancing loss (aux x L_aux, computed on each rank's rows, so
under DDP it is the mean of the ranks' losses rather than the loss of the
whole batch) and logs it as "aux X".
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blocklab_data import DataStream  # noqa: E402
from blocklab_model import BlocklabModel, read_safetensors, write_safetensors  # noqa: E402

FORMAT = "blocklab-1"
ALIGN = 16  # core/params.c: each tensor starts at a multiple of 16 floats


def fail(msg):
    print(f"train_ddp: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Continue a blocklab run with DistributedDataParallel.")
    p.add_argument("checkpoint", help="blocklab checkpoint with a training state (export torch writes checkpoint.st)")
    p.add_argument("--steps", type=int, required=True, help="training steps to take now")
    p.add_argument("--lr", type=float, help="peak learning rate (default: the checkpoint's)")
    p.add_argument("--total", type=int, help="schedule length in steps (default: the checkpoint's)")
    p.add_argument("--out", help="checkpoint to write at the end (default: checkpoint-STEP.st next to the input)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--data-dir", help="where tokens.bin and data.json are (text data; default: beside the checkpoint)")
    p.add_argument("--log-every", type=int, default=10, help="log every N steps (the first and last always)")
    return p.parse_args(argv)


def optim_lr(o, step):
    """core/optim.c optim_lr, with its float32 and double steps kept."""
    lr, f32 = np.float32(o["lr"]), np.float32
    if o["warmup"] > 0 and step < o["warmup"]:
        return float(lr * f32(step + 1) / f32(o["warmup"]))
    if o["schedule"] == "constant":
        return float(lr)
    span = o["steps"] - o["warmup"]
    frac = (step - o["warmup"]) / span if span > 0 else 1.0
    frac = min(max(frac, 0.0), 1.0)
    floor = float(lr * f32(o["min_lr_frac"]))
    shape = 0.5 * (1.0 + math.cos(3.141592653589793 * frac)) if o["schedule"] == "cosine" else 1.0 - frac
    return float(f32(floor + (float(lr) - floor) * shape))


def param_layout(path):
    """Blocklab's flat parameter layout, from the checkpoint: tensors in data
    order (ckpt_save writes the parameter table in order), each starting at a
    multiple of 16 floats. Returns ([names in order], {name: (offset, numel)}, total)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    header.pop("__metadata__", None)
    names = sorted((k for k in header if not k.startswith("optim.")), key=lambda k: header[k]["data_offsets"][0])
    layout, off = {}, 0
    for name in names:
        numel = int(np.prod(header[name]["shape"], dtype=np.int64))
        layout[name] = (off, numel)
        off += (numel + ALIGN - 1) // ALIGN * ALIGN
    return names, layout, off


def make_optimizer(model, o):
    groups = model.param_groups(o["weight_decay"])
    if o["kind"] == "adamw":
        return torch.optim.AdamW(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    if o["kind"] == "sgd":  # optim.c: PyTorch's SGD, weight decay on the gradient, momentum beta1
        return torch.optim.SGD(groups, lr=o["lr"], momentum=o["beta1"])
    fail(f"unknown optimizer '{o['kind']}' in the training state: expected adamw or sgd")


def restore_moments(model, opt, o, tensors, layout, total, adam_t, device):
    """optim.m / optim.v (flat, C layout) -> each parameter's optimizer state."""
    if "optim.m" not in tensors or adam_t == 0:
        return False
    m, v = tensors["optim.m"].reshape(-1), tensors["optim.v"].reshape(-1)
    if m.size != total or v.size != total:
        fail(f"optimizer moments hold {m.size} floats, the parameter layout {total}")
    for name, p in model.named_parameters():
        off, n = layout[model.to_blocklab_name(name)]
        part = lambda a: torch.from_numpy(a[off : off + n].copy()).reshape(p.shape).to(device)
        if o["kind"] == "adamw":
            opt.state[p] = {"step": torch.tensor(float(adam_t)), "exp_avg": part(m), "exp_avg_sq": part(v)}
        elif o["beta1"] > 0:
            opt.state[p] = {"momentum_buffer": part(m)}
    return True


def save_checkpoint(path, model, opt, o, names, layout, total, meta, state):
    """Blocklab's format: parameters in layout order, optim.m/v flat, metadata
    as read with "train" updated. Atomic: a temporary file, then a rename."""
    own = {k: t.detach().cpu().numpy() for k, t in model.blocklab_state().items()}
    tensors = {}
    for name in names:
        if name not in own:
            fail(f"the model has no tensor '{name}' to save")
        tensors[name] = own[name]
    m, v = np.zeros(total, dtype=np.float32), np.zeros(total, dtype=np.float32)
    for name, p in model.named_parameters():
        off, n = layout[model.to_blocklab_name(name)]
        st = opt.state.get(p, {})
        if o["kind"] == "adamw" and "exp_avg" in st:
            m[off : off + n] = st["exp_avg"].detach().cpu().numpy().reshape(-1)
            v[off : off + n] = st["exp_avg_sq"].detach().cpu().numpy().reshape(-1)
        elif "momentum_buffer" in st and st["momentum_buffer"] is not None:
            m[off : off + n] = st["momentum_buffer"].detach().cpu().numpy().reshape(-1)
    tensors["optim.m"], tensors["optim.v"] = m, v
    meta = dict(meta)
    meta["train"] = json.dumps(state)
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        write_safetensors(tmp, tensors, meta)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def open_data(state, ckpt_path, data_dir):
    spec = state["data"]
    dirs = [data_dir] if data_dir else [os.path.dirname(os.path.abspath(ckpt_path)), os.path.dirname(os.path.abspath(__file__))]
    err = None
    for d in dirs:
        try:
            return DataStream.from_state(spec, d)
        except (OSError, ValueError) as e:
            err = e
    fail(str(err))


def main(argv=None):
    args = parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if args.device == "cuda" and not torch.cuda.is_available():
        fail("--device cuda: no CUDA device is available")
    use_cuda = args.device == "cuda" or (args.device is None and torch.cuda.is_available())
    backend = "nccl" if use_cuda else "gloo"
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, local_world)))
    if args.steps < 0:
        fail(f"--steps {args.steps}: expected 0 or more")

    tensors, meta = read_safetensors(args.checkpoint)
    if meta.get("format") != FORMAT:
        fail(f"{args.checkpoint}: not a blocklab checkpoint (format {meta.get('format')!r}, expected {FORMAT!r})")
    if "train" not in meta:
        fail(f"{args.checkpoint} has no training state: export a run that has data and a training configuration")
    state = json.loads(meta["train"])
    arch = json.loads(meta["arch_json"])
    o = dict(state["opt"])
    if args.lr is not None:
        o["lr"] = args.lr
    if args.total is not None:
        o["steps"] = args.total
    stream = open_data(state, args.checkpoint, args.data_dir)
    B, T, V = int(state["batch"]), int(arch["ctx"]), int(arch["vocab"])
    if stream.vocab > V:
        fail(f"the data has {stream.vocab} symbols but the model's vocab is {V}")
    if T < stream.min_ctx:
        fail(f"the data needs ctx >= {stream.min_ctx} but the model has ctx={T}")
    if world > B:
        fail(f"{world} ranks for a batch of {B} rows: use at most {B} ranks")
    rows = list(range(rank, B, world))

    model = BlocklabModel(arch)
    with torch.no_grad():
        model.load_blocklab(tensors)
    model.to(device)
    names, layout, total = param_layout(args.checkpoint)
    opt = make_optimizer(model, o)
    adam_t = int(state["adam_t"])
    restored = restore_moments(model, opt, o, tensors, layout, total, adam_t, device)

    model.return_aux = model.is_mom
    if world > 1:
        dist.init_process_group(backend=backend, init_method="env://", rank=rank, world_size=world)
        # A MoM leaves the modules no token chose without a gradient in a step.
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None,
                                                        find_unused_parameters=model.is_mom)
    else:
        net = model
    step0, pos0 = int(state["step"]), int(state["data_position"])
    if rank == 0:
        print(f"train_ddp: {world} rank{'s' if world > 1 else ''} ({backend} on {device.type}), batch {B}x{T}, "
              f"step {step0}, data position {pos0}, {o['kind']} t={adam_t}{' (moments restored)' if restored else ''}", flush=True)
    params = [p for p in model.parameters()]
    skipped = 0
    for i in range(args.steps):
        t0 = time.time()
        step, pos = step0 + i, pos0 + i
        lr = optim_lr(o, step)
        for g in opt.param_groups:
            g["lr"] = lr
        tok, tgt, mask = (torch.from_numpy(a).to(device) for a in stream.batch(0, pos, B, T, rows))
        out = net(tok)
        logits, aux = out if model.is_mom else (out, None)
        per = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), reduction="none")
        local = (per * mask.reshape(-1)).sum()
        # MoM: the load-balancing loss of this rank's rows (spec §A.9); DDP's
        # gradient average makes it the mean over ranks of the per-rank losses.
        aux = aux if model.is_mom else local.new_zeros(())
        sums = torch.stack([local.detach(), mask.sum(), aux.detach().to(local.dtype)]).double()
        if world > 1:
            dist.all_reduce(sums)
        loss = float(sums[0] / sums[1].clamp_min(1e-30))
        opt.zero_grad()
        objective = local * (world / max(float(sums[1]), 1e-30))
        if model.is_mom and arch["mom"]["aux"] != 0:
            objective = objective + arch["mom"]["aux"] * aux
        objective.backward()
        for p in params:  # as blocklab: a module no token chose gets a zero gradient (AdamW still decays it)
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        if o["clip"] > 0:
            norm = float(torch.nn.utils.clip_grad_norm_(params, o["clip"]))
        else:
            norm = float(torch.norm(torch.stack([p.grad.detach().double().norm() for p in params])))
        if math.isfinite(loss) and math.isfinite(norm):
            opt.step()
            adam_t += 1
        else:  # as blocklab: keep the last good parameters
            skipped += 1
            if rank == 0:
                print(f"step {step + 1}: non-finite loss or gradient, update skipped", flush=True)
        if rank == 0 and (i == 0 or i == args.steps - 1 or (i + 1) % args.log_every == 0):
            mom = f" aux {float(sums[2]) / world:.6f}" if model.is_mom else ""
            print(f"step {step + 1} loss {loss:.6f}{mom} lr {lr:.4g} norm {norm:.4f} {1000 * (time.time() - t0):.0f} ms", flush=True)

    state["step"] = step0 + args.steps
    state["adam_t"] = adam_t
    state["data_position"] = str(pos0 + args.steps)
    state["opt"] = o
    if rank == 0:
        out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), f"checkpoint-{state['step']}.st")
        save_checkpoint(out, model, opt, o, names, layout, total, meta, state)
        print(f"saved {out}: step {state['step']}, data position {state['data_position']}"
              f"{f', {skipped} updates skipped' if skipped else ''}", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
