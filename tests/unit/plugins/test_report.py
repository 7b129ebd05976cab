"""The report on hand-built run directories with known answers (tests/unit/data/results)."""

import json
import shutil
from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader

# The collection through Ansible's own finder (no PYTHONPATH needed), as the callback test does.
init_plugin_loader([str(Path(__file__).resolve().parents[3] / ".cache" / "collections")])

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics  # noqa: E402
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "results"
SWEEP, ALONE, CPU = "20261129-031500-n1-2-4", "20261129-050000-n2", "20261129-060000-n1-2"
# A real run: benchmark.yml -e gpus=1,2 on the two-GPU H200 machine (telemetry cut to the SFT phases).
GPU_SWEEP = "20261129-230906-n1-g1-2"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A copy of the results tree, with the report written into each run directory."""
    root = tmp_path_factory.mktemp("results")
    shutil.copytree(DATA, root, dirs_exist_ok=True)
    for run in (SWEEP, ALONE, CPU, GPU_SWEEP):
        report.write_report(str(root / run), line_rate_gbps=800, results_root=str(root))
    return root


def summary_of(results, run):
    return json.loads((results / run / "summary.json").read_text())


def target(summary, name):
    return next(t for t in summary["targets"] if t["name"] == name)


def test_metrics_definitions():
    assert metrics.scaling_efficiency(950.0, 1000.0) == 0.95
    assert metrics.scaling_efficiency(950.0, None) is None
    assert metrics.scaling_efficiency(950.0, 0) is None
    assert metrics.line_rate_fraction(96.0, 800) == 0.96
    assert metrics.line_rate_fraction(None, 800) is None


def test_sweep_scaling_from_the_same_run(results):
    summary = summary_of(results, SWEEP)
    assert [(p["nodes"], p["tokens_per_s_per_gpu"], p["efficiency"]) for p in summary["scaling"]] == [
        (1, 1000.0, 1.0), (2, 950.0, 0.95), (4, 960.0, 0.96)]
    assert summary["scaling_baseline"] == {"source": "this run", "run_id": SWEEP, "tokens_per_s_per_gpu": 1000.0}
    assert (target(summary, "scaling_2_nodes")["measured"], target(summary, "scaling_2_nodes")["pass"]) == (95.0, False)
    assert (target(summary, "scaling_4_nodes")["measured"], target(summary, "scaling_4_nodes")["pass"]) == (96.0, True)
    eight = target(summary, "scaling_8_nodes")
    assert eight["measured"] is None and eight["pass"] is None and "8-node" in eight["reason"]


def test_bandwidth_target_is_computed_impossible_above_line_rate(results):
    summary = summary_of(results, SWEEP)
    bandwidth = target(summary, "bus_bandwidth")
    assert bandwidth["measured"] == 768.0  # 96 GB/s at 2 nodes x 8
    assert bandwidth["pass"] is False
    assert "physically impossible" in bandwidth["note"] and "800 Gb/s line rate" in bandwidth["note"]
    all_reduce_2 = next(c for c in summary["collectives"]
                        if (c["collective"], c["nodes"], c["variant"]) == ("all_reduce", 2, None))
    assert all_reduce_2["line_rate_fraction"] == 0.96 and all_reduce_2["line_rate_gbps"] == 800


def test_bandwidth_note_absent_when_target_fits_the_line_rate(tmp_path):
    shutil.copytree(DATA / SWEEP, tmp_path / SWEEP)
    summary = report.write_report(str(tmp_path / SWEEP), line_rate_gbps=800, targets={"busbw_gbps": 700})
    bandwidth = target(summary, "bus_bandwidth")
    assert bandwidth["pass"] is True and "impossible" not in bandwidth["note"]


def test_intra_node_busbw_is_not_compared_with_the_line_rate(results):
    collectives = summary_of(results, SWEEP)["collectives"]
    one = next(c for c in collectives if (c["collective"], c["nodes"]) == ("all_reduce", 1))
    assert one["peak_busbw_gbps"] == 480.0 and one["line_rate_fraction"] is None and "inside one node" in one["note"]


def test_latency_and_gpu_util(results):
    summary = summary_of(results, SWEEP)
    assert summary["latency_us"] == 22.5
    assert (target(summary, "latency_2_nodes")["pass"], summary["latency"]["size_bytes"]) == (True, 8)
    assert summary["sft"]["gpu_util_mean"] == 93.0 and summary["sft"]["nodes"] == 4
    assert target(summary, "gpu_utilisation")["pass"] is True
    one = next(s for s in summary["sft_runs"] if s["nodes"] == 1)
    assert one["gpu_util_mean"] is None and "not present" in one["gpu_util_reason"]


def test_failed_phase_is_marked_with_its_reason_never_zero(results):
    summary = summary_of(results, SWEEP)
    gather_4 = next(c for c in summary["collectives"] if (c["collective"], c["nodes"]) == ("all_gather", 4))
    assert gather_4["status"] == "missing" and gather_4["peak_busbw_gbps"] is None
    assert gather_4["reason"].startswith("phase failed: all_gather_perf: NCCL WARN")
    text = (results / SWEEP / "report.md").read_text()
    assert "n/a (phase failed: all_gather_perf: NCCL WARN" in text
    assert "n/a (not present" in text or "hgx-0001: not present" in text


def test_weak_node_flags_the_slow_node(results):
    weak = {w["label"]: w for w in summary_of(results, SWEEP)["weak_node"]}
    assert weak["node-hgx-0002"]["slow"] is True
    assert not weak["node-hgx-0001"]["slow"] and not weak["pair-hgx-0003-hgx-0004"]["slow"]


def test_single_count_uses_newest_matching_stored_baseline(results):
    summary = summary_of(results, ALONE)
    # The newer 13b run (20261129-045000) differs in model and is skipped; the 1-2-4 sweep's 1000 is used.
    assert summary["scaling_baseline"] == {"source": "stored run", "run_id": SWEEP, "tokens_per_s_per_gpu": 1000.0}
    assert [(p["nodes"], p["efficiency"]) for p in summary["scaling"]] == [(1, 1.0), (2, 0.9)]
    assert "stored run %s" % SWEEP in (results / ALONE / "report.md").read_text()


def test_cpu_run_failed_pieces_and_mfu(results):
    summary = summary_of(results, CPU)
    runs = {s["nodes"]: s for s in summary["sft_runs"]}
    assert runs[1]["status"] == "failed" and runs[1]["tokens_per_s_per_gpu"] is None
    assert "out of memory" in runs[1]["reason"]
    assert runs[2]["mfu"] is None and runs[2]["mfu_reason"] == "CPU: no peak"
    assert summary["scaling_baseline"] is None and summary["scaling"][0]["efficiency"] is None
    assert all(c["status"] == "missing" for c in summary["collectives"])
    assert summary["latency_us"] is None
    text = (results / CPU / "report.md").read_text()
    assert "n/a (CPU: no peak)" in text and "phase failed: torchrun exited 1" in text
    assert "| 1 | - | failed: workload failed: out of memory" in text


def test_plots_exist_and_are_png(results):
    summary = summary_of(results, SWEEP)
    expected = {"plots/busbw_all_reduce.png", "plots/busbw_all_gather.png", "plots/busbw_sendrecv.png",
                "plots/latency.png", "plots/scaling.png", "plots/gpu_util_sft-n4.png"}
    assert set(summary["plots"]) == expected
    for rel in expected:
        data = (results / SWEEP / rel).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000
        assert "](%s)" % rel in (results / SWEEP / "report.md").read_text()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"line_rate_gbps": 0}, "h200_line_rate_gbps must be a positive number"),
     ({"targets": {"latency": 50}}, "unknown keys ['latency']"),
     ({"targets": {"scaling_pct": {"1": 99}}}, "node counts of 2 or more"),
     ({"targets": {"gpu_util_pct": "high"}}, "h200_targets.gpu_util_pct must be a number")],
)
def test_bad_input_is_named(tmp_path, kwargs, message):
    shutil.copytree(DATA / SWEEP, tmp_path / SWEEP)
    with pytest.raises(report.ReportError, match=message.replace("[", r"\[").replace("]", r"\]")):
        report.build_summary(str(tmp_path / SWEEP), **kwargs)


def test_directory_without_run_json_is_refused(tmp_path):
    with pytest.raises(report.ReportError, match=r"run\.json"):
        report.build_summary(str(tmp_path))


def test_without_matplotlib_the_numbers_are_still_written(tmp_path, monkeypatch):
    from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report_render

    monkeypatch.setattr(report_render, "MISSING_LIBRARY", "No module named 'matplotlib'")
    shutil.copytree(DATA / SWEEP, tmp_path / SWEEP)
    with pytest.raises(report.ReportError, match="matplotlib"):
        report.write_report(str(tmp_path / SWEEP), line_rate_gbps=800)
    written = json.loads((tmp_path / SWEEP / "summary.json").read_text())
    assert written["plots"] == [] and target(written, "bus_bandwidth")["target"] == 920
    assert not (tmp_path / SWEEP / "report.md").exists()


def test_gpu_util_is_judged_over_the_timed_steps(tmp_path):
    """Idle samples before the timed steps (data, set-up, warm-up) count in the phase mean only."""
    shutil.copytree(DATA / SWEEP, tmp_path / SWEEP)
    run_dir = tmp_path / SWEEP
    for path in (run_dir / "telemetry" / "sft-n4").glob("*.jsonl"):
        idle = {"gpus": [{"index": 0, "util_pct": 0}, {"index": 1, "util_pct": 0}], "record": "sample", "t": 990.0}
        path.write_text(path.read_text() + json.dumps(idle) + "\n")
    sft_summary = run_dir / "sft" / "n4" / "summary.json"
    sft_summary.write_text(json.dumps(dict(json.loads(sft_summary.read_text()),
                                           timed_t_start=999.5, timed_t_end=1001.5)))
    report.write_report(str(run_dir), line_rate_gbps=800, results_root=str(tmp_path))
    four = next(s for s in summary_of(tmp_path, SWEEP)["sft_runs"] if s["nodes"] == 4)
    assert (four["gpu_util_mean"], four["gpu_util_scope"], four["gpu_util_samples"]) == (93.0, "timed steps", 8)
    assert four["gpu_util_phase_mean"] < 93.0 - 10  # 4 idle samples out of 12 pull it down
    note = target(summary_of(tmp_path, SWEEP), "gpu_utilisation")["note"]
    assert "timed steps, nodes=4, 8 samples" in note and "whole phase: 62.0 %" in note
    sft_summary.write_text(json.dumps(dict(json.loads(sft_summary.read_text()), timed_t_start=1005.0,
                                           timed_t_end=1006.0)))
    report.write_report(str(run_dir), line_rate_gbps=800, results_root=str(tmp_path))
    four = next(s for s in summary_of(tmp_path, SWEEP)["sft_runs"] if s["nodes"] == 4)
    assert four["gpu_util_mean"] is None and "no telemetry sample inside the timed steps" in four["gpu_util_reason"]


def test_a_phase_not_asked_for_is_not_reported_missing(tmp_path):
    shutil.copytree(DATA / SWEEP, tmp_path / SWEEP)
    run_dir = tmp_path / SWEEP
    shutil.rmtree(run_dir / "nccl")
    run = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps(dict(run, phases=["sft", "report"])))
    report.write_report(str(run_dir), line_rate_gbps=800, results_root=str(tmp_path))
    assert summary_of(tmp_path, SWEEP)["collectives"] == []
    assert "No collective test was run." in (run_dir / "report.md").read_text()
    (run_dir / "run.json").write_text(json.dumps(dict(run, phases=["nccl", "sft", "report"])))
    report.write_report(str(run_dir), line_rate_gbps=800, results_root=str(tmp_path))
    assert {c["status"] for c in summary_of(tmp_path, SWEEP)["collectives"]} == {"missing"}


def test_gpu_sweep_scaling_inside_one_node(results):
    summary = summary_of(results, GPU_SWEEP)
    gpus = summary["gpu_scaling"]
    assert gpus["baseline_label"] == "n1-g1" and gpus["reason"] is None
    assert [(p["gpus"], p["label"], round(p["tokens_per_s_per_gpu"])) for p in gpus["points"]] == [
        (1, "n1-g1", 77920), (2, "n1", 77256)]
    assert round(gpus["points"][1]["efficiency"] * 100, 2) == 99.15
    # the node sweep is the whole node only: its baseline is the 2-GPU run
    assert [p["nodes"] for p in summary["scaling"]] == [1]
    assert summary["scaling_baseline"]["tokens_per_s_per_gpu"] == gpus["points"][1]["tokens_per_s_per_gpu"]


def test_gpu_subset_utilisation_counts_only_the_gpus_it_ran_on(results):
    """GPU 1 sat at 0 % while the 1-GPU configuration trained on GPU 0: it must not halve the figure."""
    runs = {r["label"]: r for r in summary_of(results, GPU_SWEEP)["sft_runs"]}
    assert round(runs["n1-g1"]["gpu_util_mean"], 1) == 96.2 and runs["n1-g1"]["gpu_util_samples"] == 13
    assert round(runs["n1"]["gpu_util_mean"], 1) == 96.0
    util = target(summary_of(results, GPU_SWEEP), "gpu_utilisation")
    assert util["pass"] is True and "nodes=1" in util["note"]  # judged on the whole node, not the subset


def test_collectives_between_the_gpus_of_one_node_against_nvlink(results):
    summary = summary_of(results, GPU_SWEEP)
    assert summary["gpu_model"] == "NVIDIA H200"
    rows = {r["collective"]: r for r in summary["intra_node"]}
    assert set(rows) == {"all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv"}
    ar = rows["all_reduce"]
    assert (ar["largest_bytes"], ar["largest_busbw_gbps"], ar["largest_algo"], ar["largest_proto"]) == (
        8589934592, 348.06, "RING", "SIMPLE")
    assert (ar["smallest_bytes"], ar["smallest_time_us"], ar["smallest_algo"], ar["smallest_proto"]) == (
        8, 15.16, "RING", "LL")
    assert ar["nvlink_gbps"] == 450.0 and round(ar["nvlink_fraction"], 3) == 0.773
    assert rows["sendrecv"]["smallest_algo"] is None  # NCCL does not tune send/recv
    assert rows["all_gather"]["smallest_bytes"] == 32  # the 0-byte row is not a message size
    # 1-GPU collectives are listed with their GPU count, never in the NVLink table
    one = [c for c in summary["collectives"] if c["gpus"] == 1]
    assert len(one) == 5 and all(c["ranks"] == 1 for c in one)
    text = (results / GPU_SWEEP / "report.md").read_text()
    assert "### Between the GPUs of one node" in text and "450 GB/s each way" in text
    assert "| all_reduce | 2 | 8G | 348.1 | RING/SIMPLE | 348.1 | 77.3 % | 8 | 15.16 | RING/LL |" in text
    assert "### GPUs inside one node" in text and "| 2 | n1 | 77,256 | 99.15 % |" in text
    assert (results / GPU_SWEEP / "plots" / "scaling_gpus.png").read_bytes().startswith(PNG_MAGIC)


def test_skipped_configuration_keeps_its_reason(tmp_path):
    """A phase recorded skipped (too few nodes passed preflight) is reported with its reason, not 'not run'."""
    run = tmp_path / "20261129-100000-n2"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({
        "run_id": run.name, "counts": [2], "phases": ["nccl", "sft", "report"], "collectives": ["all_reduce"],
        "configs": [{"nodes": 2, "gpus": 8, "ranks_per_node": 8, "label": "n2", "sweep": "nodes"}]}))
    (run / "phases.jsonl").write_text("".join(json.dumps({
        "phase": phase, "nodes": 2, "label": "n2", "status": "skipped",
        "reason": "only 1 nodes passed preflight: hgx-0001"}) + "\n" for phase in ("collectives", "sft")))
    summary, _collectives, _telemetry = report.build_summary(str(run))
    assert summary["collectives"][0]["reason"] == "phase skipped: only 1 nodes passed preflight: hgx-0001"
    assert summary["sft_runs"][0]["reason"] == "phase skipped: only 1 nodes passed preflight: hgx-0001"


def test_prediction_of_the_gpu_sweep_from_its_parts(results):
    """1 -> 2 GPUs, llama-1b ZeRO-2: 24 gradient reduce_scatters and 3 parameter all_gathers of 1 GB buckets over
    NVLink at the measured times (51 ms) against a 3.36 s step: 98.5 % without overlap, 100 % with it."""
    (row,) = summary_of(results, GPU_SWEEP)["prediction"]
    assert (row["sweep"], row["count"], row["label"], row["verdict"], row["dominant"]) == (
        "gpus", 2, "n1", "as predicted", "compute")
    assert round(row["step_s_baseline"], 3) == 3.364 and round(row["comm_s"] * 1000) == 51
    assert [(t["op"], t["calls"]) for t in row["terms"]] == [("reduce_scatter", 24), ("all_gather", 3)]
    assert round(row["predicted_low"], 3) == 0.985 and row["predicted_high"] == 1.0
    assert round(row["measured"], 4) == 0.9915
    assert "### Predicted from the measured parts" in (results / GPU_SWEEP / "report.md").read_text()


def test_prediction_needs_the_workload_config(results):
    """The hand-built sweep has no DeepSpeed config in its summaries: each point says why nothing is predicted."""
    rows = summary_of(results, SWEEP)["prediction"]
    assert [r["count"] for r in rows] == [2, 4]
    assert all(r["reason"].startswith("not predicted") and r["verdict"] is None for r in rows)


def test_one_verdict_line_first(results):
    """INCOMPLETE when a target was not measured; FAIL when a phase failed, whatever was measured."""
    sweep = summary_of(results, GPU_SWEEP)
    assert sweep["verdict"]["verdict"] == "INCOMPLETE"
    assert sweep["verdict"]["detail"].startswith("1 of 6 targets passed; not measured: scaling_2_nodes")
    cpu = summary_of(results, CPU)
    assert cpu["verdict"]["verdict"] == "FAIL" and "phases failed: collectives n1, sft n1" in cpu["verdict"]["detail"]
    text = (results / CPU / "report.md").read_text().splitlines()
    assert text[2].startswith("**FAIL**: ") and "phases failed" in text[2]


def test_no_bandwidth_plot_for_one_rank(results):
    """The GPU sweep's 1-GPU collectives move nothing between ranks: plotted only where 2 GPUs ran."""
    summary = summary_of(results, GPU_SWEEP)
    one_rank = [c for c in summary["collectives"] if c["ranks"] == 1]
    assert one_rank and "plots/busbw_all_reduce.png" in summary["plots"] and "plots/latency.png" in summary["plots"]
    timed = [e["timed_window"] for e in summary["sft_runs"]]
    assert all(w and w[1] > w[0] for w in timed)  # the shaded window of the GPU-utilisation plots


def test_hardware_and_versions_name_the_node_that_differs(tmp_path):
    run = tmp_path / SWEEP
    shutil.copytree(DATA / SWEEP, run)
    env = json.loads((run / "env" / "hgx-0003.json").read_text())
    env.update(driver="550.54.15", gpus=[{"index": i, "model": "NVIDIA H200"} for i in range(7)])
    (run / "env" / "hgx-0003.json").write_text(json.dumps(env))
    report.write_report(str(run), results_root=str(tmp_path))
    lines = (run / "report.md").read_text().splitlines()
    table = lines[lines.index("| hardware and versions | value | nodes |"):]
    assert "| driver | 560.35.03 | hgx-0003 (550.54.15) |" in table
    assert "| GPUs | n/a (absent) | hgx-0003 (7 x NVIDIA H200) |" in table  # the others recorded no GPU list
    assert "| OS / kernel | n/a (absent) / 6.1.0-28-amd64 | hgx-0004 (n/a (absent) / 6.1.0-27-amd64) |" in table
    assert lines.index("| hardware and versions | value | nodes |") < lines.index("## Targets")


@pytest.mark.parametrize(("entry", "one_node", "bound", "because"), [
    # 8 x 4096 x 32 x 1 = 1,048,576 tokens at 10,458 tokens/s: a 100.3 s step, 3.9 s of it the CPU Adam step
    ({"gpu_util_mean": 91.1, "micro_batch_size": 8, "seq_len": 4096, "grad_accum": 32, "world_size": 1,
      "tokens_per_s": 10458.0, "optimizer_step_s": 3.9, "offload": "optimizer 70 %", "mfu": 0.428}, None,
     "compute", "GPUs busy 91.1 % of the timed steps, MFU 42.8 %"),
    ({"gpu_util_mean": 50.9, "micro_batch_size": 8, "seq_len": 4096, "grad_accum": 32, "world_size": 1,
      "tokens_per_s": 5578.0, "optimizer_step_s": 81.4, "offload": "optimizer"}, None,
     "host", "the optimizer step takes 81.4 s of a 188.0 s step (43 %; offload: optimizer)"),
    ({"nodes": 4, "gpu_util_mean": 80.0}, {"gpu_util_mean": 97.0},
     "communication", "GPU utilisation falls from 97.0 % on 1 node to 80.0 % on 4"),
    ({"nodes": 1, "gpu_util_mean": 70.0}, None, "unknown", "GPUs busy 70.0 % of the timed steps; neither"),
    ({"gpu_util_mean": None, "gpu_util_reason": "not present"}, None, "unknown", "no GPU utilisation"),
])
def test_diagnosis_from_what_was_measured(entry, one_node, bound, because):
    result = report.diagnose(dict({"status": "ok", "nodes": 1}, **entry), one_node)
    assert result["bound"] == bound and result["because"].startswith(because)
    assert report.diagnose({"status": "failed"})["bound"] == "unknown"
    assert report.diagnose({"status": "ok", "device": "cpu", "gpu_util_mean": 99.0})["because"].startswith("a CPU run")


def test_network_rates_and_flagged_counters_from_the_counters(tmp_path):
    """The ConnectX-7 snapshots of the counter tests, 10 s apart: 2,000,000 bytes each way per port in 10 s."""
    from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_counters as rc

    sysfs = DATA.parent / "sysfs"
    before = rc.snapshot_sysfs(str(sysfs / "connectx7_before"))[0]
    after = rc.snapshot_sysfs(str(sysfs / "connectx7_after"))[0]
    for values, when in ((before, "before"), (after, "after")):
        values.update(rc.select_ethtool(rc.parse_ethtool_stats((sysfs / ("ethtool_S_eth2_%s.txt" % when))
                                                               .read_text()), "eth2"))
    change = rc.diff(before, after)
    totals, _absent = rc.totals(change["delta"])
    run = tmp_path / ALONE
    shutil.copytree(DATA / ALONE, run)
    (run / "counters" / "nccl-n2").mkdir(parents=True, exist_ok=True)
    (run / "counters" / "nccl-n2" / "hgx-0001.json").write_text(json.dumps(
        {"host": "hgx-0001", "delta": change["delta"], "totals": totals, "absent": []}))
    (run / "telemetry" / "nccl-n2").mkdir(parents=True, exist_ok=True)
    (run / "telemetry" / "nccl-n2" / "hgx-0001.summary.json").write_text(json.dumps(
        {"duration_s": 10.0, "host": {"cpu_pct": {"mean": 12.5, "max": 40.0}, "mem_used_mib": {"max": 2048.0}}}))
    summary = report.write_report(str(run), results_root=str(tmp_path))
    (entry,) = [n for n in summary["network"] if n["phase"] == "nccl-n2"]
    assert entry["tx_gbps"] == pytest.approx(totals["tx_bytes"] * 8 / 10 / 1e9)
    assert entry["line_rate_fraction"] == pytest.approx(max(entry["tx_gbps"], entry["rx_gbps"]) / 800)
    assert set(entry["nics"]) == {"mlx5_0/1", "mlx5_1/1"}
    assert entry["anomalies"] == ["out_of_sequence", "pause_frames"]  # 2 and 60: flagged
    assert entry["counters"]["cnp_sent"] == 9 and "cnp_sent" not in entry["anomalies"]  # shown, not flagged
    assert (entry["cpu_pct_mean"], entry["mem_used_gib_max"]) == (12.5, 2.0)
    text = (run / "report.md").read_text()
    assert "## Network and hosts" in text and "out_of_sequence 2, pause_frames 60" in text
