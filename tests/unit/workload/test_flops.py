from __future__ import annotations

import pytest
from h200_workload import flops
from h200_workload.models import SHAPES


def test_llama2_7b_parameter_count_by_hand() -> None:
    # embeddings + LM head 2*32000*4096; per layer 4*4096^2 (q,k,v,o) + 3*4096*11008 (MLP) + 2*4096 (norms)
    by_hand = 2 * 32000 * 4096 + 32 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096) + 4096
    assert by_hand == 6_738_415_616
    assert flops.llama_param_count(SHAPES["llama2-7b"]) == by_hand


def test_llama_1b_and_70b_counts_match_their_published_sizes() -> None:
    assert flops.llama_param_count(SHAPES["llama-1b"]) == 1_100_048_384  # TinyLlama-1.1B
    assert flops.llama_param_count(SHAPES["llama2-70b"]) == 68_976_648_192  # Llama-2-70b-hf


def test_six_n_and_attention_term() -> None:
    assert flops.model_flops_per_token(6_738_415_616) == 6 * 6_738_415_616
    assert flops.attention_flops_per_token(32, 4096, 4096) == 12 * 32 * 4096 * 4096


def test_mfu_on_h200_reproduces_the_anchor_numbers() -> None:
    peak, why = flops.peak_bf16_flops("NVIDIA H200")
    assert peak == 989e12 and "989" in why
    n = flops.llama_param_count(SHAPES["llama-1b"])
    # shared/ANCHORS.md: 62,517 tokens/s -> 41.7 % (6N), 55.7 % counting attention 12*L*h*s at s = 4096
    assert flops.mfu(62517, flops.model_flops_per_token(n), peak) == pytest.approx(0.417, abs=5e-4)
    with_attention = flops.model_flops_per_token(n) + flops.attention_flops_per_token(22, 2048, 4096)
    assert flops.mfu(62517, with_attention, peak) == pytest.approx(0.557, abs=5e-4)
    # 7B: 9,316 tokens/s -> 38.1 %
    assert flops.mfu(9316, flops.model_flops_per_token(6_738_415_616), peak) == pytest.approx(0.381, abs=5e-4)


@pytest.mark.parametrize(("name", "peak"), [
    ("NVIDIA H100 80GB HBM3", 989e12), ("NVIDIA H100 PCIe", 756e12), ("NVIDIA H200 NVL", 835e12),
    ("NVIDIA A100-SXM4-80GB", 312e12),
])
def test_peak_table(name: str, peak: float) -> None:
    assert flops.peak_bf16_flops(name)[0] == peak


@pytest.mark.parametrize("name", ["cpu", None, "Tesla T4"])
def test_no_peak_means_no_mfu_with_a_reason(name: str | None) -> None:
    peak, why = flops.peak_bf16_flops(name)
    assert peak is None and why
    assert flops.mfu(1000.0, 6e9, peak) is None
