"""What differs between the library versions the workload runs on, and DeepSpeed behaviour the loop works
around, kept in this one place.

Both sets pass ``tests/unit/workload`` on CPU: the current one (requirements/workload.txt: torch 2.13,
DeepSpeed 0.19.8, transformers 5.17) and the owners' pinned one (requirements/workload-pinned.txt:
torch 2.3.1, DeepSpeed 0.14.5, transformers 4.57.6; docs/workload.md "The owners' pinned versions").
Each helper says which versions need it.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import MutableMapping
from typing import Any

import torch.distributed as dist


def has_flex_attention() -> bool:
    """torch >= 2.5 has ``torch.nn.attention.flex_attention``; torch 2.3 (pinned) has not, and the
    attention choice then falls back to SDPA with the dense block-diagonal causal mask."""
    try:
        return importlib.util.find_spec("torch.nn.attention.flex_attention") is not None
    except ModuleNotFoundError:  # torch < 2.2: no torch.nn.attention at all
        return False


def set_cpu_ranks_per_node(env: MutableMapping[str, str] | None = None) -> None:
    """Tell DeepSpeed's CPU accelerator how many ranks share this node.

    Its ``device_count()`` reads ``LOCAL_SIZE`` (set by DeepSpeed's own launcher), else runs
    ``numactl --hardware``: DeepSpeed < 0.19.3 (the pinned 0.14) raises FileNotFoundError inside ZeRO-3
    when numactl is not installed; 0.19.3 and later return 1. torchrun sets LOCAL_WORLD_SIZE, srun
    SLURM_NTASKS_PER_NODE (with --ntasks-per-node); otherwise 1, as the newer DeepSpeed assumes.
    ``env``: the process environment unless given (tests)."""
    env = os.environ if env is None else env
    env.setdefault("LOCAL_SIZE", env.get("LOCAL_WORLD_SIZE") or env.get("SLURM_NTASKS_PER_NODE") or "1")


def start_lr_schedule(engine: Any) -> None:
    """Put the warm-up schedule on its iteration 0 before step 1, so that step k runs at iteration k - 1 and the
    timed steps after the warm-up steps run at ``--lr``.

    DeepSpeed's ``WarmupLR`` (and ``WarmupDecayLR``) gives iteration 0 the minimum rate. DeepSpeed >= 0.15.3 also
    sets that rate when it builds the scheduler, so its first ``step()`` set iteration 0 again: steps 1 and 2 both
    ran at rate 0, and with one warm-up step the first timed step did not learn (seen on the H200). Older ones
    (the pinned 0.14) left the optimizer at ``--lr`` until the first step, so step 1 ran at the full rate.
    Stepping the scheduler once here gives both the same schedule."""
    from deepspeed.runtime.lr_schedules import WarmupLR

    scheduler = engine.lr_scheduler
    if isinstance(scheduler, WarmupLR) and scheduler.last_batch_iteration < 0:
        scheduler.step()


def follow_lr_schedule(zero_optimizer: Any) -> tuple[float, float | None]:
    """The learning rate of this optimizer step, and that of the GPU share of the state under partial offload.

    DeepSpeed ZeRO-3 partial offload (offload ratio < 1) steps the GPU share with a second AdamW whose first
    param group keeps the rate it was built with: the LR scheduler moves only the CPU optimizer's groups
    (deepspeed/runtime/zero/stage3.py, 0.19.8). The scheduled rate is copied over."""
    lr = zero_optimizer.param_groups[0]["lr"]
    backup = getattr(zero_optimizer, "backup_optimizer", None)
    if backup is None:
        return lr, None
    for group, scheduled in zip(backup.param_groups, zero_optimizer.param_groups, strict=True):
        group["lr"] = scheduled["lr"]
    return lr, backup.param_groups[0]["lr"]


def destroy_process_group() -> None:
    """Leave the process group without the gloo shutdown deadlock of torch 2.3 (pinned).

    There the process group's destructor joins gloo's worker threads while holding the GIL, and a worker that is
    still freeing its last finished work needs the GIL to release a tensor's Python object, so the rank hangs for
    ever (gdb: ``~ProcessGroupGloo`` in ``std::thread::join``, the worker in ``~AsyncAllreduceWork`` waiting for
    the GIL); seen in 5 of 15 two-rank collectives runs on CPU. A short pause with the GIL released lets the
    workers finish first (0 of 60 runs hung with it). No barrier: a rank whose peer failed must still be able to
    leave. Only for gloo; NCCL is left as it was."""
    if dist.get_backend() == "gloo":
        time.sleep(0.2)
    dist.destroy_process_group()
