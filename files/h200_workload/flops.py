"""THE one definition of training FLOPs and MFU for this project.

Convention (the one shared/ANCHORS.md and the report use):

* model FLOPs per trained token = 6 * N, N = ALL parameters of the model, embeddings and LM head
  included (2 FLOPs per multiply-add, forward 2N + backward 4N). Source: Kaplan et al. 2020 (C = 6N),
  PaLM (Chowdhery et al. 2022) appendix B "model FLOPs utilization", nanoGPT ``estimate_mfu``,
  torchtitan ``get_num_flop_per_token``. Recomputation by activation checkpointing is NOT counted
  (that would be hardware FLOPs, HFU).
* attention FLOPs per token = 12 * L * h * s (L layers, h hidden size, s sequence length), the PaLM
  appendix-B term for the QK^T and AV matmuls over the full (non-causal, non-packed) sequence. It is
  reported as a separate figure (``mfu_with_attention``), never folded into ``mfu``.
* MFU = achieved model FLOP/s per GPU / peak dense BF16 FLOP/s of that GPU (table below, NVIDIA
  datasheets, dense = without 2:4 sparsity). Unknown device or CPU: MFU is None with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

# Dense BF16 tensor-core peak, FLOP/s, from NVIDIA's datasheets. Matched on torch's device name;
# the more specific variants (PCIe/NVL) come before the SXM default of the same chip.
PEAK_BF16_FLOPS: tuple[tuple[str, str, float], ...] = (
    ("H200", "NVL", 835e12),
    ("H200", "", 989e12),  # H200 SXM: same tensor cores and clocks as H100 SXM
    ("H100", "PCIE", 756e12),
    ("H100", "NVL", 835e12),
    ("H100", "", 989e12),  # H100 SXM5 (torch names it "NVIDIA H100 80GB HBM3")
    ("A100", "", 312e12),
)


@dataclass(frozen=True)
class LlamaShape:
    """The dimensions that fix a Llama model's parameter count and attention FLOPs."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    tie_embeddings: bool = False


def llama_param_count(shape: LlamaShape) -> int:
    """All parameters of a Llama model (embeddings, attention, SwiGLU MLP, RMSNorms, LM head)."""
    h = shape.hidden_size
    kv_dim = h // shape.num_heads * shape.num_kv_heads
    attention = h * h + 2 * h * kv_dim + h * h  # q, k, v, o projections (no biases)
    mlp = 3 * h * shape.intermediate_size  # gate, up, down
    per_layer = attention + mlp + 2 * h  # + input and post-attention RMSNorm
    embeddings = shape.vocab_size * h * (1 if shape.tie_embeddings else 2)
    return embeddings + shape.num_layers * per_layer + h  # + final RMSNorm


def model_flops_per_token(n_params: int) -> float:
    """6·N: forward and backward FLOPs of one trained token (see the module docstring)."""
    return 6.0 * n_params


def attention_flops_per_token(num_layers: int, hidden_size: int, seq_len: int) -> float:
    """12·L·h·s: the attention-score FLOPs of one token (PaLM appendix B), a separate figure."""
    return 12.0 * num_layers * hidden_size * seq_len


def peak_bf16_flops(device_name: str | None) -> tuple[float | None, str]:
    """Peak dense BF16 FLOP/s of a device by its torch name, or None and why not."""
    if not device_name or device_name.lower() == "cpu":
        return None, "CPU run: no tensor-core peak, MFU not defined"
    name = device_name.upper()
    for chip, variant, peak in PEAK_BF16_FLOPS:
        if chip in name and variant in name:
            return peak, f"{chip}{' ' + variant if variant else ''} dense BF16 peak {peak / 1e12:.0f} TFLOP/s"
    return None, f"no peak BF16 figure known for device {device_name!r}: MFU not computed"


def mfu(tokens_per_s_per_gpu: float, flops_per_token: float, peak_flops: float | None) -> float | None:
    """Model FLOPs utilisation: tokens/s per GPU x FLOPs per token / peak FLOP/s (None without a peak)."""
    if peak_flops is None or peak_flops <= 0:
        return None
    return tokens_per_s_per_gpu * flops_per_token / peak_flops
