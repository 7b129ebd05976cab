"""benchmark.yml on the virtual cluster: the sweep through Slurm, and nodes=2 through PDSH.

Asserts on ansible-runner's events and on the run directory's files (docs/architecture.md), not on
screen text. The cluster is prepared with site.yml first, as the real one is.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from harness import REPO, PlaybookRun, benchmark_vars, run_playbook

BENCHMARK = REPO / "playbooks" / "benchmark.yml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load_json(path: Path) -> Any:
    assert path.is_file(), f"{path} missing"
    return json.loads(path.read_text())


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    assert path.is_file(), f"{path} missing"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def only_run_dir(results: Path) -> Path:
    runs = [p for p in results.iterdir() if p.is_dir()]
    assert len(runs) == 1, f"expected one run directory in {results}, found {runs}"
    return runs[0]


def run_benchmark(tmp_path: Path, nodes: str, **overrides: Any) -> tuple[PlaybookRun, Path]:
    results = tmp_path / "results"
    run = run_playbook(BENCHMARK, tmp_path, benchmark_vars(results, nodes=nodes, **overrides))
    return run, only_run_dir(results)


def check_run_dir(run_dir: Path, counts: list[int], launcher: str, hosts: list[str]) -> dict[str, Any]:
    """The files every successful run writes, with sane numbers; returns summary.json."""
    run_json = load_json(run_dir / "run.json")
    assert run_json["counts"] == counts and run_json["launcher"] == launcher
    assert run_json["device"] == "cpu" and run_json["hosts"] == hosts

    phases = load_jsonl(run_dir / "phases.jsonl")
    for n in counts:
        for phase in ("collectives", "sft"):
            entries = [p for p in phases if p["phase"] == phase and p["nodes"] == n]
            assert [p["status"] for p in entries] == ["ok"], (phase, n, entries)

    pins = {p.split("==")[0]: p.split("==")[1] for p in (REPO / "requirements" / "workload.txt").read_text().split()
            if p.startswith(("torch==", "deepspeed==", "transformers=="))}
    for host in hosts:
        env = load_json(run_dir / "env" / f"{host}.json")
        # the one path from site.yml: the interpreter of the environment the conda role built (its venv backend
        # here), named by the role's record, at the versions the role pinned, imported by preflight
        assert env["python"] == {"path": "/opt/miniconda3/envs/h200-bench/bin/python",
                                 "source": "conda role record /var/lib/spectrumx/conda_packages.json"}, env["python"]
        assert {n: env["python_pinned"][n]["found"].split("+")[0] for n in pins} == pins, env["python_pinned"]
        assert env["python_imports"] == {"deepspeed": "", "torch": "", "transformers": ""}, env["python_imports"]
        preflight = load_json(run_dir / "preflight" / f"{host}.json")
        assert preflight["host"] == host and preflight["ok"] is True
        checks = {c["name"]: c for c in preflight["checks"]}
        assert checks["python"]["status"] == "pass" and checks["packages"]["status"] == "pass", checks
        # no GPU in a container: said so, not faked
        assert checks["gpus"]["status"] == "absent"

    for n in counts:
        if n > 1:
            result = load_json(run_dir / "nccl" / f"n{n}" / "all_reduce.json")
            assert result["tool"] == "torch.distributed" and result["backend"] == "gloo"
            assert result["nodes"] == n and result["rows"]
            for row in result["rows"]:
                assert row["out_of_place"]["time_us"] > 0 and row["out_of_place"]["busbw_gbps"] > 0
        sft_dir = run_dir / "sft" / f"n{n}"
        summary = load_json(sft_dir / "summary.json")
        assert summary["status"] == "ok" and summary["error"] is None
        assert summary["world_size"] == n and summary["zero_stage"] == 3 and summary["device"] == "cpu"
        assert summary["tokens_per_s"] > 0 and summary["tokens_per_s_per_gpu"] > 0
        assert summary["mfu"] is None  # no peak FLOP/s for a CPU: MFU is null, not invented
        assert math.isfinite(summary["loss_first"]) and math.isfinite(summary["loss_last"])
        metrics = load_jsonl(sft_dir / "metrics.jsonl")
        assert len([m for m in metrics if not m["warmup"]]) == summary["timed_steps"]
        assert (sft_dir / "launch.log").is_file()
        # gloo on CPU: no NCCL line to record, and nothing claimed
        nccl_loaded = load_json(sft_dir / "nccl_loaded.json")
        assert nccl_loaded["device"] == "cpu" and nccl_loaded["preloaded"] is None
        loaded = [(node["host"], node["loaded"], node["match"]) for node in nccl_loaded["nodes"]]
        assert loaded == [(h, [], None) for h in hosts[:n]]
        assert [(r["rank"], r["status"], r["reason"]) for r in summary["affinity"]] == [
            (rank, "not bound", "CPU run: no GPU to bind to") for rank in range(n)]
        for host in hosts[:n]:
            assert (run_dir / "telemetry" / f"sft-n{n}" / f"{host}.summary.json").is_file()
            counters = load_json(run_dir / "counters" / f"sft-n{n}" / f"{host}.json")
            assert "absent" in counters

    assert (run_dir / "report.md").stat().st_size > 0
    plots = list((run_dir / "plots").glob("*.png"))
    assert plots and all(p.read_bytes()[:8] == PNG_MAGIC for p in plots)
    assert load_jsonl(run_dir / "events.jsonl")
    assert load_json(run_dir / "callback_summary.json")

    report = load_json(run_dir / "summary.json")
    assert report["counts"] == counts and report["device"] == "cpu"
    assert sorted(e["nodes"] for e in report["sft_runs"] if e["status"] == "ok") == counts
    return report


def test_sweep_through_slurm(prepared: dict[str, str], tmp_path: Path) -> None:
    run, run_dir = run_benchmark(tmp_path, "1,2,4", launcher="slurm")
    assert run.rc == 0, run.failure_messages()
    hosts = list(prepared.values())[:4]
    assert run.hosts_contacted() >= set(hosts)
    assert not (run.hosts_contacted() - set(hosts) - {"localhost"}), "a host outside nodes=1,2,4 was contacted"
    summary = check_run_dir(run_dir, [1, 2, 4], "slurm", hosts)
    points = {p["nodes"]: p for p in summary["scaling"]}
    assert set(points) >= {2, 4}
    for n in (2, 4):
        eff = points[n]["efficiency"]  # a fraction of the 1-node per-rank throughput
        assert eff is not None and 0 < eff < 10, points[n]
    # the scaling model's prediction beside each measured point (docs/scaling-model.md)
    predicted = {p["count"]: p for p in summary["prediction"] if p["sweep"] == "nodes"}
    assert set(predicted) == {2, 4}, summary["prediction"]
    for p in predicted.values():
        assert p["reason"] is None and 0 < p["predicted_low"] <= p["predicted_high"] <= 1 and p["verdict"], p
    # 920 Gbps cannot be met on 2x400GbE: the target row says so against the 800 Gb/s line rate
    busbw = [t for t in summary["targets"] if t["name"] == "bus_bandwidth"]
    assert summary["line_rate_gbps"] == 800
    assert len(busbw) == 1 and busbw[0]["target"] == 920
    assert "physically impossible" in busbw[0]["note"] and "800 Gb/s" in busbw[0]["note"]
    check_report_sections(run_dir, summary, hosts)


def check_report_sections(run_dir: Path, summary: dict[str, Any], hosts: list[str]) -> None:
    """Every section of report.md (docs/report.md), with "not present" and its reason where the containers lack
    the hardware."""
    text = (run_dir / "report.md").read_text()
    lines = text.splitlines()
    # the verdict first: a CPU cluster measures no GPU utilisation, so it cannot be PASS
    assert summary["verdict"]["verdict"] in ("FAIL", "INCOMPLETE") and lines[2].startswith("**%s**: " % (
        summary["verdict"]["verdict"]))
    assert "| GPUs | none | all %d nodes |" % len(hosts) in text  # no GPU in a container: said, not faked
    for section in ("## Targets", "## Phases", "## Preflight", "## Collectives", "## SFT", "## Network and hosts",
                    "## Scaling", "## Environment"):
        assert section in text, section
    network = [n for n in summary["network"] if n["phase"].startswith("sft-")]
    assert {n["host"] for n in network} == set(hosts)
    for n in network:  # containers have no RDMA device and no GPU: each absent, with why
        assert n["tx_gbps"] is None and "infiniband" in n["reason"], n
        assert n["cpu_pct_mean"] is None and "no NVIDIA GPU telemetry source" in n["host_reason"], n
    assert "not present (/sys/class/infiniband" in text and "not present (no NVIDIA GPU telemetry source" in text
    # one diagnosis per SFT run; on CPU no GPU utilisation, so the diagnosis says it does not know, and why
    assert [e["diagnosis"]["bound"] for e in summary["sft_runs"]] == ["unknown"] * len(summary["sft_runs"])
    assert text.count("- Diagnosis n") == len(summary["sft_runs"])
    assert (run_dir / "plots" / "latency.png").read_bytes()[:8] == PNG_MAGIC


def test_nodes_2_through_pdsh(prepared: dict[str, str], tmp_path: Path) -> None:
    run, run_dir = run_benchmark(tmp_path, "2", launcher="pdsh")
    assert run.rc == 0, run.failure_messages()
    hosts = list(prepared.values())[:2]
    check_run_dir(run_dir, [2], "pdsh", hosts)


def test_gpu_sweep_on_one_node(prepared: dict[str, str], tmp_path: Path) -> None:
    """-e gpus=1,2 on the first node: each configuration in its own folder, 1 and 2 ranks (CPU ranks stand for
    GPUs in containers), the sweep's efficiency against the 1-rank run; the node sweep's n1 is the full node."""
    run, run_dir = run_benchmark(tmp_path, "1", gpus="1,2", h200_ranks_per_node=2)
    assert run.rc == 0, run.failure_messages()
    host = next(iter(prepared.values()))
    assert run.hosts_contacted() <= {host, "localhost"}
    run_json = load_json(run_dir / "run.json")
    assert run_json["gpu_counts"] == [1, 2] and [c["label"] for c in run_json["configs"]] == ["n1-g1", "n1"]
    phases = load_jsonl(run_dir / "phases.jsonl")
    for label in ("n1-g1", "n1"):
        for phase in ("collectives", "sft"):
            assert [p["status"] for p in phases if p["phase"] == phase and p.get("label") == label] == ["ok"]
    assert load_json(run_dir / "sft" / "n1-g1" / "summary.json")["world_size"] == 1
    assert load_json(run_dir / "sft" / "n1" / "summary.json")["world_size"] == 2
    assert load_json(run_dir / "nccl" / "n1" / "all_reduce.json")["ranks"] == 2
    assert (run_dir / "telemetry" / "sft-n1-g1" / f"{host}.summary.json").is_file()
    summary = load_json(run_dir / "summary.json")
    sweep = summary["gpu_scaling"]
    assert sweep["baseline_label"] == "n1-g1" and [p["gpus"] for p in sweep["points"]] == [1, 2]
    assert sweep["points"][0]["efficiency"] == 1.0 and 0 < sweep["points"][1]["efficiency"] < 10
    assert "### GPUs inside one node" in (run_dir / "report.md").read_text()
