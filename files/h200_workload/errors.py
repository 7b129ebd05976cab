"""Errors a user will meet, classified with the fix in the message.

``classify`` maps any exception to ``{"kind", "message", "fix"}`` with kind one of ``ERROR_KINDS``;
the summary of a failed run carries it (docs/architecture.md, SFT summary).
"""

from __future__ import annotations

import re
import socket

import torch

ERROR_KINDS = ("oom", "nccl_timeout", "missing_path", "flash_attn_missing", "other")


class WorkloadError(Exception):
    """An error the workload recognised itself, already classified."""

    def __init__(self, kind: str, message: str, fix: str) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"error kind {kind!r} is not one of {ERROR_KINDS}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.fix = fix


def missing_path(what: str, path: str, fix: str) -> WorkloadError:
    return WorkloadError("missing_path", f"{what} not found: {path}", fix)


_NCCL_TIMEOUT = re.compile(r"(watchdog caught collective operation timeout|timed? ?out|timeout)", re.IGNORECASE)
_RANK = re.compile(r"\[?Rank (\d+)\]?", re.IGNORECASE)


def classify(exc: BaseException, context: dict | None = None) -> dict:
    """Classify an exception; ``context`` may carry micro_batch_size, zero_stage, offload, seq_len, host."""
    ctx = context or {}
    host = ctx.get("host") or socket.gethostname()
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, WorkloadError):
        return {"kind": exc.kind, "message": exc.message, "fix": exc.fix}
    if isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in text.lower():
        return {
            "kind": "oom",
            "message": f"out of GPU memory on {host}: {_first_line(text)}",
            "fix": (
                f"lower --micro-batch-size (now {ctx.get('micro_batch_size')}) and raise --grad-accum to keep the "
                f"batch, enable --checkpointing (all layers: --checkpoint-layers -1), or offload: "
                f"--zero-stage 3 --offload optimizer (now stage {ctx.get('zero_stage')}, offload "
                f"{ctx.get('offload')}); for the 70B shape --offload optimizer+param"
            ),
        }
    is_dist = isinstance(exc, getattr(torch.distributed, "DistBackendError", ())) or "nccl" in text.lower()
    if is_dist and _NCCL_TIMEOUT.search(text):
        rank = _RANK.search(text)
        where = f"rank {rank.group(1)} on node {host}" if rank else f"node {host}"
        return {
            "kind": "nccl_timeout",
            "message": f"NCCL collective timed out, reported by {where}: {_first_line(text)}",
            "fix": (
                f"check that every node reaches {ctx.get('master_addr', 'MASTER_ADDR')} and its peers on the RoCE "
                f"interfaces (NCCL_SOCKET_IFNAME, NCCL_IB_HCA, firewall), that no rank on {host} died first "
                "(see launch.log), and rerun with NCCL_DEBUG=INFO"
            ),
        }
    if isinstance(exc, FileNotFoundError):
        return {
            "kind": "missing_path",
            "message": f"path not found: {exc.filename or exc}",
            "fix": "check --data (run `python -m h200_workload.data prepare` first) and --model paths on every node",
        }
    if isinstance(exc, ImportError) and "flash_attn" in text:
        return classify(flash_attn_missing())
    return {"kind": "other", "message": _first_line(text), "fix": "see the traceback in launch.log"}


def flash_attn_missing() -> WorkloadError:
    return WorkloadError(
        "flash_attn_missing",
        "--attention flash_attention_2 was asked for but the flash_attn package is not importable",
        "pip install flash-attn (built for this torch/CUDA), or use --attention auto (flex_attention on CUDA)",
    )


def _first_line(text: str, limit: int = 500) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line[:limit]
