"""What ``--preset seed`` and ``--preset tuned`` choose, and the DeepSpeed config that results.

seed: the owners' configs as given (configs/ds_config_{7b,13b,70b}.json), picked by model size; the
micro-batch is train_batch_size / (gradient_accumulation_steps x world size) in packed rows of 512
tokens (the Stanford Alpaca recipe's max length); no fused kernels.

tuned: chosen for the model size and GPU count to keep the GPUs busy (shared/ANCHORS.md): packed rows
of 4096 tokens, large token micro-batches, Liger fused kernels when importable, the lowest ZeRO stage
that fits, optimizer offload only where one GPU cannot hold the optimizer state, partial activation
checkpointing where memory allows, large accumulation where the optimizer step runs on the CPU.

Command-line values override either preset; every deviation is written to ``notes``.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).parent / "configs"
OFFLOADS = ("none", "optimizer", "optimizer+param")


@dataclass
class Settings:
    preset: str
    seq_len: int
    micro_batch_size: int
    grad_accum: int
    zero_stage: int
    offload: str = "none"
    offload_ratio: float = 1.0  # fraction of the optimizer state on the CPU (DeepSpeed ZeRO-3 "ratio")
    checkpoint_layers: int = 0  # -1 all decoder layers, 0 none, k the first k
    liger: bool = False
    base_config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def size_class(n_params: int) -> str:
    """The owners' config that applies to a model of n_params: 7b up to 10e9, 13b up to 30e9, else 70b."""
    return "7b" if n_params <= 10e9 else "13b" if n_params <= 30e9 else "70b"


def seed(n_params: int, world_size: int, hidden: int | None = None, layers: int | None = None,
         gpu_bytes: float | None = None) -> Settings:
    """The owners' config for the model's size, as written: ZeRO stage, offload, accumulation, global batch, and
    activation checkpointing of every layer (the owners list it among their DeepSpeed settings for every size).
    Where the owners' figures cannot hold on this world size (a global batch that leaves less than one row per
    micro-step, a step that does not fit the GPU's memory) ``notes`` says so with the numbers."""
    cls = size_class(n_params)
    config = json.loads((CONFIG_DIR / f"ds_config_{cls}.json").read_text())
    config.pop("_comment", None)
    zero = config["zero_optimization"]
    accum = config["gradient_accumulation_steps"]
    global_batch = config["train_batch_size"]
    exact = global_batch / (accum * world_size)
    micro = max(1, int(exact))
    notes = [f"seed: owners' ds_config_{cls}.json (global batch {global_batch}, accumulation {accum},"
             f" ZeRO-{zero['stage']}, activation checkpointing on every layer)"]
    if micro != exact:
        notes.append(f"seed: the owners' global batch cannot hold on {world_size} ranks: {global_batch} / ({accum} x"
                     f" {world_size} ranks) = {exact:g} rows per micro-step{' < 1' if exact < 1 else ''}; micro-batch"
                     f" {micro}, so the global batch is {micro * accum * world_size} rows of {SEED_SEQ_LEN} tokens,"
                     f" not {global_batch}")
    offload = "none"
    if "offload_param" in zero:
        offload = "optimizer+param"
    elif "offload_optimizer" in zero:
        offload = "optimizer"
    if offload == "none" and hidden and layers and gpu_bytes:
        peak = zero3_peak_bytes(n_params, world_size, hidden, layers, micro * SEED_SEQ_LEN, layers)
        if peak > gpu_bytes:
            notes.append(f"seed: the owners' ds_config_{cls}.json does not fit {world_size} GPU(s) of"
                         f" {gpu_bytes / 1e9:.0f} GB: ZeRO-3 without offload keeps {ZERO3_BYTES_PER_PARAM} B x"
                         f" {n_params / 1e9:.2f}e9 parameters / {world_size} ranks ="
                         f" {ZERO3_BYTES_PER_PARAM * n_params / world_size / 1e9:.0f} GB per GPU; predicted peak"
                         f" {peak / 1e9:.0f} GB with {micro} x {SEED_SEQ_LEN} tokens per micro-step"
                         f" (presets.zero3_peak_bytes)")
    return Settings(preset="seed", seq_len=SEED_SEQ_LEN, micro_batch_size=micro, grad_accum=accum,
                    zero_stage=zero["stage"], offload=offload, checkpoint_layers=-1, liger=False, base_config=config,
                    notes=notes)


SEED_SEQ_LEN = 512  # the Stanford Alpaca recipe's max length


# GPU memory of a ZeRO-3 step without offload, per rank (bytes): the model the tuned preset plans with where
# the GPU's memory is known. Calibrated on the two-GPU H200 machine (llama2-7b, 8x4096 tokens per micro-batch):
# all 32 layers checkpointed peaked at 70.7 GB (model 70.8), 16 at 131.7 GB (model 130.9), 8 ran out of memory
# (model 163 GB); tests/unit/workload/test_presets_launch.py holds these points.
ZERO3_BYTES_PER_PARAM = 16  # bf16 weights + bf16 gradients + fp32 master weights + Adam m and v, sharded
ACTIVATION_BYTES_PER_TOKEN_HIDDEN = 32  # a layer that is not checkpointed (SDPA/flash attention, Liger kernels)
CHECKPOINT_BYTES_PER_TOKEN_HIDDEN = 2  # a checkpointed layer keeps its bf16 input
FIXED_BYTES = 4e9  # CUDA context, ZeRO buckets, allocator slack
GPU_MEMORY_SHARE = 0.9  # of the GPU's memory a plan may fill
# Tokens per micro-batch that ZeRO-3 needs so that its per-micro-step all-gathers stay small beside the compute.
MICRO_BATCHES = (8, 4)
ROWS_PER_RANK_PER_STEP = 64  # micro-batch x accumulation: 64 packed rows (262k tokens at 4096) per rank and step


def zero3_peak_bytes(n_params: int, world_size: int, hidden: int, layers: int, tokens: int,
                     checkpointed: int) -> float:
    """Predicted peak GPU memory of one rank: sharded state + fixed + activations of one micro-batch. The peak
    is at the start of the backward pass: the checkpointed layers' inputs and the other layers' activations;
    with every layer checkpointed, one layer's activations while it is recomputed."""
    static = n_params * ZERO3_BYTES_PER_PARAM / world_size + FIXED_BYTES
    kept = checkpointed * CHECKPOINT_BYTES_PER_TOKEN_HIDDEN * tokens * hidden
    live = max(layers - checkpointed, 1) * ACTIVATION_BYTES_PER_TOKEN_HIDDEN * tokens * hidden
    return static + kept + live


def plan_zero3(n_params: int, world_size: int, hidden: int, layers: int, seq_len: int,
               gpu_bytes: float) -> tuple[int, int, float] | None:
    """(micro-batch, checkpointed layers, predicted peak bytes) of ZeRO-3 without offload that fits in
    GPU_MEMORY_SHARE of gpu_bytes: the fewest checkpointed layers (less recomputation), then the larger
    micro-batch; None when nothing fits (the optimizer state must go to the CPU)."""
    budget = GPU_MEMORY_SHARE * gpu_bytes
    fits = [
        (checkpointed, -micro, zero3_peak_bytes(n_params, world_size, hidden, layers, micro * seq_len, checkpointed))
        for micro in MICRO_BATCHES for checkpointed in range(layers + 1)
        if zero3_peak_bytes(n_params, world_size, hidden, layers, micro * seq_len, checkpointed) <= budget
    ]
    if not fits:
        return None
    checkpointed, neg_micro, peak = min(fits)
    return -neg_micro, checkpointed, peak


def _planned(plan: tuple[int, int, float], layers: int, gpu_bytes: float, what: str) -> Settings:
    micro, checkpointed, peak = plan
    return Settings("tuned", 4096, micro, ROWS_PER_RANK_PER_STEP // micro, zero_stage=3,
                    checkpoint_layers=-1 if checkpointed == layers else checkpointed, liger=True,
                    notes=[f"tuned: {what}: ZeRO-3, micro-batch {micro}x4096, {checkpointed} of {layers} layers"
                           f" checkpointed, chosen from the GPU's memory: predicted peak {peak / 1e9:.0f} GB of"
                           f" {gpu_bytes / 1e9:.0f} GB (plan to {GPU_MEMORY_SHARE:.0%}; presets.zero3_peak_bytes)"])


def tuned(model: str, n_params: int, world_size: int, device: str, hidden: int | None = None,
          layers: int | None = None, gpu_bytes: float | None = None) -> Settings:
    """The tuned choice; see the module docstring and docs/workload.md for the reasoning per size. With the
    model's hidden size and layer count and the GPU's memory (bytes), ZeRO-3 without offload is planned from
    memory (plan_zero3) for 7B on 2-7 GPUs and 13B wherever it fits."""
    known = device == "cuda" and bool(hidden and layers and gpu_bytes)
    seven_on_few = 3e9 < n_params <= 10e9 and 1 < world_size < 8
    thirteen = 10e9 < n_params <= 30e9
    plan = plan_zero3(n_params, world_size, hidden, layers, 4096, gpu_bytes) if known and (
        seven_on_few or thirteen) else None
    if plan is not None:
        return _planned(plan, layers, gpu_bytes, f"{n_params / 1e9:.0f}B on {world_size} GPU(s)")
    if device != "cuda" or model == "tiny":
        return Settings("tuned", seq_len=512, micro_batch_size=2, grad_accum=1, zero_stage=2,
                        notes=["tuned: CPU/tiny shape: small batch, ZeRO-2, no fused kernels"])
    if n_params <= 3e9:  # ~1B: everything fits on one GPU; ZeRO-2 measured faster than ZeRO-3 (ANCHORS)
        # accumulation 8: at 4 the optimizer step and per-step logging left ~6 % of NVML samples idle on the H200
        return Settings("tuned", 4096, 8, 8, zero_stage=2, liger=True,
                        notes=["tuned: ~1B: ZeRO-2, 8x4096 tokens per micro-batch x 8, no checkpointing"])
    if n_params <= 10e9:  # 7B
        if world_size == 1:  # fp32 master + Adam = 108 GB: the optimizer lives on the CPU (pinned)
            # H200, 8x4096 tokens: 8 / 16 uncheckpointed layers peaked at 57 / 89 GB (fits beside 30 % of the
            # optimizer state). 4x4096 x 48 without checkpointing was tried only with the host out of memory
            # (docs/performance.md): not a fair comparison, so the measured setting stays
            host, state = host_memory_bytes(), n_params * OFFLOAD_BYTES_PER_PARAM
            ratio = offload_ratio(n_params, host)
            return Settings("tuned", 4096, 8, 32, zero_stage=3, offload="optimizer", offload_ratio=ratio,
                            checkpoint_layers=16, liger=True,
                            notes=["tuned: 7B on one GPU: ZeRO-3 + pinned CPU optimizer offload, 32 x 8 x 4096 tokens"
                                   " per optimizer step to hide the CPU Adam step, 16 of 32 layers checkpointed",
                                   f"tuned: {ratio:.0%} of the optimizer state on the CPU (host memory"
                                   f" {host / 1e9:.0f} GB, state {state / 1e9:.0f} GB)"])
        if world_size < 8:
            return Settings("tuned", 4096, 8, 8, zero_stage=3, checkpoint_layers=-1, liger=True,
                            notes=["tuned: 7B on 2-7 GPUs: ZeRO-3, all layers checkpointed"])
        return Settings("tuned", 4096, 8, 4, zero_stage=2, checkpoint_layers=24, liger=True,
                        notes=["tuned: 7B on >= 8 GPUs: ZeRO-2 (optimizer state 1/N per GPU, no per-layer "
                               "all-gathers), 24 of 32 layers checkpointed"])
    if n_params <= 30e9:  # 13B
        offload = "optimizer" if world_size < 4 else "none"
        return Settings("tuned", 4096, 4, 32 if offload != "none" else 8, zero_stage=3, offload=offload,
                        checkpoint_layers=-1, liger=True,
                        notes=[f"tuned: 13B: ZeRO-3, all layers checkpointed, offload {offload}"])
    offload = "optimizer+param" if world_size < 8 else "optimizer" if world_size < 32 else "none"
    return Settings("tuned", 4096, 1 if world_size < 32 else 2, 16, zero_stage=3, offload=offload,
                    checkpoint_layers=-1, liger=True,
                    notes=[f"tuned: 70B: ZeRO-3, all layers checkpointed, offload {offload}"])


# ZeRO-Offload keeps per parameter on the CPU: fp32 master weight, Adam m and v, fp32 gradient.
OFFLOAD_BYTES_PER_PARAM = 16
HOST_SHARE = 0.6  # of the host's memory for the offloaded state; the rest for the processes and page cache
MIN_OFFLOAD_RATIO = 0.7  # at most 30 % of the state on the GPU (32 GB for 7B, beside 89 GB of the step)


def host_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def offload_ratio(n_params: int, host_bytes: int) -> float:
    """The fraction of the optimizer state offloaded to the CPU (DeepSpeed ZeRO-3 "ratio"): all of it where
    it fits in HOST_SHARE of the host's memory, else what fits, in tenths, at least MIN_OFFLOAD_RATIO.
    Why: on the 128 GiB H200 host the whole 7B state (108 GB) filled the memory at the optimizer step
    and the CPU Adam step took 81 s instead of 13 s (benchmarks/results/h200/sft/tuned7b_playbook_full_offload.*)."""
    fits = HOST_SHARE * host_bytes / (n_params * OFFLOAD_BYTES_PER_PARAM)
    return 1.0 if fits >= 1.0 else max(MIN_OFFLOAD_RATIO, int(fits * 10) / 10)


def deepspeed_config(s: Settings, world_size: int, lr: float, warmup_steps: int) -> dict[str, Any]:
    """The DeepSpeed config of the settings (the seed config file's own keys are kept where not overridden)."""
    config = copy.deepcopy(s.base_config)
    zero = config.setdefault("zero_optimization", {})
    zero["stage"] = s.zero_stage
    zero.setdefault("overlap_comm", world_size > 1)
    zero.setdefault("contiguous_gradients", True)
    zero.setdefault("reduce_bucket_size", 500_000_000)
    if s.zero_stage == 3:
        zero.setdefault("stage3_prefetch_bucket_size", 500_000_000)
        zero.setdefault("stage3_param_persistence_threshold", 1_000_000)
    zero.pop("offload_optimizer", None)
    zero.pop("offload_param", None)
    if s.offload != "none":
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
        if s.offload_ratio < 1.0:
            zero["offload_optimizer"]["ratio"] = s.offload_ratio
    if s.offload == "optimizer+param":
        zero["offload_param"] = {"device": "cpu", "pin_memory": True}
    config.update({
        "train_micro_batch_size_per_gpu": s.micro_batch_size,
        "gradient_accumulation_steps": s.grad_accum,
        "train_batch_size": s.micro_batch_size * s.grad_accum * world_size,
        "bf16": {"enabled": True},
        "steps_per_print": 1_000_000_000,
        "wall_clock_breakdown": False,
        "scheduler": {"type": "WarmupLR", "params": {"warmup_min_lr": 0.0, "warmup_max_lr": lr,
                                                     "warmup_num_steps": max(1, warmup_steps)}},
    })
    config.setdefault("gradient_clipping", 1.0)
    if s.offload != "none":  # ZeRO-Offload needs DeepSpeed's own CPU Adam (built from the config)
        config["optimizer"] = {"type": "AdamW", "params": {"lr": lr, "betas": [0.9, 0.95], "eps": 1e-8,
                                                           "weight_decay": 0.0}}
    else:
        config.pop("optimizer", None)
    return config


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge: ``overrides`` wins (the --deepspeed-config file)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
