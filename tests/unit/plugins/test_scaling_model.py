"""The scaling model (module_utils/scaling_model.py) against hand-computed cases, one per ZeRO stage."""

import math

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import scaling_model as sm

P = 1e9  # parameters: 2 GB of bf16 values; default buckets of 500M elements = 1 GB


def summary(plan):
    return [(e["op"], e["total_bytes"], e["message_bytes"], e["calls"]) for e in plan]


def test_zero0_all_reduces_the_gradients_once_per_step():
    assert summary(sm.collectives_per_step(P, 0, 4)) == [("all_reduce", 2e9, 1e9, 2)]


def test_zero1_reduce_scatter_and_all_gather_once_per_step():
    assert summary(sm.collectives_per_step(P, 1, 4)) == [("reduce_scatter", 2e9, 1e9, 2), ("all_gather", 2e9, 1e9, 2)]


def test_zero2_reduces_every_micro_step():
    assert summary(sm.collectives_per_step(P, 2, 4)) == [("reduce_scatter", 8e9, 1e9, 8), ("all_gather", 2e9, 1e9, 2)]


def test_zero3_gathers_twice_and_reduces_once_per_micro_step():
    plan = sm.collectives_per_step(P, 3, 4, reduce_bucket=5e7, prefetch_bucket=5e7)  # the owners' 13B buckets
    assert summary(plan) == [("all_gather", 16e9, 1e8, 160), ("reduce_scatter", 8e9, 1e8, 80)]


@pytest.mark.parametrize("bad", [(0, 2, 1), (P, 4, 1), (P, 2, 0), (None, 2, 1)])
def test_bad_inputs_are_refused(bad):
    with pytest.raises(sm.ScalingModelError):
        sm.collectives_per_step(*bad)


ROWS = [(8, 10.0), (1e6, 20.0), (1e9, 5000.0)]


def test_call_time_latency_interpolation_and_bandwidth_beyond_the_rows():
    assert sm.call_time_s(ROWS, 4, "all_gather", 2) == 10e-6  # below the smallest size: its time
    assert sm.call_time_s(ROWS, 1e9, "all_gather", 2) == pytest.approx(5e-3)
    mid = math.sqrt(1e6 * 1e9)  # halfway on the log axis: the geometric mean of the two times
    assert sm.call_time_s(ROWS, mid, "all_gather", 2) == pytest.approx(math.sqrt(20.0 * 5000.0) * 1e-6)
    # beyond 1 GB: the bus bandwidth of the largest row (1e9 B / 5 ms x 1/2) carries twice the bytes
    assert sm.call_time_s(ROWS, 2e9, "all_gather", 2) == pytest.approx(10e-3)
    assert sm.call_time_s(ROWS, 2e9, "all_reduce", 4) == pytest.approx(10e-3)  # factor cancels on the same op
    assert sm.call_time_s(ROWS, 1e9, "all_gather", 1) == 0.0  # one rank sends nothing


def test_communication_sums_calls_and_names_missing_measurements():
    plan = sm.collectives_per_step(P, 2, 4)
    total, terms = sm.communication_s(plan, {"reduce_scatter": ROWS, "all_gather": ROWS}, 2)
    assert total == pytest.approx(8 * 5e-3 + 2 * 5e-3) and [t["op"] for t in terms] == ["reduce_scatter", "all_gather"]
    with pytest.raises(sm.ScalingModelError, match="all_gather was not measured at 2 ranks"):
        sm.communication_s(plan, {"reduce_scatter": ROWS}, 2)


def test_predicted_range_without_and_with_overlap():
    low, high = sm.predict(10.0, 1.0, 3.0, overlap=True)
    assert low == pytest.approx(10.0 / 12.0) and high == 1.0  # max(9, 3) = 9 < 10: capped at the baseline
    low, high = sm.predict(10.0, 1.0, 12.0, overlap=True)
    assert (low, high) == (pytest.approx(10.0 / 21.0), pytest.approx(10.0 / 12.0))  # communication-bound
    assert sm.predict(10.0, 1.0, 3.0, overlap=False) == (pytest.approx(10.0 / 12.0),) * 2


def test_dominant_term_and_verdicts():
    terms = [{"op": "all_gather", "why": "parameters", "seconds": 4.0},
             {"op": "reduce_scatter", "why": "gradients", "seconds": 1.0}]
    assert sm.dominant(3.0, terms) == "all_gather (parameters)" and sm.dominant(5.0, terms) == "compute"
    assert sm.verdict(0.90, 0.95, 1.0).startswith("below what the measured collectives allow")
    assert sm.verdict(0.96, 0.95, 1.0) == "as predicted"
    assert sm.verdict(0.99, 0.80, 0.90).startswith("above the predicted range")
    assert sm.verdict(None, 0.8, 0.9) == "not measured"
