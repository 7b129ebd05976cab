"""The attention kernel, and the per-batch inputs that keep packed examples from attending to each other.

Order of choice (``--attention auto``):
1. ``flash_attention_2`` (CUDA, flash_attn importable): position_ids that restart at 0 per example;
   transformers turns them into cu_seqlens for the varlen kernel.
2. ``flex_attention`` (CUDA, torch >= 2.5): a document mask, block-diagonal and causal, built from the same
   position_ids as a flex BlockMask (blocks of other documents are skipped, not computed).
3. ``sdpa`` (CPU, tests, and CUDA under the owners' torch 2.3 without flash_attn): PyTorch SDPA with the same
   block-diagonal causal mask as a dense bool tensor (correct, but every block is computed).
All three see identical position_ids, so RoPE restarts per example too.
"""

from __future__ import annotations

import importlib.util

import torch

from h200_workload import compat
from h200_workload.errors import WorkloadError, flash_attn_missing

KERNELS = ("flash_attention_2", "flex_attention", "sdpa")
FLEX_BLOCK = 128


def flash_attn_importable() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def choose(requested: str, device: str, seq_len: int) -> tuple[str, str]:
    """(kernel, why) for ``--attention`` auto|flash_attention_2|flex_attention|sdpa on ``device``."""
    has_flash = flash_attn_importable()
    if requested == "flash_attention_2":
        if not has_flash:
            raise flash_attn_missing()
        return requested, "asked for"
    if requested == "flex_attention" and device != "cuda":
        raise WorkloadError("other", "--attention flex_attention needs CUDA: PyTorch has no flex backward on CPU",
                            "use --attention sdpa (or auto) with --device cpu")
    if requested == "flex_attention" and not compat.has_flex_attention():
        raise WorkloadError("other", f"--attention flex_attention needs torch >= 2.5, this is {torch.__version__}",
                            "use --attention sdpa (or auto)")
    if requested in ("flex_attention", "sdpa"):
        return requested, "asked for"
    if device != "cuda":
        return "sdpa", "CPU: SDPA with an explicit block-diagonal causal mask"
    if has_flash:
        return "flash_attention_2", "flash_attn importable: varlen kernel from per-example position_ids"
    if not compat.has_flex_attention():  # torch < 2.5 (the owners' 2.3)
        return "sdpa", (f"flash_attn not installed and torch {torch.__version__} has no flex_attention (needs 2.5): "
                        "SDPA with a dense block-diagonal causal mask")
    if seq_len % FLEX_BLOCK:
        return "sdpa", f"flash_attn not installed and seq_len {seq_len} is not a multiple of {FLEX_BLOCK} for flex"
    return "flex_attention", "flash_attn not installed: flex_attention with a document (block-diagonal causal) mask"


def document_ids(position_ids: torch.Tensor) -> torch.Tensor:
    """Segment number of every token: a new segment starts wherever position_ids is 0."""
    return torch.cumsum(position_ids == 0, dim=-1)


def dense_document_mask(position_ids: torch.Tensor) -> torch.Tensor:
    """[B, 1, S, S] bool, True where query q may attend key k: same example and k <= q."""
    docs = document_ids(position_ids)
    same = docs[:, :, None] == docs[:, None, :]
    seq = position_ids.shape[-1]
    causal = torch.ones(seq, seq, dtype=torch.bool, device=position_ids.device).tril()
    return (same & causal)[:, None]


def flex_document_mask(position_ids: torch.Tensor):  # -> torch.nn.attention.flex_attention.BlockMask
    from torch.nn.attention.flex_attention import create_block_mask

    docs = document_ids(position_ids)

    def same_document_causal(b, h, q, kv):
        return (docs[b, q] == docs[b, kv]) & (q >= kv)

    batch, seq = position_ids.shape
    return create_block_mask(same_document_causal, batch, None, seq, seq, device=position_ids.device)


def model_inputs(kernel: str, position_ids: torch.Tensor) -> dict:
    """The attention-related keyword arguments of the model's forward for one packed batch."""
    if kernel == "flash_attention_2":
        return {"position_ids": position_ids}
    if kernel == "flex_attention":
        return {"position_ids": position_ids, "attention_mask": flex_document_mask(position_ids)}
    return {"position_ids": position_ids, "attention_mask": dense_document_mask(position_ids)}
