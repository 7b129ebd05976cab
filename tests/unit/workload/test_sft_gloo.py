"""The SFT entry point end to end on CPU: 2 ranks, gloo, ZeRO-3, the tiny shape; and a classified failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SUMMARY_KEYS = {"status", "error", "model", "model_source", "preset", "zero_stage", "offload", "attention", "device",
                "world_size", "nodes", "gpus_per_node", "micro_batch_size", "seq_len", "grad_accum", "timed_steps",
                "warmup_steps", "tokens_per_s", "tokens_per_s_per_gpu", "tflops_per_gpu", "mfu", "mfu_with_attention",
                "peak_mem_gb", "loss_first", "loss_last", "flops_convention", "timed_t_start", "timed_t_end",
                "optimizer_step_s"}
METRIC_KEYS = {"step", "samples", "tokens", "step_time_s", "tokens_per_s", "tokens_per_s_per_gpu", "tflops_per_gpu",
               "mfu", "loss", "peak_mem_gb", "warmup", "t_end", "optimizer_step_s", "lr", "lr_offload_gpu_share"}


def test_two_rank_zero3_run_trains_and_reports(prepared: Path, tmp_path: Path, workload_env: dict) -> None:
    metrics, summary = tmp_path / "metrics.jsonl", tmp_path / "summary.json"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "h200_workload.sft", "--model", "tiny", "--preset", "tuned", "--zero-stage", "3",
               "--data", str(prepared), "--seq-len", "256", "--steps", "10", "--warmup-steps", "2", "--lr", "3e-3",
               "--metrics-out", str(metrics), "--summary-out", str(summary)]
    done = subprocess.run(command, env=workload_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(summary.read_text())
    assert SUMMARY_KEYS <= result.keys()
    assert result["status"] == "ok" and result["error"] is None
    assert (result["world_size"], result["zero_stage"], result["device"], result["attention"]) == (2, 3, "cpu", "sdpa")
    assert result["model_source"] == "random-init:tiny" and result["mfu"] is None  # no peak on CPU
    lines = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert len(lines) == 12 and all(METRIC_KEYS <= line.keys() for line in lines)
    assert [line["warmup"] for line in lines] == [True] * 2 + [False] * 10 and result["timed_steps"] == 10
    losses = [line["loss"] for line in lines]
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.2, losses  # the loss falls
    assert all(line["tokens"] > 0 and line["tokens_per_s"] > 0 for line in lines)
    assert all(0 < line["optimizer_step_s"] < line["step_time_s"] for line in lines)
    # the timed window: from the end of the last warm-up step to the end of the last step (wall clock)
    assert result["timed_t_start"] == lines[2]["t_end"] - lines[2]["step_time_s"]
    assert abs(result["timed_t_start"] - lines[1]["t_end"]) < 0.5 and result["timed_t_end"] == lines[-1]["t_end"]


def test_partial_offload_steps_the_gpu_share_on_the_lr_schedule(prepared: Path, tmp_path: Path,
                                                                  workload_env: dict) -> None:
    """ZeRO-3 with 50 % of the optimizer state offloaded (small sub-groups so that both shares exist): both
    shares use the warm-up schedule's rate: 0 at the first step, --lr from the last of the 3 warm-up steps on."""
    overrides = tmp_path / "ds.json"
    overrides.write_text(json.dumps({"zero_optimization": {"sub_group_size": 20000}}))
    metrics, summary = tmp_path / "metrics.jsonl", tmp_path / "summary.json"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1",
               "-m", "h200_workload.sft", "--model", "tiny", "--preset", "tuned", "--zero-stage", "3",
               "--offload", "optimizer", "--offload-ratio", "0.5", "--deepspeed-config", str(overrides),
               "--data", str(prepared), "--seq-len", "256", "--steps", "2", "--warmup-steps", "3", "--lr", "3e-3",
               "--metrics-out", str(metrics), "--summary-out", str(summary)]
    done = subprocess.run(command, env=workload_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(summary.read_text())
    assert result["offload_ratio"] == 0.5 and result["deepspeed_config"]["zero_optimization"]["offload_optimizer"][
        "ratio"] == 0.5
    lines = [json.loads(line) for line in metrics.read_text().splitlines()]
    rates = [line["lr"] for line in lines]
    assert rates[0] == 0.0 and 0.0 < rates[1] < 3e-3 and rates[2:] == [3e-3] * 3, rates  # timed steps at --lr
    assert [line["lr_offload_gpu_share"] for line in lines] == rates


def test_missing_data_gives_a_classified_failed_summary(tmp_path: Path, workload_env: dict) -> None:
    summary = tmp_path / "summary.json"
    command = [sys.executable, "-m", "h200_workload.sft", "--model", "tiny", "--preset", "tuned",
               "--data", str(tmp_path / "no-data"), "--steps", "1", "--device", "cpu",
               "--metrics-out", str(tmp_path / "m.jsonl"), "--summary-out", str(summary)]
    done = subprocess.run(command, env=workload_env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    result = json.loads(summary.read_text())
    assert result["status"] == "failed" and result["error"]["kind"] == "missing_path"
    assert "no-data" in result["error"]["message"] and "h200_workload.data prepare" in result["error"]["fix"]
