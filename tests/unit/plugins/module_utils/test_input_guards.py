"""The refusals of module_utils functions that the roles' own checks normally keep bad values away from: each
names the value and what is accepted, and the ones that return None say nothing was measured."""

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics, run_dir, scaling_model
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_counters as rc
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import telemetry as tm
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report


def test_line_rate_that_is_not_positive_gives_no_fraction():
    assert metrics.line_rate_fraction(96.0, 0) is None and metrics.line_rate_fraction(96.0, -800) is None


def test_scaling_model_refuses_what_it_cannot_model():
    with pytest.raises(scaling_model.ScalingModelError, match="no measured time for all_reduce"):
        scaling_model.call_time_s([(0, 5.0), (1024, None)], 4096, "all_reduce", 16)
    with pytest.raises(scaling_model.ScalingModelError, match="need the baseline step time and work ratio > 0"):
        scaling_model.predict(None, 0.1, 0.2, 0.5)
    with pytest.raises(scaling_model.ScalingModelError, match=r"work ratio > 0, got 1\.0, 0"):
        scaling_model.predict(1.0, 0.1, 0.2, 0.5, work_ratio=0)


def test_telemetry_reader_refuses_what_is_not_text():
    with pytest.raises(tm.TelemetryError, match=r"t\.jsonl: telemetry samples must be text, got int"):
        tm.read_samples(7, "t.jsonl")
    # blank lines between records are not damage
    assert tm.read_samples('{"record": "start"}\n\n  \n{"record": "stop"}\n', "t.jsonl")["records"] == [
        {"record": "start"}, {"record": "stop"}]


def test_ethtool_patterns_must_be_a_list_of_strings():
    with pytest.raises(rc.CounterError, match="ethtool_patterns must be a list of strings, got 'pause'"):
        rc.select_ethtool({"rx_pause": 1}, "eth2", "pause")
    with pytest.raises(rc.CounterError, match=r"got \['pause', 3\]"):
        rc.select_ethtool({"rx_pause": 1}, "eth2", ["pause", 3])


def test_a_record_kind_without_a_path_is_refused():
    with pytest.raises(run_dir.RunRecordError, match="record 'summary' has no path"):
        run_dir.path_of("/tmp/run", "summary", {})


def test_targets_are_checked_by_type():
    with pytest.raises(report.ReportError, match=r"h200_targets\.scaling_pct must map node count to percent"):
        report.normalise_targets({"scaling_pct": 95})
    with pytest.raises(report.ReportError, match=r"h200_targets\.gpu_util_pct must be a number, got True"):
        report.normalise_targets({"gpu_util_pct": True})
