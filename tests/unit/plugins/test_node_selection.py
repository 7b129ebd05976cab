"""Node selection from the alias map: accepted and rejected values of ``nodes``."""

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import node_selection as ns

REAL_MAP = {f"node00{i}": f"hgx-000{i}" for i in range(1, 8)} | {"node008": "hgx-0009"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("8", [8]), (8, [8]), ("1", [1]), ("1,2,4,8", [1, 2, 4, 8]), (" 2 , 4 ", [2, 4]), ([1, 2], [1, 2])],
)
def test_accepted_values(value, expected):
    assert ns.parse_node_counts(value, 8) == expected


@pytest.mark.parametrize(
    "value", ["0", "-1", "9", "abc", "2.5", "", "2;touch /tmp/x", "4,2", "2,2", "1,,2", True, None, 2.0, "08x"]
)
def test_rejected_values_name_nodes_value_and_range(value):
    with pytest.raises(ns.NodeSelectionError) as err:
        ns.parse_node_counts(value, 8)
    message = str(err.value)
    assert message.startswith("nodes=%r is not accepted" % (value,))
    assert "from 1 to 8" in message


def test_node008_is_hgx_0009():
    assert ns.select_hosts(REAL_MAP, 8)[-1] == "hgx-0009"
    assert ns.select_hosts(REAL_MAP, 3) == ["hgx-0001", "hgx-0002", "hgx-0003"]
    assert ns.alias_of(REAL_MAP, "hgx-0009") == "node008"


def test_alias_order_is_by_alias_not_by_insertion():
    shuffled = dict(reversed(list(REAL_MAP.items())))
    assert ns.select_hosts(shuffled, 2) == ["hgx-0001", "hgx-0002"]


def test_derived_lists():
    hosts = ns.select_hosts(REAL_MAP, 2)
    assert ns.deepspeed_hostfile(hosts, 8) == "hgx-0001 slots=8\nhgx-0002 slots=8\n"
    assert ns.slurm_nodelist(hosts) == "hgx-0001,hgx-0002"
    addresses = {h: "10.2.201.%s" % h[-1] for h in REAL_MAP.values()}
    lines = ns.etc_hosts_lines(REAL_MAP, addresses)
    assert lines[0] == "10.2.201.1 hgx-0001 node001" and lines[-1] == "10.2.201.9 hgx-0009 node008"
    assert len(lines) == 8


def test_etc_hosts_lines_refuse_a_missing_address_or_a_bad_name_before_writing_anything():
    with pytest.raises(ns.NodeSelectionError) as err:
        ns.etc_hosts_lines(REAL_MAP, {"hgx-0009": "10.2.201.9", "hgx-0001": "10.2.201.1"})
    assert "hgx-0002 (node002) has no IP address: got None" in str(err.value)
    assert "set node_aliases_addresses (host: address) or each host's ansible_host" in str(err.value)
    with pytest.raises(ns.NodeSelectionError, match=r"hgx-0001 \(node001\) has no IP address: got 'hgx-0001\.example'"):
        ns.etc_hosts_lines({"node001": "hgx-0001"}, {"hgx-0001": "hgx-0001.example"})
    with pytest.raises(ns.NodeSelectionError, match="'node 1' is not a host name"):
        ns.etc_hosts_lines({"node 1": "hgx-0001"}, {"hgx-0001": "10.0.0.1"})


def test_empty_alias_map_is_rejected_without_inventory_hosts():
    with pytest.raises(ns.NodeSelectionError, match="h200_node_aliases"):
        ns.select_hosts({}, 1)
    with pytest.raises(ns.NodeSelectionError, match="h200_node_aliases"):
        ns.select_hosts({}, 1, [])


def test_no_alias_map_selects_the_gpu_group_in_inventory_order():
    inventory = ["gpu-b", "gpu-a", "gpu-c"]  # not sorted: inventory order is kept
    assert ns.select_hosts({}, 2, inventory) == ["gpu-b", "gpu-a"]
    assert ns.parse_node_counts("1,3", len(ns.ordered_aliases({}, inventory))) == [1, 3]
    with pytest.raises(ns.NodeSelectionError, match="from 1 to 3"):
        ns.select_hosts({}, 4, inventory)


def test_inventory_without_some_mapped_hosts_limits_the_range():
    one_host = ["hgx-0001"]
    assert ns.select_hosts(REAL_MAP, 1, one_host) == ["hgx-0001"]
    with pytest.raises(ns.NodeSelectionError, match="from 1 to 1") as err:
        ns.parse_node_counts("2", len(ns.ordered_aliases(REAL_MAP, one_host)))
    assert "e.g. nodes=1" in str(err.value)
    with pytest.raises(ns.NodeSelectionError, match="gpu_nodes"):
        ns.ordered_aliases(REAL_MAP, ["other-host"])


def test_sweep_example_in_the_message_fits_the_range():
    with pytest.raises(ns.NodeSelectionError, match=r"e\.g\. nodes=1,2,4,8$"):
        ns.parse_node_counts("0", 8)
    with pytest.raises(ns.NodeSelectionError, match=r"e\.g\. nodes=1,2,4,6$"):
        ns.parse_node_counts("0", 6)


@pytest.mark.parametrize(("value", "expected"), [("1,2", [1, 2]), ("2", [2]), (1, [1]), ("1,2,4,8", [1, 2, 4, 8])])
def test_gpu_counts_accepted(value, expected):
    assert ns.parse_gpu_counts(value, 8) == expected


@pytest.mark.parametrize("value", ["0", "9", "2,1", "1,1", "", "1.5", "1;touch /tmp/x", "9" * 5000, True, None])
def test_gpu_counts_rejected_name_gpus_and_the_range(value):
    with pytest.raises(ns.NodeSelectionError) as err:
        ns.parse_gpu_counts(value, 8)
    message = str(err.value)
    assert message.startswith("gpus=") and "is not accepted" in message and "from 1 to 8" in message
    assert "h200_gpus_per_node" in message and "gpus=1,2,4,8" in message


def test_gpu_counts_need_gpus_or_ranks_on_the_node():
    with pytest.raises(ns.NodeSelectionError, match="from 1 to 0"):
        ns.parse_gpu_counts("1", 0)


def test_labels_round_trip():
    assert ns.config_label(2) == "n2" and ns.config_label(1, 2, 8) == "n1-g2" and ns.config_label(1, 8, 8) == "n1"
    assert ns.parse_config_label("n1-g2") == (1, 2, None)
    assert ns.parse_config_label("n2-ring") == (2, None, "ring")
    assert ns.parse_config_label("n8") == (8, None, None)
    assert ns.parse_config_label("weak") is None and ns.parse_config_label("n1-2") is None


def test_sweep_configs_gpu_subsets_first_and_the_full_node_once():
    configs = ns.sweep_configs([1, 2], [1, 2, 4, 8], gpus_per_node=8, ranks_per_node=8)
    assert [(c["label"], c["nodes"], c["gpus"], c["ranks_per_node"], c["sweep"]) for c in configs] == [
        ("n1-g1", 1, 1, 1, "gpus"), ("n1-g2", 1, 2, 2, "gpus"), ("n1-g4", 1, 4, 4, "gpus"),
        ("n1", 1, 8, 8, "nodes"), ("n2", 2, 8, 8, "nodes")]
    # without 1 in the node sweep the whole node is measured as the GPU sweep's last point
    configs = ns.sweep_configs([2], [1, 2], gpus_per_node=2, ranks_per_node=2)
    assert [(c["label"], c["sweep"]) for c in configs] == [("n1-g1", "gpus"), ("n1", "gpus"), ("n2", "nodes")]
    # no GPU sweep: the node counts as before
    assert [c["label"] for c in ns.sweep_configs([1, 2, 4], [], 8, 8)] == ["n1", "n2", "n4"]


def test_sweep_configs_on_cpu_count_ranks():
    configs = ns.sweep_configs([1], [1, 2], gpus_per_node=0, ranks_per_node=2)
    assert [(c["label"], c["gpus"], c["ranks_per_node"]) for c in configs] == [("n1-g1", 0, 1), ("n1", 0, 2)]


def test_a_very_long_number_gets_the_usual_message_not_a_digit_limit_error():
    with pytest.raises(ns.NodeSelectionError, match=r"^nodes='9999.*' is not accepted: give a whole number from 1"):
        ns.parse_node_counts("9" * 5000, 8)
