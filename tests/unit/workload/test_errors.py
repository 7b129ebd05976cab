from __future__ import annotations

import pytest
import torch
from h200_workload import attention, compat
from h200_workload.errors import ERROR_KINDS, WorkloadError, classify


def test_oom_names_the_settings_to_change() -> None:
    error = classify(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
                     {"micro_batch_size": 8, "zero_stage": 2, "offload": "none", "host": "hgx-0001"})
    assert error["kind"] == "oom" and "hgx-0001" in error["message"]
    assert "--micro-batch-size (now 8)" in error["fix"] and "--offload optimizer" in error["fix"]


def test_nccl_timeout_names_the_node_and_rank() -> None:
    exc = RuntimeError("[Rank 5] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=7, "
                       "OpType=ALLREDUCE) ran for 600000 milliseconds before timing out.")
    error = classify(exc, {"host": "hgx-0003", "master_addr": "hgx-0001"})
    assert error["kind"] == "nccl_timeout"
    assert "rank 5 on node hgx-0003" in error["message"] and "hgx-0001" in error["fix"]


def test_missing_path_and_flash_attn(monkeypatch: pytest.MonkeyPatch) -> None:
    assert classify(FileNotFoundError(2, "No such file", "/data/x"))["kind"] == "missing_path"
    assert classify(ImportError("No module named 'flash_attn'"))["kind"] == "flash_attn_missing"
    monkeypatch.setattr(attention, "flash_attn_importable", lambda: False)  # as on every machine here
    with pytest.raises(WorkloadError) as raised:
        attention.choose("flash_attention_2", "cuda", 4096)
    assert classify(raised.value)["kind"] == "flash_attn_missing"
    assert "pip install flash-attn" in raised.value.fix


def test_everything_else_is_other_and_kinds_are_closed() -> None:
    assert classify(ValueError("boom"))["kind"] == "other"
    with pytest.raises(ValueError, match="not one of"):
        WorkloadError("disk_full", "m", "f")
    assert set(ERROR_KINDS) == {"oom", "nccl_timeout", "missing_path", "flash_attn_missing", "other"}


def test_attention_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert attention.choose("auto", "cpu", 4096)[0] == "sdpa"
    with pytest.raises(WorkloadError, match="needs CUDA"):
        attention.choose("flex_attention", "cpu", 4096)
    monkeypatch.setattr(attention, "flash_attn_importable", lambda: True)
    assert attention.choose("auto", "cuda", 4096)[0] == "flash_attention_2"  # first when importable


def test_flex_attention_detected_from_torch_2_5() -> None:
    major, minor = (int(part) for part in torch.__version__.split(".")[:2])
    assert compat.has_flex_attention() == ((major, minor) >= (2, 5)), torch.__version__


def test_attention_choice_on_cuda_with_flex_attention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "has_flex_attention", lambda: True)  # the choice alone, on any torch
    monkeypatch.setattr(attention, "flash_attn_importable", lambda: False)
    assert attention.choose("auto", "cuda", 4096)[0] == "flex_attention"
    assert attention.choose("auto", "cuda", 1000)[0] == "sdpa"  # flex needs multiples of 128


def test_attention_choice_without_flex_attention(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch < 2.5 (the owners' 2.3): no flex_attention, so SDPA with the dense mask, and the reason says so."""
    monkeypatch.setattr(compat, "has_flex_attention", lambda: False)
    monkeypatch.setattr(attention, "flash_attn_importable", lambda: False)
    kernel, why = attention.choose("auto", "cuda", 4096)
    assert kernel == "sdpa" and "has no flex_attention" in why and "dense" in why
    with pytest.raises(WorkloadError, match=r"needs torch >= 2\.5"):
        attention.choose("flex_attention", "cuda", 4096)
    with pytest.raises(WorkloadError, match="needs CUDA"):
        attention.choose("flex_attention", "cpu", 4096)
