"""RoCE counter deltas across a reset and a saturated 32-bit counter: the delta and the totals are unknown
(null, named in absent), never negative or a wrong number."""

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_counters as rc

SAT = 2 ** 32 - 1
PORT = "mlx5_0/1/counters/"


def test_reset_and_saturation_make_the_delta_and_its_total_unknown():
    before = {PORT + "port_xmit_data": 5000, PORT + "port_rcv_data": SAT - 10}
    after = {PORT + "port_xmit_data": 100, PORT + "port_rcv_data": SAT}
    result = rc.diff(before, after)
    assert result["delta"] == {PORT + "port_xmit_data": None, PORT + "port_rcv_data": None}
    assert result["reset"] == [PORT + "port_xmit_data"] and result["saturated"] == [PORT + "port_rcv_data"]
    totals, absent = rc.totals(result["delta"])
    unknown = {a["what"]: a["reason"] for a in absent}
    for name in ("tx_bytes", "rx_bytes"):
        assert totals[name] is None and unknown[name].startswith("delta unknown (reset or saturated): ")


def test_a_wrapped_32_bit_counter_is_counted_and_ethtool_counters_do_not_saturate():
    assert rc.counter_delta(PORT + "port_xmit_data", SAT - 5, 10) == (16, "wrapped")
    assert rc.counter_delta("ethtool/eth2/rx_bytes", 0, SAT) == (SAT, None)
    assert rc.counter_delta(PORT + "port_xmit_data", 7, 3) == (None, "reset")


def test_a_pause_counter_with_unknown_delta_makes_pause_frames_unknown():
    totals, absent = rc.totals({"ethtool/eth2/rx_pause_ctrl_phy": None, "ethtool/eth2/tx_pause_ctrl_phy": 4})
    assert totals["pause_frames"] is None
    assert {"what": "pause_frames", "reason": "delta unknown for a pause counter"} in absent
