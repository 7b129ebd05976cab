"""Faults on the virtual cluster: each ends the run with a message naming what failed, keeps every result
that finished, and leaves a report that marks the failed phase (docs/architecture.md, the run directory).

The bad ``nodes`` values are in test_nodes_validation.py. Fault injection uses docker and Slurm directly
(test infrastructure); assertions read ansible-runner's events and the run directory.
"""

from __future__ import annotations

import json
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


def wait_for(condition: Callable[[], bool], what: str, timeout: float, runner: Any) -> None:
    """Poll until condition() holds; fail early if the playbook already ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if runner.status not in ("unstarted", "starting", "running"):
            pytest.fail(f"the playbook ended ({runner.status}, rc {runner.rc}) before {what}")
        time.sleep(2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def start_benchmark(tmp_path: Path, results: Path, **overrides: Any) -> tuple[Any, Any]:
    """benchmark.yml in the background (ansible_runner.run_async): (thread, runner)."""
    # one collective keeps the phase before SFT short; the fault is in SFT
    extravars = benchmark_vars(results, h200_collectives=["all_reduce"], **overrides)
    return ansible_runner.run_async(**runner_kwargs(BENCHMARK, tmp_path, extravars))


def failure_text(runner: Any) -> str:
    return "\n".join(str(ev["event_data"].get("res", {}).get("msg", ""))
                     for ev in runner.events if ev.get("event") == "runner_on_failed")


def sft_started(results: Path, nodes: int) -> Callable[[], bool]:
    def check() -> bool:
        runs = [p for p in results.iterdir() if p.is_dir()] if results.is_dir() else []
        # sft/n<N>/ on the control node is made as the SFT phase begins (telemetry/ only when it ends)
        return bool(runs) and (runs[0] / "sft" / f"n{nodes}").is_dir()
    return check


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


def test_node_killed_during_sft(healthy_cluster: dict[str, str], tmp_path: Path) -> None:
    results = tmp_path / "results"
    # 60 timed steps keep the CPU run training well past the kill: with 4, a fast playbook could finish the
    # phase, gathering included, before it (seen once in CI on 2026-11-30)
    thread, runner = start_benchmark(tmp_path, results, nodes="2", launcher="slurm", h200_sft_steps=60)
    wait_for(sft_started(results, 2), "the SFT phase on 2 nodes to start", 900, runner)
    time.sleep(15)  # into the training run, past the launch
    docker("kill", VICTIM)
    thread.join(timeout=1500)
    assert runner.rc != 0, "the run succeeded although a node was killed during SFT"
    assert VICTIM in failure_text(runner), failure_text(runner)
    run_dir = only_run_dir(results)
    assert_finished_results_kept(run_dir, 2)
    # the gathering after the phase names the dead node too (not a loop's "One or more items failed")
    reason = next(p["reason"] for p in load_jsonl(run_dir / "phases.jsonl") if p["phase"] == "sft")
    assert f"gathering sft-n2 failed on {VICTIM}" in reason, reason
    counters = {h: load_json(run_dir / "counters" / "sft-n2" / f"{h}.json") for h in ("hgx-0001", VICTIM)}
    assert counters[VICTIM]["after"] == {} and counters["hgx-0001"]["host"] == "hgx-0001"  # a record per node


def test_cancelled_slurm_job(healthy_cluster: dict[str, str], tmp_path: Path) -> None:
    results = tmp_path / "results"
    thread, runner = start_benchmark(tmp_path, results, nodes="2", launcher="slurm")
    wait_for(sft_started(results, 2), "the SFT phase on 2 nodes to start", 900, runner)

    def sft_job() -> str:
        out = docker("exec", "hgx-0001", "squeue", "--noheader", "--format=%i %j").stdout
        jobs = [line.split()[0] for line in out.splitlines() if "h200-sft-" in line]  # srun --job-name
        return jobs[0] if jobs else ""

    wait_for(lambda: bool(sft_job()), "the SFT job in squeue", 300, runner)
    job = sft_job()
    docker("exec", "hgx-0001", "scancel", job)
    thread.join(timeout=1500)
    assert runner.rc != 0, "the run succeeded although its SFT job was cancelled"
    text = failure_text(runner)
    assert "sft" in text.lower() or "SFT" in text, text
    assert_finished_results_kept(only_run_dir(results), 2)


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
