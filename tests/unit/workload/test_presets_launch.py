from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from h200_workload import compat, launch, presets, sft


def test_seed_micro_batch_follows_from_the_owners_global_batch() -> None:
    one = presets.seed(6.7e9, 1)
    assert (one.micro_batch_size, one.grad_accum, one.zero_stage, one.offload) == (64, 16, 3, "none")
    assert presets.seed(6.7e9, 8).micro_batch_size == 8
    big = presets.seed(69e9, 64)  # 256 / (16 x 64) = 0.25: not whole
    assert big.micro_batch_size == 1 and big.offload == "optimizer+param" and big.checkpoint_layers == -1
    assert any("0.25 rows per micro-step < 1" in note and "1024" in note for note in big.notes)
    # the owners list activation checkpointing among their settings for every size
    assert [presets.seed(n, 8).checkpoint_layers for n in (6.7e9, 13e9, 69e9)] == [-1, -1, -1]


def test_seed_notes_where_the_owners_config_cannot_fit_the_gpu() -> None:
    seven = 6_738_415_616
    one = presets.seed(seven, 1, hidden=4096, layers=32, gpu_bytes=80e9)  # an 80 GB GPU: 108 GB of state alone
    assert any("does not fit 1 GPU(s) of 80 GB" in n and "108 GB per GPU" in n for n in one.notes)
    sixteen = presets.seed(seven, 16, hidden=4096, layers=32, gpu_bytes=150.8e9)  # 4 x 512 tokens, 7 GB of state
    assert not any("does not fit" in n for n in sixteen.notes)
    assert one.micro_batch_size == 64 and sixteen.micro_batch_size == 4
    assert presets.seed(13e9, 8).base_config["zero_optimization"]["reduce_bucket_size"] == 50_000_000


def test_tuned_choices_by_size_and_gpus() -> None:
    small = presets.tuned("llama-1b", 1.1e9, 1, "cuda")
    assert (small.zero_stage, small.micro_batch_size, small.seq_len, small.liger) == (2, 8, 4096, True)
    seven = presets.tuned("llama2-7b", 6.7e9, 1, "cuda")
    assert (seven.zero_stage, seven.offload, seven.micro_batch_size, seven.grad_accum, seven.checkpoint_layers) == (
        3, "optimizer", 8, 32, 16)
    assert presets.tuned("llama2-7b", 6.7e9, 8, "cuda").offload == "none"
    assert presets.tuned("tiny", 1e5, 2, "cpu").seq_len == 512


def test_offload_ratio_follows_host_memory() -> None:
    seven = 6_738_415_616  # 108 GB of offloaded state
    assert presets.offload_ratio(seven, 2 * 1024**4) == 1.0  # a 2 TiB node holds all of it
    assert presets.offload_ratio(seven, 128 * 1024**3) == 0.7  # the 128 GiB H200 host: 60 % of RAM = 82 GB
    assert presets.offload_ratio(seven, 32 * 1024**3) == presets.MIN_OFFLOAD_RATIO  # never below the floor


def test_deepspeed_config_batch_arithmetic_and_offload() -> None:
    s = presets.tuned("llama2-7b", 6.7e9, 1, "cuda")
    s.offload_ratio = 0.5
    cfg = presets.deepspeed_config(s, world_size=1, lr=1e-5, warmup_steps=2)
    assert cfg["train_batch_size"] == 8 * 32 and cfg["bf16"] == {"enabled": True}
    assert cfg["zero_optimization"]["offload_optimizer"] == {"device": "cpu", "pin_memory": True, "ratio": 0.5}
    assert cfg["optimizer"]["type"] == "AdamW"  # ZeRO-Offload builds DeepSpeed's CPU Adam
    merged = presets.merge(cfg, {"zero_optimization": {"reduce_bucket_size": 1}})
    assert merged["zero_optimization"]["reduce_bucket_size"] == 1 and merged["zero_optimization"]["stage"] == 3


def test_command_line_overrides_are_noted_and_bad_combinations_refused(tmp_path: Path) -> None:
    base = ["--data", str(tmp_path), "--steps", "1", "--metrics-out", "m", "--summary-out", "s"]
    args = sft.parse_args(["--model", "llama-1b", "--preset", "tuned", "--micro-batch-size", "4", *base])
    s = sft.choose_settings(args, 1_100_048_384, 1, "cuda")
    assert s.micro_batch_size == 4 and "command line: micro_batch_size 8 -> 4" in s.notes
    args = sft.parse_args(["--model", "llama-1b", "--preset", "tuned", "--offload", "optimizer+param", *base])
    with pytest.raises(sft.WorkloadError, match="needs --zero-stage 3"):
        sft.choose_settings(args, 1_100_048_384, 1, "cuda")
    with pytest.raises(SystemExit):
        sft.parse_args(["--model", "tiny", "--preset", "fast", *base])


def test_launcher_environments(tmp_path: Path) -> None:
    torchrun = launch.resolve({"RANK": "3", "WORLD_SIZE": "16", "LOCAL_RANK": "3", "MASTER_ADDR": "hgx-0001",
                               "MASTER_PORT": "29600"})
    assert (torchrun.rank, torchrun.world_size, torchrun.local_rank, torchrun.master_port) == (3, 16, 3, 29600)
    # srun: no torchrun variables; the master is the first host scontrol expands (scontrol test double)
    doubles = tmp_path / "scontrol_test_double"
    doubles.mkdir()
    script = doubles / "scontrol"
    script.write_text('#!/bin/sh\n[ "$1 $2 $3" = "show hostnames hgx-[0003-0004]" ] && '
                      'printf "hgx-0003\\nhgx-0004\\n"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    path = f"{doubles}:{os.environ['PATH']}"
    os.environ["PATH"], saved = path, os.environ["PATH"]
    try:
        slurm = launch.resolve({"SLURM_PROCID": "9", "SLURM_NTASKS": "16", "SLURM_LOCALID": "1",
                                "SLURM_JOB_NODELIST": "hgx-[0003-0004]"})
    finally:
        os.environ["PATH"] = saved
    assert (slurm.rank, slurm.world_size, slurm.local_rank, slurm.master_addr, slurm.launcher) == (
        9, 16, 1, "hgx-0003", "slurm")
    single = launch.resolve({})
    assert (single.rank, single.world_size, single.launcher) == (0, 1, "single") and single.master_port > 0


def test_deepspeed_cpu_accelerator_is_told_the_ranks_per_node() -> None:
    # DeepSpeed < 0.19.3 (the pinned 0.14) runs `numactl --hardware` inside ZeRO-3 unless LOCAL_SIZE is set
    torchrun = {"LOCAL_WORLD_SIZE": "2"}
    compat.set_cpu_ranks_per_node(torchrun)
    assert torchrun["LOCAL_SIZE"] == "2"
    srun = {"SLURM_NTASKS_PER_NODE": "4"}
    compat.set_cpu_ranks_per_node(srun)
    assert srun["LOCAL_SIZE"] == "4"
    deepspeed_launcher = {"LOCAL_SIZE": "8", "LOCAL_WORLD_SIZE": "2"}  # the launcher's own value is kept
    compat.set_cpu_ranks_per_node(deepspeed_launcher)
    assert deepspeed_launcher["LOCAL_SIZE"] == "8"
    single: dict[str, str] = {}
    compat.set_cpu_ranks_per_node(single)
    assert single["LOCAL_SIZE"] == "1"


def test_collectives_accepts_the_deepspeed_launchers_local_rank_argument():
    # `deepspeed --hostfile ...` appends --local_rank=N to every rank's arguments
    from h200_workload import collectives

    args = collectives.parse_args(["--out", "/tmp/out.json", "--local_rank=3"])
    assert args.local_rank == 3


SEVEN, THIRTEEN = 6_738_415_616, 13_015_864_320
H200_BYTES = 143771 * 2**20  # what torch reports as the H200's total memory


@pytest.mark.parametrize(("checkpointed", "measured_gb"), [(32, 70.7), (16, 131.7)])
def test_zero3_memory_model_matches_the_h200_measurements(checkpointed: int, measured_gb: float) -> None:
    """llama2-7b on two H200s, 8x4096 tokens per micro-batch: the peaks the model was calibrated on (ANCHORS)."""
    predicted = presets.zero3_peak_bytes(SEVEN, 2, 4096, 32, 8 * 4096, checkpointed) / 1e9
    assert abs(predicted - measured_gb) / measured_gb < 0.02


def test_zero3_memory_model_predicts_the_out_of_memory_and_the_planned_runs() -> None:
    # 8 of 32 layers checkpointed ran out of memory on the H200
    assert presets.zero3_peak_bytes(SEVEN, 2, 4096, 32, 8 * 4096, 8) > H200_BYTES
    # the plans measured through benchmark.yml on 2026-11-29: 126.9 GB (7B) and 135.3 GB (13B) peak
    assert abs(presets.zero3_peak_bytes(SEVEN, 2, 4096, 32, 4 * 4096, 0) / 1e9 - 126.9) < 2.0
    assert abs(presets.zero3_peak_bytes(THIRTEEN, 2, 5120, 40, 4 * 4096, 32) / 1e9 - 135.3) < 2.0


def test_tuned_plans_zero3_from_the_gpu_memory() -> None:
    seven = presets.tuned("llama2-7b", SEVEN, 2, "cuda", hidden=4096, layers=32, gpu_bytes=H200_BYTES)
    assert (seven.zero_stage, seven.offload, seven.micro_batch_size, seven.grad_accum, seven.checkpoint_layers) == (
        3, "none", 4, 16, 0)
    assert "predicted peak 127 GB" in seven.notes[0]
    thirteen = presets.tuned("llama2-13b", THIRTEEN, 2, "cuda", hidden=5120, layers=40, gpu_bytes=H200_BYTES)
    assert (thirteen.offload, thirteen.micro_batch_size, thirteen.checkpoint_layers) == ("none", 4, 32)
    # an 80 GB GPU cannot hold 13B's state on 2 GPUs: the optimizer goes to the CPU as before
    small = presets.tuned("llama2-13b", THIRTEEN, 2, "cuda", hidden=5120, layers=40, gpu_bytes=80e9)
    assert small.offload == "optimizer"
    # 1 GPU (offload) and 8 GPUs (ZeRO-2) keep their measured settings; unknown memory keeps the fixed choice
    assert presets.tuned("llama2-7b", SEVEN, 1, "cuda", 4096, 32, H200_BYTES).offload == "optimizer"
    assert presets.tuned("llama2-7b", SEVEN, 8, "cuda", 4096, 32, H200_BYTES).zero_stage == 2
    assert presets.tuned("llama2-7b", SEVEN, 2, "cuda").checkpoint_layers == -1


def test_plan_prefers_fewer_checkpointed_layers_then_the_larger_micro_batch() -> None:
    plan = presets.plan_zero3(SEVEN, 4, 4096, 32, 4096, H200_BYTES)
    assert plan[:2] == (4, 0)  # 8x4096 would need checkpointing
    huge = presets.plan_zero3(SEVEN, 8, 4096, 32, 4096, 1e12)
    assert huge[:2] == (8, 0)
    assert presets.plan_zero3(THIRTEEN, 1, 5120, 40, 4096, H200_BYTES) is None
