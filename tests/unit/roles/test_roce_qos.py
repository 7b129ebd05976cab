"""roce_qos helpers: mlnx_qos output parsing, PFC vector, traffic class; accepted and rejected input."""

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_qos as rq

# Shape of `mlnx_qos -i eth2` on a ConnectX-7 (MLNX_OFED 24.x) with trust dscp and PFC on priority 3.
CONFIGURED = """DCBX mode: OS controlled
Priority trust state: dscp
dscp2prio mapping:
        prio:0 dscp:07,06,05,04,03,02,01,00,
        prio:3 dscp:31,30,29,28,27,26,25,24,
default priority:
Receive buffer size (bytes): 130944,130944,0,0,0,0,0,0,
Cable len: 7
PFC configuration:
        priority    0   1   2   3   4   5   6   7
        enabled     0   0   0   1   0   0   0   0
        buffer      0   0   0   1   0   0   0   0
tc: 0 ratelimit: unlimited, tsa: vendor
         priority:  1
"""
FACTORY = CONFIGURED.replace("trust state: dscp", "trust state: pcp").replace(
    "enabled     0   0   0   1", "enabled     0   0   0   0"
)


def test_parse_configured_port():
    assert rq.parse_mlnx_qos(CONFIGURED) == {
        "trust": "dscp",
        "dcbx_mode": "OS controlled",
        "pfc_enabled": [0, 0, 0, 1, 0, 0, 0, 0],
    }
    assert rq.qos_mismatches(rq.parse_mlnx_qos(CONFIGURED), 3) == []


def test_factory_port_mismatches_name_both_settings():
    problems = rq.qos_mismatches(rq.parse_mlnx_qos(FACTORY), 3)
    assert problems == [
        "trust is pcp, wanted dscp",
        "PFC enabled [0, 0, 0, 0, 0, 0, 0, 0], wanted [0, 0, 0, 1, 0, 0, 0, 0]",
    ]


def test_pfc_on_other_priority_is_a_mismatch():
    assert rq.qos_mismatches(rq.parse_mlnx_qos(CONFIGURED), 5) == [
        "PFC enabled [0, 0, 0, 1, 0, 0, 0, 0], wanted [0, 0, 0, 0, 0, 1, 0, 0]"
    ]


def test_unrelated_output_is_rejected():
    with pytest.raises(rq.RoceQosError, match="neither"):
        rq.parse_mlnx_qos("mlnx_qos: command not found")


@pytest.mark.parametrize(("dscp", "ecn", "tos"), [(26, True, 106), (26, False, 104), ("24", True, 98), (0, True, 2)])
def test_traffic_class(dscp, ecn, tos):
    assert rq.traffic_class(dscp, ecn) == tos


@pytest.mark.parametrize(("prio", "arg"), [(3, "0,0,0,1,0,0,0,0"), (0, "1,0,0,0,0,0,0,0"), ("7", "0,0,0,0,0,0,0,1")])
def test_pfc_argument(prio, arg):
    assert rq.pfc_argument(prio) == arg


@pytest.mark.parametrize("value", [8, -1, "3;reboot", "", None, True, 2.5, "x"])
def test_bad_priority_names_input_and_range(value):
    with pytest.raises(rq.RoceQosError, match=r"roce_qos_priority=.* is not accepted: an integer from 0 to 7"):
        rq.pfc_vector(value)


@pytest.mark.parametrize("value", [64, -1, "26 ", "a"])
def test_bad_dscp(value):
    if value == "26 ":
        assert rq.traffic_class(value) == 106
        return
    with pytest.raises(rq.RoceQosError, match=r"roce_qos_dscp=.* is not accepted: an integer from 0 to 63"):
        rq.traffic_class(value)


# `ethtool -g eth2` on a ConnectX-7 (ethtool 6.1, Debian 12).
ETHTOOL_G = """Ring parameters for eth2:
Pre-set maximums:
RX:                     8192
RX Mini:                n/a
RX Jumbo:               n/a
TX:                     8192
Current hardware settings:
RX:                     1024
RX Mini:                n/a
RX Jumbo:               n/a
TX:                     1024
RX Buf Len:             n/a
CQE Size:               n/a
TX Push:                off
TCP data split:         n/a
"""


def test_ethtool_rings():
    assert rq.parse_ethtool_rings(ETHTOOL_G) == {
        "maximum": {"rx": 8192, "tx": 8192},
        "current": {"rx": 1024, "tx": 1024},
    }


def test_ethtool_rings_unsupported_is_rejected():
    with pytest.raises(rq.RoceQosError, match="no ring parameters"):
        rq.parse_ethtool_rings("netlink error: Operation not supported")
