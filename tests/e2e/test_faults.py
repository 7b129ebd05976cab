"""Faults on the virtual cluster: each ends the run with a message naming what failed, keeps every result
that finished, and leaves a report that marks the failed phase (docs/architecture.md, the run directory).

The bad ``nodes`` values are in test_nodes_validation.py. Fault injection uses docker and Slurm directly
(test infrastructure); assertions read ansible-runner's events and the run directory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
from harness import benchmark_vars, docker, run_playbook, runner_kwargs
from test_benchmark import BENCHMARK, load_json, load_jsonl, only_run_dir

VICTIM = "hgx-0002"  # node002: in every nodes>=2 selection, not the master
MASTER = "hgx-0001"  # the SFT launch host: rank 0 writes metrics.jsonl there
NODE_DIR = "/var/tmp/h200_benchmark"  # h200_node_dir (roles/benchmark/defaults/main.yml)
# Timed steps of the faulted SFT runs: the fault comes at step 2, long before the run could end on its own.
FAULT_STEPS = 60
# H200_FAULT_RUNS=5 repeats each timed fault test in one session (the figures in docs/testing.md).
RUNS = range(int(os.environ.get("H200_FAULT_RUNS", "1")))


def wait_for(condition: Callable[[], bool], what: str, timeout: float, runner: Any, interval: float = 2) -> None:
    """Poll until condition() holds; fail early if the playbook already ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if runner.status not in ("unstarted", "starting", "running"):
            pytest.fail(f"the playbook ended ({runner.status}, rc {runner.rc}) before {what}")
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def start_benchmark(tmp_path: Path, results: Path, **overrides: Any) -> tuple[Any, Any]:
    """benchmark.yml in the background (ansible_runner.run_async): (thread, runner)."""
    # one collective keeps the phase before SFT short; the fault is in SFT
    extravars = benchmark_vars(results, h200_collectives=["all_reduce"], **overrides)
    return ansible_runner.run_async(**runner_kwargs(BENCHMARK, tmp_path, extravars))


def failure_text(runner: Any) -> str:
    return "\n".join(str(ev["event_data"].get("res", {}).get("msg", ""))
                     for ev in runner.events if ev.get("event") == "runner_on_failed")


def steps_done(results: Path, nodes: int) -> int:
    """The highest optimizer step rank 0 has written to metrics.jsonl on the master (0 before the first)."""
    runs = [p for p in results.iterdir() if p.is_dir()] if results.is_dir() else []
    if not runs:
        return 0
    metrics = f"{NODE_DIR}/{runs[0].name}/sft/n{nodes}/metrics.jsonl"
    out = subprocess.run(["docker", "exec", MASTER, "cat", metrics], capture_output=True, text=True, timeout=60)
    steps = [0]
    for line in out.stdout.splitlines():
        try:  # the line being written may be cut
            steps.append(int(json.loads(line).get("step") or 0))
        except (ValueError, AttributeError):
            continue
    return max(steps)


def training(results: Path, nodes: int, at_step: int = 2) -> Callable[[], bool]:
    """True once SFT on ``nodes`` nodes has finished ``at_step`` optimizer steps: the run is in training."""
    return lambda: steps_done(results, nodes) >= at_step


def sft_reason(run_dir: Path, nodes: int) -> str:
    records = load_jsonl(run_dir / "phases.jsonl")
    (reason,) = [p["reason"] for p in records if p["phase"] == "sft" and p["nodes"] == nodes]
    return reason or ""


def fetched_steps(run_dir: Path, nodes: int) -> list[int]:
    path = run_dir / "sft" / f"n{nodes}" / "metrics.jsonl"
    return [int(r["step"]) for r in load_jsonl(path) if "step" in r] if path.is_file() else []


def phase_status(run_dir: Path, phase: str, nodes: int) -> list[str]:
    return [p["status"] for p in load_jsonl(run_dir / "phases.jsonl") if p["phase"] == phase and p["nodes"] == nodes]


def assert_finished_results_kept(run_dir: Path, nodes: int) -> None:
    """The collective phase that finished before the fault is on disk, whole, and the report marks SFT."""
    assert phase_status(run_dir, "collectives", nodes) == ["ok"]
    result = load_json(run_dir / "nccl" / f"n{nodes}" / "all_reduce.json")
    assert result["rows"]
    assert phase_status(run_dir, "sft", nodes) == ["failed"]
    summary = load_json(run_dir / "summary.json")
    assert [p["status"] for p in summary["phases"] if p["phase"] == "sft"] == ["failed"]
    assert (run_dir / "report.md").stat().st_size > 0


def test_stopped_node_named_by_preflight(healthy_cluster: dict[str, str], tmp_path: Path) -> None:
    docker("stop", "--time", "1", VICTIM)
    results = tmp_path / "results"
    run = run_playbook(BENCHMARK, tmp_path, benchmark_vars(results, nodes="2", h200_collectives=["all_reduce"]))
    assert run.rc != 0
    assert any(VICTIM in m and "preflight" in m for m in run.failure_messages()), run.failure_messages()
    run_dir = only_run_dir(results)
    assert load_json(run_dir / "preflight" / f"{VICTIM}.json")["ok"] is False
    healthy = load_json(run_dir / "preflight" / "hgx-0001.json")  # the node that answered keeps its record
    assert healthy["host"] == "hgx-0001" and healthy["ok"] is True
    assert (run_dir / "report.md").is_file() and load_json(run_dir / "summary.json")
    assert not (run_dir / "sft" / "n2" / "summary.json").exists()  # no phase ran on a broken selection


@pytest.mark.parametrize("run", RUNS)
def test_node_killed_during_sft(healthy_cluster: dict[str, str], tmp_path: Path, run: int) -> None:
    """hgx-0002 is killed once the training run has finished step 2 of 60: the launcher's failure names it."""
    results = tmp_path / "results"
    thread, runner = start_benchmark(tmp_path, results, nodes="2", launcher="slurm", h200_sft_steps=FAULT_STEPS)
    wait_for(training(results, 2), "SFT on 2 nodes to finish step 2", 900, runner, interval=0.5)
    docker("kill", VICTIM)
    thread.join(timeout=1500)
    assert runner.rc != 0, "the run succeeded although a node was killed during SFT"
    run_dir = only_run_dir(results)
    assert_finished_results_kept(run_dir, 2)
    # killed in training: rank 0 on the master wrote step 2 and stopped well before the last step
    steps = fetched_steps(run_dir, 2)
    assert steps and 2 <= max(steps) < FAULT_STEPS + 1, steps
    # the SFT step itself failed, and its launcher's error lines name the dead node (not only the gathering after)
    reason = sft_reason(run_dir, 2)
    launcher_part = reason.split(" gathering: ")[0]
    assert launcher_part.startswith("Fail when the launcher failed: SFT launcher exited "), reason
    # srun's own words for a node lost during the step (slurmstepd's "couldn't chdir" line names hgx-0002 on
    # every run, so the host name alone proves nothing)
    assert f"srun: error: Node failure on {VICTIM}" in launcher_part, reason
    assert VICTIM in failure_text(runner), failure_text(runner)
    counters = {h: load_json(run_dir / "counters" / "sft-n2" / f"{h}.json") for h in ("hgx-0001", VICTIM)}
    assert counters[VICTIM]["after"] == {} and counters["hgx-0001"]["host"] == "hgx-0001"  # a record per node


@pytest.mark.parametrize("run", RUNS)
def test_cancelled_slurm_job(healthy_cluster: dict[str, str], tmp_path: Path, run: int) -> None:
    """The SFT job is cancelled with scancel once it has finished step 2: the phase names it as cancelled."""
    results = tmp_path / "results"
    thread, runner = start_benchmark(tmp_path, results, nodes="2", launcher="slurm", h200_sft_steps=FAULT_STEPS)
    wait_for(training(results, 2), "SFT on 2 nodes to finish step 2", 900, runner, interval=0.5)
    # in training, so its job is in squeue: looked up once
    out = docker("exec", MASTER, "squeue", "--noheader", "--format=%i %j").stdout
    (job,) = [line.split()[0] for line in out.splitlines() if "h200-sft-" in line]  # srun --job-name
    docker("exec", MASTER, "scancel", job)
    thread.join(timeout=1500)
    assert runner.rc != 0, "the run succeeded although its SFT job was cancelled"
    run_dir = only_run_dir(results)
    assert_finished_results_kept(run_dir, 2)
    steps = fetched_steps(run_dir, 2)
    assert steps and 2 <= max(steps) < FAULT_STEPS + 1, steps
    reason = sft_reason(run_dir, 2)
    assert reason.startswith("Fail when the launcher failed: SFT launcher exited "), reason
    # slurmstepd's notice of the cancelled step of that job ("*** STEP 6.0 ON hgx-0001 CANCELLED AT ...")
    assert re.search(r"\*\*\* (STEP %s\.\d+|JOB %s) ON \S+ CANCELLED AT " % (job, job), reason), reason


@pytest.fixture
def full_results_dir(tmp_path: Path) -> Iterator[Path]:
    """A results directory on a 1 MiB tmpfs filled to the last byte."""
    mount = tmp_path / "full"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={mount}/filler", "bs=4k"], capture_output=True)
        yield mount / "results"
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_full_results_disk(cluster: dict[str, str], full_results_dir: Path, tmp_path: Path) -> None:
    run = run_playbook(BENCHMARK, tmp_path, benchmark_vars(full_results_dir, nodes="1"), timeout=300)
    assert run.rc != 0
    messages = run.failure_messages()
    assert any("No space left" in m or "Errno 28" in m for m in messages), messages
    # no node was touched and no half-written file was left behind
    assert run.hosts_contacted() <= {"localhost"}, run.hosts_contacted()
    for path in full_results_dir.rglob("*.json"):
        json.loads(path.read_text())
    for path in full_results_dir.rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            json.loads(line)
