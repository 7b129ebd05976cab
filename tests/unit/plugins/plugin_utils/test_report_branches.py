"""Report branches the hand-built runs of test_report.py do not reach, on a copy of the 1-2-4 node sweep with
one change each: a busbw above the line rate, an unreadable result file, a result with no rows (the file's own
peak is taken), and no successful SFT at all."""

import json
import os
import shutil
from pathlib import Path

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report

DATA = Path(__file__).resolve().parents[2] / "data" / "results"
SWEEP = "20261129-031500-n1-2-4"


@pytest.fixture
def run(tmp_path):
    shutil.copytree(DATA / SWEEP, tmp_path / SWEEP)
    return tmp_path / SWEEP


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def entry(summary, collective, nodes, variant=None):
    return next(c for c in summary["collectives"] if (c["collective"], c["nodes"], c["variant"]) == (
        collective, nodes, variant))


def test_busbw_above_the_line_rate_is_explained_not_counted_as_the_links(run):
    def double(data):
        data["algo"] = "NVLS"
        for row in data["rows"]:
            for side in ("in_place", "out_of_place"):
                row[side]["busbw_gbps"] *= 2

    edit_json(run / "nccl" / "n2" / "all_reduce.json", double)
    summary = report.write_report(str(run), line_rate_gbps=800, results_root=str(run.parent))
    above = entry(summary, "all_reduce", 2)
    assert above["peak_busbw_gbps"] == 192.0 and above["line_rate_fraction"] == pytest.approx(1.92)
    assert above["note"].startswith("above the line rate: algorithm NVLS counts traffic that stays inside a node")
    assert entry(summary, "all_reduce", 2, "ring")["note"] is None
    assert "above the line rate: algorithm NVLS" in (run / "report.md").read_text()


def test_an_unreadable_result_is_missing_and_named_as_skipped(run):
    path = run / "nccl" / "n2" / "all_gather.json"
    path.unlink()
    path.mkdir()  # reading it fails with an OSError other than "not found"
    summary = report.build_summary(str(run), 800, None, str(run.parent))[0]
    missing = entry(summary, "all_gather", 2)
    assert missing["status"] == "missing" and missing["reason"] == "result file unreadable: %s" % path
    reasons = [s["reason"] for s in summary["skipped"] if s["file"] == "nccl/n2/all_gather.json"]
    assert len(reasons) == 1 and reasons[0].startswith("unreadable: [Errno 21] Is a directory")


def test_a_result_without_rows_takes_the_files_own_peak(run):
    edit_json(run / "nccl" / "n2" / "all_reduce.json", lambda data: data.update(rows=[], peak_busbw_gbps=91.5))
    summary = report.build_summary(str(run), 800, None, str(run.parent))[0]
    assert entry(summary, "all_reduce", 2)["peak_busbw_gbps"] == 91.5


def test_no_successful_sft_leaves_the_sft_targets_unmeasured_with_the_reason(run):
    for folder in sorted((run / "sft").iterdir()):
        edit_json(folder / "summary.json", lambda data: data.update(status="failed", error="rank 3 died"))
    summary = report.write_report(str(run), line_rate_gbps=800, results_root=str(run.parent))
    assert summary["sft"]["tokens_per_s_per_gpu"] is None and summary["scaling"] == []
    assert summary["sft"]["reason"] == "n1: workload failed: rank 3 died; n2: workload failed: rank 3 died; " \
                                       "n4: workload failed: rank 3 died"
    sft_targets = [t for t in summary["targets"] if t["name"] == "gpu_utilisation" or t["name"].startswith("scaling")]
    assert sft_targets and all(t["pass"] is None and t["reason"] == "no successful SFT run" for t in sft_targets)
    assert summary["verdict"]["verdict"] == "FAIL" and "not measured: gpu_utilisation" in summary["verdict"]["detail"]
    assert "no successful SFT run" in (run / "report.md").read_text()
    assert os.path.isfile(run / "summary.json")
