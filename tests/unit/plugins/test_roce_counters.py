"""RoCE counters: snapshot of recorded-shape ConnectX-7 trees (tests/unit/data/sysfs/README.md) and diff."""

import os

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_counters as rc
from ansible_collections.spectrumx.h200_benchmark.plugins.modules import roce_counters as module
from module_harness import run_module

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "sysfs")


def ethtool(phase):
    with open(os.path.join(DATA, "ethtool_S_eth2_%s.txt" % phase)) as handle:
        return handle.read()


def test_snapshot_reads_port_and_hw_counters():
    values, ports, absent = rc.snapshot_sysfs(os.path.join(DATA, "connectx7_before"))
    assert absent == []
    assert values["mlx5_0/1/counters/port_xmit_data"] == 1000000
    assert values["mlx5_0/1/hw_counters/np_cnp_sent"] == 10
    assert values["mlx5_1/1/hw_counters/out_of_sequence"] == 3
    assert "mlx5_0/1/hw_counters/lifespan" not in values  # a setting, not a counter
    assert ports[0] == {
        "device": "mlx5_0",
        "port": "1",
        "state": "4: ACTIVE",
        "phys_state": "5: LinkUp",
        "link_layer": "Ethernet",
        "rate": "400 Gb/sec (4X NDR)",
    }


def test_absent_is_not_zero():
    values, ports, absent = rc.snapshot_sysfs(os.path.join(DATA, "empty"))
    assert values == {} and ports == [] and "has no RDMA devices" in absent[0]["reason"]
    values, _ports, absent = rc.snapshot_sysfs(os.path.join(DATA, "no_hw_counters"))
    assert absent == [{"what": "mlx5_0/1/hw_counters", "reason": "directory not present"}]
    change = rc.diff(values, values)
    totals, totals_absent = rc.totals(change["delta"])
    assert totals["tx_bytes"] == 0 and totals["cnp_sent"] is None and totals["pause_frames"] is None
    assert {"cnp_sent", "ecn_marked_packets", "out_of_sequence", "pause_frames"} <= {a["what"] for a in totals_absent}
    assert rc.snapshot_sysfs("/nonexistent-root")[2][0]["reason"].endswith("does not exist")


def test_diff_with_wrap_and_totals():
    before = rc.snapshot_sysfs(os.path.join(DATA, "connectx7_before"))[0]
    after = rc.snapshot_sysfs(os.path.join(DATA, "connectx7_after"))[0]
    before.update(rc.select_ethtool(rc.parse_ethtool_stats(ethtool("before")), "eth2"))
    after.update(rc.select_ethtool(rc.parse_ethtool_stats(ethtool("after")), "eth2"))
    change = rc.diff(before, after)
    assert change["wrapped"] == ["mlx5_0/1/counters/port_xmit_packets"]
    assert change["delta"]["mlx5_0/1/counters/port_xmit_packets"] == 100 + 2**32 - 4000000000
    assert change["reset"] == [] and change["absent"] == []
    totals, absent = rc.totals(change["delta"])
    assert totals["tx_bytes"] == (250000000 + 250000000) * 4  # 4-byte words
    assert totals["cnp_sent"] == 5 + 4 and totals["cnp_handled"] == 2 + 1
    assert totals["ecn_marked_packets"] == 11 + 6 and totals["out_of_sequence"] == 2
    assert totals["pause_frames"] == 60  # rx_prio3_pause 100 -> 160; durations and transitions not counted
    assert absent == []


def test_counter_delta_cases():
    assert rc.counter_delta("a/1/counters/x", 5, 9) == (4, None)
    assert rc.counter_delta("a/1/counters/x", 1000, 10) == (None, "reset")
    assert rc.counter_delta("a/1/counters/x", 2**32 - 10, 5) == (15, "wrapped")
    assert rc.counter_delta("a/1/counters/port_xmit_data", 7, 2**32 - 1) == (None, "saturated")
    with pytest.raises(rc.CounterError, match="before value must be a non-negative integer"):
        rc.counter_delta("x", "12", 3)
    change = rc.diff({"a": 1, "b": 2}, {"b": 1, "c": 3})
    assert change["delta"] == {"b": None} and change["reset"] == ["b"]
    assert [a["what"] for a in change["absent"]] == ["a", "c"]
    with pytest.raises(rc.CounterError, match="before must be"):
        rc.diff(None, {})


def test_module_snapshot_then_delta(monkeypatch):
    outputs = {"before": ethtool("before"), "after": ethtool("after")}
    phase = {"now": "before"}

    def run_command_test_double(self, argv, **kwargs):
        assert argv[1:] == ["-S", "eth2"] and kwargs["environ_update"] == {"LC_ALL": "C"}
        return 0, outputs[phase["now"]], ""

    monkeypatch.setattr(module.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)
    monkeypatch.setattr(module.AnsibleModule, "run_command", run_command_test_double)
    failed, first = run_module(
        monkeypatch,
        module.main,
        {"sysfs_root": os.path.join(DATA, "connectx7_before"), "interfaces": ["eth2"]},
        check_mode=True,
    )
    assert not failed and first["changed"] is False and first["readings"]["ethtool/eth2/rx_prio3_pause"] == 100
    assert "ethtool/eth2/rx_packets" not in first["readings"]  # not a pause/ecn/... counter
    phase["now"] = "after"
    failed, second = run_module(
        monkeypatch,
        module.main,
        {"sysfs_root": os.path.join(DATA, "connectx7_after"), "interfaces": ["eth2"], "before": first["readings"]},
    )
    assert not failed and second["totals"]["pause_frames"] == 60 and second["totals"]["cnp_sent"] == 9
    assert second["wrapped"] == ["mlx5_0/1/counters/port_xmit_packets"]


def test_module_without_ethtool_and_bad_interface(monkeypatch):
    monkeypatch.setattr(module.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    failed, result = run_module(
        monkeypatch, module.main, {"sysfs_root": os.path.join(DATA, "empty"), "interfaces": ["eth2"]}
    )
    assert not failed and {"what": "ethtool/eth2", "reason": "ethtool is not installed"} in result["absent"]
    failed, result = run_module(monkeypatch, module.main, {"interfaces": ["eth2; reboot"]})
    assert failed and "'eth2; reboot'" in result["msg"] and "network interface names" in result["msg"]
