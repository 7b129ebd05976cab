"""Damaged inputs (issue 16): one broken file costs one line of the report, never the report. Each test damages a
copy of a real run (the two-GPU sweep, tests/unit/data/results) in one way and checks what the report says."""

import json
import re
import shutil
from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[3] / ".cache" / "collections")])

from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "results"
RUN = "20261129-230906-n1-g1-2"


@pytest.fixture
def run(tmp_path):
    target = tmp_path / RUN
    shutil.copytree(DATA / RUN, target)
    return target


def write_and_load(run):
    """The report is written (report.md and strict JSON); returns summary.json as read back."""
    report.write_report(str(run), line_rate_gbps=800)
    text = (run / "summary.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    summary = json.loads(text, parse_constant=lambda name: pytest.fail("non-strict JSON constant %s" % name))
    assert (run / "report.md").stat().st_size > 0
    return summary


def skipped(summary, name):
    return [entry["reason"] for entry in summary["skipped"] if entry["file"].endswith(name)]


def test_a_list_where_an_object_is_expected(run):
    (run / "sft" / "n1-g1" / "summary.json").write_text("[1, 2, 3]")
    summary = write_and_load(run)
    assert skipped(summary, "sft/n1-g1/summary.json") == ["a JSON list where an object is expected: file skipped"]
    runs = {r["label"]: r for r in summary["sft_runs"]}
    assert runs["n1-g1"]["status"] == "missing" and runs["n1"]["status"] == "ok"
    assert "## Skipped (damaged or unreadable inputs)" in (run / "report.md").read_text()


def test_a_string_where_a_number_is_expected(run):
    path = run / "sft" / "n1" / "summary.json"
    data = json.loads(path.read_text())
    data["tokens_per_s_per_gpu"] = "fast"
    data["mfu"] = "0.5"
    path.write_text(json.dumps(data))
    summary = write_and_load(run)
    n1 = next(r for r in summary["sft_runs"] if r["label"] == "n1")
    assert n1["tokens_per_s_per_gpu"] is None and n1["mfu"] is None and n1["tokens_per_s"] == data["tokens_per_s"]
    assert [p["label"] for p in summary["gpu_scaling"]["points"]] == ["n1-g1"]  # no efficiency from a string


def test_a_non_utf8_byte_in_telemetry(run):
    path = run / "telemetry" / "sft-n1" / "hgx-0001.jsonl"
    path.write_bytes(path.read_bytes().replace(b"NVIDIA H200", b"NVIDIA H\xff200", 1))
    summary = write_and_load(run)
    assert skipped(summary, "telemetry/sft-n1/hgx-0001.jsonl") == [
        "undecodable bytes replaced; the rest of the file was read"]
    assert round(next(r for r in summary["sft_runs"] if r["label"] == "n1")["gpu_util_mean"], 1) == 96.0


def test_an_error_string_in_an_sft_summary(run):
    (run / "sft" / "n1" / "summary.json").write_text(json.dumps({"status": "failed", "error": "CUDA error: boom"}))
    summary = write_and_load(run)
    n1 = next(r for r in summary["sft_runs"] if r["label"] == "n1")
    assert n1["status"] == "failed" and n1["reason"] == "workload failed: CUDA error: boom"


def test_nan_never_reaches_summary_json_or_a_target(run):
    path = run / "sft" / "n1" / "summary.json"
    path.write_text(path.read_text().replace('"mfu": 0.515582145739526', '"mfu": NaN'))
    assert "NaN" in path.read_text()
    summary = write_and_load(run)
    assert next(r for r in summary["sft_runs"] if r["label"] == "n1")["mfu"] is None
    assert not re.search(r"\bnan\b", (run / "report.md").read_text(), re.IGNORECASE)


def test_nan_busbw_does_not_hide_a_valid_one(run):
    """max() over values with a NaN can return the NaN: a NaN peak must not win over a finite one."""
    path = run / "nccl" / "n1" / "sendrecv.json"
    data = json.loads(path.read_text())
    data["peak_busbw_gbps"] = float("nan")
    path.write_text(json.dumps(data))  # Python writes NaN
    summary = write_and_load(run)
    sendrecv = next(c for c in summary["collectives"] if c["collective"] == "sendrecv" and c["gpus"] is None)
    assert sendrecv["peak_busbw_gbps"] == 366.8  # the rows' out-of-place maximum, not NaN


def test_a_half_written_last_line_of_phases_jsonl(run):
    with (run / "phases.jsonl").open("a") as handle:
        handle.write('{"phase": "sft", "nodes": 1, "sta')
    summary = write_and_load(run)
    assert skipped(summary, "phases.jsonl") == ["1 line(s) not a JSON object (line 6): left out"]
    assert len(summary["phases"]) == 5


def test_a_damaged_run_json_still_gives_a_report(run):
    (run / "run.json").write_text('{"run_id": ')
    summary = write_and_load(run)
    assert skipped(summary, "run.json")[0].startswith("not JSON")
    assert summary["run_id"] == RUN and [r["label"] for r in summary["sft_runs"]] == ["n1-g1", "n1"]


def test_rows_of_the_wrong_types_are_left_out(run):
    path = run / "nccl" / "n1" / "all_reduce.json"
    data = json.loads(path.read_text())
    data["rows"] = [*data["rows"][:2], "row", {"size_bytes": "big"}, {"size_bytes": 8, "out_of_place": [1]}]
    data["ranks"] = "2"
    path.write_text(json.dumps(data))
    summary = write_and_load(run)
    entry = next(c for c in summary["collectives"] if c["collective"] == "all_reduce" and c["gpus"] is None)
    assert entry["ranks"] is None and entry["status"] == "ok"
