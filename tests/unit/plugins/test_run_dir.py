"""The run-directory contract (module_utils/run_dir.py): the records the playbook writes through run_record,
and the report reading them back through the same names."""

import json

import pytest
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader()

from ansible_collections.spectrumx.h200_benchmark.plugins.filter import run_records  # noqa: E402
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics, run_dir  # noqa: E402
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report  # noqa: E402

NOW = "2026-11-30T10:00:00+0000"


def write(path, record):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name == run_dir.PHASES_JSONL:
        with open(path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
    else:
        path.write_text(json.dumps(record))


def test_phase_names_are_one_contract():
    assert run_records.recorded_phases(["nccl", "weak", "sft", "report"]) == ["collectives", "sft"]
    assert run_records.recorded_phases(["sft"]) == ["sft"]
    assert run_dir.telemetry_label("collectives", "n2") == "nccl-n2"
    assert run_dir.telemetry_label("sft", "n1-g2") == "sft-n1-g2"


def test_skipped_phase_written_by_the_playbook_is_reported_with_its_reason(tmp_path):
    """node_count.yml records every selected phase of a configuration that too few nodes passed for; the
    report finds those records under the same names, so the reason reaches the reader (not 'not run')."""
    run = tmp_path / "20261130-100000-n2"
    selected = ["nccl", "sft", "report"]
    write(run / run_dir.RUN_JSON, run_dir.build("run", {
        "run_id": run.name, "run_dir": str(run), "phases": selected, "hosts": ["a", "b"], "counts": [2],
        "collectives": ["all_reduce"], "configs": [{"nodes": 2, "gpus": 8, "ranks_per_node": 8, "label": "n2",
                                                   "sweep": "nodes"}]}, "0.2.0", NOW))
    reason = "only 1 nodes passed preflight: a"
    for phase in run_records.recorded_phases(selected):
        write(run / run_dir.PHASES_JSONL, run_dir.build(
            "phase", {"phase": phase, "nodes": "2", "status": "skipped", "label": "n2", "reason": reason}, now=NOW))
    summary, _collectives, _telemetry = report.build_summary(str(run))
    assert summary["collectives"][0]["reason"] == "phase skipped: " + reason
    assert summary["sft_runs"][0]["reason"] == "phase skipped: " + reason


def test_records_have_the_contract_shape():
    phase = run_dir.build("phase", {"phase": "sft", "nodes": "2", "status": "failed", "reason": "x" * 3000}, now=NOW)
    assert phase["nodes"] == 2 and len(phase["reason"]) == 2000 and phase["ended"] == NOW and phase["hosts"] == []
    run = run_dir.build("run", {"run_id": "r", "run_dir": "/r", "phases": ["sft"], "hosts": ["a"]}, "1.2.3", NOW)
    assert (run["collection_version"], run["started"]) == ("1.2.3", NOW)
    failure = run_dir.build("preflight_failure", {"host": "a", "reason": "unreachable: timed out"})
    assert failure["ok"] is False and failure["checks"][0] == {
        "name": "preflight", "status": "fail", "detail": "unreachable: timed out"}
    counters = run_dir.build("counters", {"host": "a", "before": {"x": 1}, "after": {
        "readings": {"x": 5}, "delta": {"x": 4}, "failed": False}})
    assert counters == {"host": "a", "before": {"x": 1}, "after": {"x": 5}, "delta": {"x": 4}, "totals": {},
                        "wrapped": [], "reset": [], "absent": []}


def test_preflight_record_carries_the_sft_data_step_as_a_check():
    """preflight_checks.yml passes the data step's error ("" when it worked, None when it did not run): a node
    whose data failed is recorded failed with the error, not "ok" beside a run that left it out."""
    checks = [{"name": "gpus", "status": "absent", "detail": "no GPU"}]
    facts = {"host": "a", "ok": True, "checks": checks}
    failed = run_dir.build("preflight", dict(facts, sft_inputs="SFT model or data failed: data.json is cut off"))
    assert failed["ok"] is False and "sft_inputs" not in failed
    assert failed["checks"] == [
        *checks, {"name": "sft_inputs", "status": "fail", "detail": "SFT model or data failed: data.json is cut off"}]
    ready = run_dir.build("preflight", dict(facts, sft_inputs=""))
    assert ready["ok"] is True and ready["checks"][-1]["status"] == "pass"
    assert run_dir.build("preflight", dict(facts, sft_inputs=None)) == facts
    # a node that failed its own checks stays failed when its data was ready
    assert run_dir.build("preflight", dict(facts, ok=False, sft_inputs=""))["ok"] is False
    assert checks == [{"name": "gpus", "status": "absent", "detail": "no GPU"}]  # the caller's list is not changed


def test_collective_records_take_the_peak_by_the_one_rule():
    rows = [{"size_bytes": 8, "out_of_place": {"busbw_gbps": 2.0}, "in_place": {"busbw_gbps": 153243.0}},
            {"size_bytes": 64, "out_of_place": {"busbw_gbps": None}, "in_place": {"busbw_gbps": 3.0}}]
    torch_result = {"ops": {"sendrecv": {"rows": rows, "ranks": 1, "avg_busbw_gbps": 1.0}}}
    record = run_dir.build("collective", {"tool": "torch.distributed", "collective": "sendrecv", "nodes": 1,
                                          "hosts": ["a"], "result": torch_result})
    # in place counts only where a row has no out-of-place figure (a 1-rank in-place sendrecv is a no-op)
    assert record["peak_busbw_gbps"] == 3.0 == metrics.peak_busbw(rows)
    failed = run_dir.build("collective", {"tool": "nccl-tests", "nodes": 2, "hosts": ["a", "b"], "error": "rc 1"})
    assert failed["rows"] == [] and failed["peak_busbw_gbps"] is None and failed["error"] == "rc 1"
    nccl = run_dir.build("collective", {"tool": "nccl-tests", "nodes": 2, "hosts": ["a", "b"], "ranks": 16,
                                        "result": {"rows": rows, "peak_busbw_gbps": 3.0, "complete": True}})
    assert nccl["ranks"] == 16 and nccl["failures"] == [] and nccl["complete"] is True


@pytest.mark.parametrize("record, data, message", [
    ("phase", {"phase": "sft", "nodes": 1, "status": "done"}, "status 'done' is not one of ok, failed, skipped"),
    ("phase", {"phase": "sft", "status": "ok"}, "phase record lacks nodes"),
    ("table", {}, "record 'table' is not one of"),
    ("run", ["not", "a", "mapping"], "data must be a mapping"),
])
def test_a_record_without_the_contract_shape_is_refused(record, data, message):
    with pytest.raises(run_dir.RunRecordError, match=message):
        run_dir.build(record, data)


def test_paths(tmp_path):
    root = str(tmp_path)
    assert run_dir.path_of(root, "env", {"host": "a"}) == str(tmp_path / "env" / "a.json")
    assert run_dir.path_of(root, "preflight_failure", {"host": "a"}) == str(tmp_path / "preflight" / "a.json")
    assert run_dir.path_of(root, "counters", {"host": "a"}, label="sft-n2") == str(
        tmp_path / "counters" / "sft-n2" / "a.json")
    assert run_dir.path_of(root, "collective", {}, label="n2-ring", collective="all_reduce") == str(
        tmp_path / "nccl" / "n2-ring" / "all_reduce.json")


def test_collection_version_installed_or_checkout(tmp_path):
    assert run_dir.collection_version(str(tmp_path)) is None
    (tmp_path / "galaxy.yml").write_text("namespace: spectrumx\nversion: '0.2.0'\n")
    assert run_dir.collection_version(str(tmp_path)) == "0.2.0"
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "0.2.1"}}))
    assert run_dir.collection_version(str(tmp_path)) == "0.2.1"
