"""Supervised fine-tuning of a Llama model on packed Alpaca with the DeepSpeed engine: one readable loop.

    python -m h200_workload.sft --model llama-1b --preset tuned --data DIR --steps 20 --warmup-steps 3 \\
        --metrics-out metrics.jsonl --summary-out summary.json

Runs under torchrun, ``deepspeed --hostfile H --ssh_port 44222``, srun (see launch.py) or as a single
process. Rank 0 writes one JSON line per optimizer step to --metrics-out (flushed as written) and the
summary to --summary-out (schemas in docs/architecture.md); a failure writes a summary with status
"failed" and a classified error, and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import socket
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from h200_workload import affinity, attention, compat, flops, launch, models, presets
from h200_workload.data import PreparedData, check_own_tokenizer, load_prepared
from h200_workload.errors import WorkloadError, classify

FLOPS_CONVENTION = ("6*N per token, N = all parameters incl. embeddings (PaLM app. B / nanoGPT); "
                    "attention 12*L*h*s separate in mfu_with_attention; peak = dense BF16 of the GPU")


@dataclass
class Run:
    """Everything the summary reports, filled in as it becomes known (so a failure reports what it knew)."""

    args: argparse.Namespace
    dist: launch.DistEnv
    device: str
    summary: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    affinity: dict[str, Any] = field(default_factory=dict)  # this rank's CPU binding (affinity.py)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m h200_workload.sft", description="SFT on packed Alpaca (DeepSpeed)")
    p.add_argument("--model", required=True, help=f"{' | '.join(models.SHAPES)} | a Hugging Face id or local path")
    p.add_argument("--preset", choices=("seed", "tuned"), required=True)
    p.add_argument("--data", type=Path, required=True, help="the --out DIR of `h200_workload.data prepare`")
    p.add_argument("--steps", type=int, required=True, help="timed optimizer steps")
    p.add_argument("--warmup-steps", type=int, default=2, help="optimizer steps before the timed ones")
    p.add_argument("--metrics-out", type=Path, required=True)
    p.add_argument("--summary-out", type=Path, required=True)
    p.add_argument("--seq-len", type=int, help="default: the preset's (seed 512, tuned 4096; tiny 512)")
    p.add_argument("--micro-batch-size", type=int, help="packed rows per GPU per micro-step")
    p.add_argument("--grad-accum", type=int)
    p.add_argument("--zero-stage", type=int, choices=(0, 1, 2, 3))
    p.add_argument("--offload", choices=presets.OFFLOADS)
    p.add_argument("--offload-ratio", type=float, help="fraction of optimizer state on the CPU (ZeRO-3), 0-1")
    p.add_argument("--checkpointing", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--checkpoint-layers", type=int, help="checkpoint the first K decoder layers (-1: all)")
    p.add_argument("--liger", action=argparse.BooleanOptionalAction, default=None,
                   help="Liger fused kernels (default: tuned preset on CUDA when importable)")
    p.add_argument("--attention", choices=("auto", *attention.KERNELS), default="auto")
    p.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda when present, else cpu")
    p.add_argument("--cpu-affinity", choices=("numa", "none"), default="numa",
                   help="numa: bind each rank to the CPUs of its GPU's NUMA node at start (affinity.py)")
    p.add_argument("--deepspeed-config", type=Path, help="JSON merged over the generated DeepSpeed config")
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--local_rank", "--local-rank", type=int, help=argparse.SUPPRESS)  # set by the deepspeed launcher
    args = p.parse_args(argv)
    for name in ("steps", "micro_batch_size", "grad_accum", "seq_len"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if args.warmup_steps < 0:
        p.error(f"--warmup-steps must be >= 0, got {args.warmup_steps}")
    if args.offload_ratio is not None and not 0.0 < args.offload_ratio <= 1.0:
        p.error(f"--offload-ratio must be in (0, 1], got {args.offload_ratio}")
    return args


def choose_settings(args: argparse.Namespace, n_params: int, world_size: int, device: str,
                    shape: models.LlamaShape | None = None, gpu_bytes: float | None = None) -> presets.Settings:
    """The preset's settings with the command line's overrides applied (each override noted). With the model's
    shape and the GPU's memory the tuned preset plans ZeRO-3 from memory (presets.plan_zero3)."""
    if args.preset == "seed":
        s = presets.seed(n_params, world_size, hidden=shape.hidden_size if shape else None,
                         layers=shape.num_layers if shape else None, gpu_bytes=gpu_bytes)
    else:
        s = presets.tuned(args.model, n_params, world_size, device, hidden=shape.hidden_size if shape else None,
                          layers=shape.num_layers if shape else None, gpu_bytes=gpu_bytes)
    if args.model == "tiny" and args.seq_len is None:
        s.seq_len = 512
    overrides = {"seq_len": args.seq_len, "micro_batch_size": args.micro_batch_size, "grad_accum": args.grad_accum,
                 "zero_stage": args.zero_stage, "offload": args.offload, "offload_ratio": args.offload_ratio}
    if args.checkpointing is False:
        overrides["checkpoint_layers"] = 0
    elif args.checkpoint_layers is not None:
        overrides["checkpoint_layers"] = args.checkpoint_layers
    elif args.checkpointing and s.checkpoint_layers == 0:
        overrides["checkpoint_layers"] = -1
    for key, value in overrides.items():
        if value is not None and value != getattr(s, key):
            s.notes.append(f"command line: {key} {getattr(s, key)} -> {value}")
            setattr(s, key, value)
    if args.liger is not None:
        s.liger = args.liger
    if s.liger and (device != "cuda" or not models.liger_available()):
        why = "not on CUDA" if device != "cuda" else "liger_kernel is not installed"
        s.notes.append(f"Liger fused kernels not used: {why}")
        s.liger = False
    if s.offload != "none" and s.zero_stage < 1:
        raise WorkloadError("other", f"--offload {s.offload} needs ZeRO stage >= 1, got {s.zero_stage}",
                            "use --zero-stage 3 with --offload (or 1/2 for optimizer offload)")
    if s.offload == "optimizer+param" and s.zero_stage != 3:
        raise WorkloadError("other", f"--offload optimizer+param needs --zero-stage 3, got {s.zero_stage}",
                            "use --zero-stage 3, or --offload optimizer")
    if s.offload_ratio < 1.0 and (s.zero_stage != 3 or s.offload == "none"):
        raise WorkloadError("other", f"--offload-ratio {s.offload_ratio} needs ZeRO-3 with optimizer offload",
                            "add --zero-stage 3 --offload optimizer, or drop --offload-ratio")
    return s


def init_distributed(dist: launch.DistEnv, device: str) -> Any:
    """Import DeepSpeed for the device and join the process group; returns the deepspeed module."""
    if device == "cpu":
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
        compat.set_cpu_ranks_per_node()
    import deepspeed

    if device == "cpu":  # plain gloo: skip the ~50 s JIT build of DeepSpeed's shared-memory CPU collectives
        deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False
    else:
        torch.cuda.set_device(dist.local_rank)
    launch.export(dist)
    deepspeed.init_distributed(dist_backend="nccl" if device == "cuda" else "gloo", auto_mpi_discovery=False)
    return deepspeed


class Batches:
    """This rank's packed rows, shuffled once, in micro-batches; wraps around (counting epochs)."""

    def __init__(self, data: PreparedData, rank: int, world_size: int, micro_batch: int, seed: int,
                 device: str) -> None:
        order = np.random.default_rng(seed).permutation(len(data.real_tokens))
        self.rows = order[rank::world_size]
        if len(self.rows) < micro_batch:
            raise WorkloadError("other", f"{data.path}: {len(data.real_tokens)} packed rows give rank {rank} "
                                f"{len(self.rows)}, fewer than the micro-batch {micro_batch}",
                                "prepare more records, or lower --micro-batch-size")
        self.data, self.micro_batch, self.device, self.cursor, self.epochs = data, micro_batch, device, 0, 0

    def next(self) -> tuple[dict[str, torch.Tensor], int]:
        """The next micro-batch on the device (copied without waiting) and its count of real tokens."""
        if self.cursor + self.micro_batch > len(self.rows):
            self.cursor, self.epochs = 0, self.epochs + 1
        rows = np.sort(self.rows[self.cursor:self.cursor + self.micro_batch])
        self.cursor += self.micro_batch
        batch = {}
        for name in ("input_ids", "labels", "position_ids"):
            tensor = torch.from_numpy(np.asarray(getattr(self.data, name)[rows], dtype=np.int64))
            if self.device == "cuda":
                tensor = tensor.pin_memory().to("cuda", non_blocking=True)
            batch[name] = tensor
        return batch, int(self.data.real_tokens[rows].sum())


def versions() -> dict[str, str | None]:
    import transformers

    out: dict[str, str | None] = {"python": platform.python_version(), "torch": torch.__version__,
                                  "transformers": transformers.__version__, "cuda": torch.version.cuda}
    for name in ("deepspeed", "liger_kernel", "flash_attn"):
        try:  # the installed distribution's version: liger_kernel has no __version__ attribute
            out[name] = importlib.metadata.version(name) if importlib.util.find_spec(name) else None
        except importlib.metadata.PackageNotFoundError:
            out[name] = getattr(__import__(name), "__version__", "unknown")
    return out


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(path)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def train(run: Run, metrics: TextIO | None) -> None:
    """Set up data, model and engine from the arguments, then run warm-up + timed optimizer steps."""
    args, dist, device, summary = run.args, run.dist, run.device, run.summary
    deepspeed = init_distributed(dist, device)
    world = dist.world_size
    hosts = [None] * world
    torch.distributed.all_gather_object(hosts, socket.gethostname())
    summary.update(world_size=world, nodes=len(set(hosts)), gpus_per_node=world // len(set(hosts)))
    bindings: list[Any] = [None] * world
    torch.distributed.all_gather_object(bindings, dict(run.affinity, rank=dist.rank))
    summary["affinity"] = bindings
    if device == "cuda":  # which libnccl.so.2 file torch calls on each rank (the role-built one when preloaded)
        libraries: list[Any] = [None] * world
        torch.distributed.all_gather_object(libraries, {"rank": dist.rank, "host": socket.gethostname(),
                                                        "path": launch.loaded_library("libnccl.so.2")})
        summary["nccl_library"] = libraries

    # The model's size picks the preset's settings; the settings pick seq_len and so the dataset.
    probe_shape = models.resolve_shape(args.model, 0 if args.model != "tiny" else 64, args.seq_len or 4096)[0]
    gpu_bytes = torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory if device == "cuda" else None
    s = choose_settings(args, flops.llama_param_count(probe_shape), world, device, probe_shape, gpu_bytes)
    summary.update(preset=s.preset, zero_stage=s.zero_stage, offload=s.offload, micro_batch_size=s.micro_batch_size,
                   seq_len=s.seq_len, grad_accum=s.grad_accum, notes=s.notes, offload_ratio=s.offload_ratio)
    data = load_prepared(args.data, s.seq_len)
    summary["data"] = {k: data.meta[k] for k in ("key", "source", "tokenizer", "records", "rows", "fill_ratio")}
    if args.model not in models.SHAPES:
        check_own_tokenizer(data.meta, args.model)
    shape, config = models.resolve_shape(args.model, data.meta["vocab_size"], s.seq_len)
    kernel, kernel_why = attention.choose(args.attention, device, s.seq_len)
    summary.update(attention=kernel, attention_reason=kernel_why)

    ds_config = presets.deepspeed_config(s, world, args.lr, args.warmup_steps)
    if args.deepspeed_config:
        if not args.deepspeed_config.is_file():
            raise WorkloadError("missing_path", f"--deepspeed-config not found: {args.deepspeed_config}",
                                "give a JSON file with the DeepSpeed keys to override")
        ds_config = presets.merge(ds_config, json.loads(args.deepspeed_config.read_text()))
        s.notes.append(f"DeepSpeed config overridden by {args.deepspeed_config}")
    summary["deepspeed_config"] = ds_config

    torch.manual_seed(args.seed)
    summary["liger"] = models.apply_liger(config.model_type) if s.liger else "not used"
    model = models.build(args.model, config, kernel, device, ds_config)
    info = models.describe(args.model, shape, models.count_params(model))
    summary.update(model_source=info.source, n_params=info.n_params)
    summary["checkpoint_layers"] = models.set_checkpointing(model, s.checkpoint_layers)
    model.train()

    optimizer = None
    if "optimizer" not in ds_config:  # no offload: torch's AdamW (fused kernel on CUDA) as client optimizer
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0,
                                      fused=device == "cuda")
        summary["optimizer"] = f"torch.optim.AdamW(fused={device == 'cuda'})"
    else:
        summary["optimizer"] = "DeepSpeedCPUAdam (ZeRO-Offload)"
    engine = deepspeed.initialize(model=model, optimizer=optimizer, config=ds_config,
                                  model_parameters=None if optimizer else model.parameters())[0]
    compat.start_lr_schedule(engine)

    device_name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    peak, peak_why = flops.peak_bf16_flops(device_name)
    model_fpt = flops.model_flops_per_token(info.n_params)
    attn_fpt = model_fpt + flops.attention_flops_per_token(shape.num_layers, shape.hidden_size, s.seq_len)
    summary.update(device_name=device_name, peak_tflops=peak / 1e12 if peak else None, mfu_reason=peak_why)

    batches = Batches(data, dist.rank, world, s.micro_batch_size, args.seed, device)
    total_steps = args.warmup_steps + args.steps
    last = time.perf_counter()
    for step in range(1, total_steps + 1):
        loss_sum = torch.zeros((), device=engine.device)
        tokens = 0
        for micro in range(1, s.grad_accum + 1):
            batch, real = batches.next()
            out = engine(input_ids=batch["input_ids"], labels=batch["labels"],
                         **attention.model_inputs(kernel, batch["position_ids"]))
            engine.backward(out.loss)
            if micro == s.grad_accum:  # the optimizer step (CPU Adam with offload): timed on its own
                lr, lr_gpu_share = compat.follow_lr_schedule(engine.optimizer)
                sync(device)
                optimizer_t0 = time.perf_counter()
                engine.step()
                sync(device)
                optimizer_s = time.perf_counter() - optimizer_t0
            else:
                engine.step()
            loss_sum += out.loss.detach().float()  # stays on the device: no host sync per micro-step
            tokens += real
        totals = torch.tensor([loss_sum.item(), float(tokens)], device=engine.device)
        torch.distributed.all_reduce(totals)
        now = time.perf_counter()
        step_time, last = now - last, now  # wall time between step ends: logging and data included
        global_tokens = int(totals[1].item())
        per_gpu = global_tokens / step_time / world
        line = {
            "step": step, "samples": s.micro_batch_size * s.grad_accum * world, "tokens": global_tokens,
            "step_time_s": step_time, "optimizer_step_s": optimizer_s, "tokens_per_s": global_tokens / step_time,
            "tokens_per_s_per_gpu": per_gpu,
            "tflops_per_gpu": per_gpu * model_fpt / 1e12, "mfu": flops.mfu(per_gpu, model_fpt, peak),
            "mfu_with_attention": flops.mfu(per_gpu, attn_fpt, peak),
            "loss": totals[0].item() / (s.grad_accum * world), "lr": lr,
            "lr_offload_gpu_share": lr_gpu_share,  # None unless part of the optimizer state stays on the GPU
            "peak_mem_gb": torch.cuda.max_memory_allocated() / 1e9 if device == "cuda" else None,
            "warmup": step <= args.warmup_steps,
            "t_end": time.time(),  # wall clock (Unix s): lets the report line telemetry up with the timed steps
        }
        run.steps.append(line)
        if metrics is not None:
            metrics.write(json.dumps(line) + "\n")
            metrics.flush()
    summary["data_epochs"] = batches.epochs


def summarize(run: Run) -> None:
    """Medians over the timed (non-warm-up) steps; first and last loss over all steps."""
    timed = [line for line in run.steps if not line["warmup"]]

    def median(key: str) -> float | None:
        values = [line[key] for line in timed if line[key] is not None]
        return statistics.median(values) if values else None

    run.summary.update(
        timed_steps=len(timed), tokens_per_s=median("tokens_per_s"),
        tokens_per_s_per_gpu=median("tokens_per_s_per_gpu"),
        tflops_per_gpu=median("tflops_per_gpu"), optimizer_step_s=median("optimizer_step_s"), mfu=median("mfu"),
        mfu_with_attention=median("mfu_with_attention"),
        peak_mem_gb=max((line["peak_mem_gb"] for line in run.steps if line["peak_mem_gb"] is not None), default=None),
        loss_first=run.steps[0]["loss"] if run.steps else None, loss_last=run.steps[-1]["loss"] if run.steps else None,
        # wall-clock span of the timed steps on rank 0 (Unix s), for GPU utilisation over exactly those steps
        timed_t_start=timed[0]["t_end"] - timed[0]["step_time_s"] if timed else None,
        timed_t_end=timed[-1]["t_end"] if timed else None,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dist = launch.resolve(os.environ)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    run = Run(args=args, dist=dist, device=device)
    run.summary.update(status="ok", error=None, model=args.model, model_source=None, preset=args.preset,
                       device=device, launcher=dist.launcher, warmup_steps=args.warmup_steps,
                       flops_convention=FLOPS_CONVENTION, versions=versions(), host=socket.gethostname(),
                       omp_threads=os.environ.get("OMP_NUM_THREADS"))  # CPU Adam's threads with offload
    # before any work starts a thread: every rank binds itself to its GPU's NUMA node, or logs why it did not
    if args.cpu_affinity == "numa" and device == "cuda":
        run.affinity = affinity.bind(dist.local_rank)
    else:
        reason = "--cpu-affinity none" if args.cpu_affinity == "none" else "CPU run: no GPU to bind to"
        run.affinity = {"local_rank": dist.local_rank, "host": socket.gethostname(), "status": "not bound",
                        "reason": reason}
    print(json.dumps({"rank": dist.rank, "affinity": run.affinity}), flush=True)
    is_rank0 = dist.rank == 0
    metrics = None
    status = 0
    try:
        if device == "cuda" and not torch.cuda.is_available():
            raise WorkloadError("other", f"--device cuda but no CUDA GPU is present on {socket.gethostname()}",
                                "run on a GPU node, or use --device cpu with a small model (--model tiny)")
        if is_rank0:
            args.metrics_out.parent.mkdir(parents=True, exist_ok=True)
            metrics = args.metrics_out.open("w", encoding="utf-8")
        train(run, metrics)
    except Exception as exc:  # every failure becomes a classified summary
        context = {"micro_batch_size": run.summary.get("micro_batch_size"), "zero_stage": run.summary.get("zero_stage"),
                   "offload": run.summary.get("offload"), "master_addr": dist.master_addr}
        run.summary.update(status="failed", error=classify(exc, context))
        print(json.dumps({"rank": dist.rank, "error": run.summary["error"]}), file=sys.stderr)
        traceback.print_exc()
        status = 1
    finally:
        if metrics is not None:
            metrics.close()
    summarize(run)
    if is_rank0:
        write_json(args.summary_out, run.summary)
    if torch.distributed.is_initialized():
        if status == 0:
            compat.destroy_process_group()
    return status


if __name__ == "__main__":
    sys.exit(main())
