"""The campaign report over the stored runs (tests/unit/data/results), one of them damaged."""

import json
import shutil
from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[3] / ".cache" / "collections")])

from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import campaign, report  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "results"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaign") / "results"
    shutil.copytree(DATA, root)
    damaged = root / "20261130-000000-n2"
    damaged.mkdir()
    (damaged / "run.json").write_text('{"run_id": "20261130-000000-n2", "counts": [2')  # cut off mid-write
    out = root.parent / "docs" / "final_benchmark_report.md"
    data = campaign.write_campaign(str(root), str(out), line_rate_gbps=800)
    return data, out.read_text(), json.loads(out.with_suffix(".json").read_text())


def test_damaged_and_foreign_runs_are_listed_as_skipped(written):
    data, text, _json = written
    skipped = {s["run"]: s["reason"] for s in data["skipped"]}
    assert skipped["20261130-000000-n2"].startswith("run.json: not JSON")
    assert "run.json is missing" in skipped["20261128-120000-n1"]
    assert "20261130-000000-n2" not in data["runs"] and "## Skipped" in text
    assert "- `20261130-000000-n2`: run.json: not JSON" in text


def test_scaling_from_separate_runs_uses_medians_with_the_spread(written):
    data, text, _json = written
    (group,) = [g for g in data["sft"] if g["config"]["model"] == "llama2-7b"]
    rows = {r["label"]: r for r in group["rows"]}
    # n2 was measured in the sweep run (900) and in a 2-node run of its own (950): median 925 over n1's 1000
    assert rows["n2"]["tokens_per_s_per_gpu"] == {"median": 925.0, "min": 900.0, "max": 950.0, "n": 2}
    assert rows["n2"]["efficiency"] == pytest.approx(0.925)
    assert rows["n2"]["runs"] == ["20261129-031500-n1-2-4", "20261129-050000-n2"]
    assert "| n2 | 925 (900 to 950, 2 runs) | 92.50 % |" in text


def test_gpu_sweep_stays_one_configuration_against_one_gpu(written):
    data, text, _json = written
    (group,) = [g for g in data["sft"] if g["config"]["model"] == "llama-1b"]
    rows = {r["label"]: r for r in group["rows"]}
    assert group["config"]["gpus_per_node"] == 2 and set(rows) == {"n1-g1", "n1"}
    assert rows["n1"]["efficiency_gpus"] == pytest.approx(77256.0 / 77920.0, rel=1e-3)
    assert "(99.15 % against 1 GPU)" in text


def test_targets_and_one_verdict_over_the_campaign(written):
    data, text, as_json = written
    targets = {t["name"]: t for t in data["targets"]}
    assert targets["scaling_2_nodes"]["measured"] == 92.5 and targets["scaling_2_nodes"]["pass"] is False
    assert targets["scaling_8_nodes"]["pass"] is None
    assert "cannot be met" in targets["bus_bandwidth"]["note"] and targets["bus_bandwidth"]["pass"] is False
    assert data["verdict"]["verdict"] == "FAIL"
    assert text.splitlines()[2].startswith("**FAIL**: 3 of 6 targets passed; failed: scaling_2_nodes, bus_bandwidth")
    assert as_json["verdict"] == data["verdict"]


def test_one_rank_collectives_are_not_bandwidths(written):
    data, _text, _json = written
    assert not [c for c in data["collectives"] if c["label"] == "n1-g1"]


def test_links_lead_to_each_runs_report(written):
    _data, text, _json = written
    assert "[report.md](../results/20261129-050000-n2/report.md)" in text


def test_a_folder_that_is_not_there_is_named(tmp_path):
    with pytest.raises(report.ReportError, match=r"runs='.*nothing' is not a directory"):
        campaign.build_campaign(str(tmp_path / "nothing"))
