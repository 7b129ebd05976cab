"""Module branches for inputs and programs that fail: each ends the task with a message naming the input or
the program, or records the program's failure as absent (never as a measured zero)."""

import os

from ansible_collections.spectrumx.h200_benchmark.plugins.modules import nccl_tests, node_facts
from ansible_collections.spectrumx.h200_benchmark.plugins.modules import roce_counters as roce_module
from module_harness import run_module

SYSFS = os.path.join(os.path.dirname(__file__), "..", "..", "data", "sysfs")


def test_node_facts_refuses_negative_counts(monkeypatch):
    failed, result = run_module(monkeypatch, node_facts.main, {"expected_gpus": -1})
    assert failed and result["msg"] == "expected_gpus must be 0 or more, got -1"
    failed, result = run_module(monkeypatch, node_facts.main, {"min_free_gb": -5})
    assert failed and result["msg"] == "min_free_gb must be 0 or more, got -5.0"


def test_roce_counters_records_a_failing_ethtool_as_absent_and_refuses_a_bad_before(monkeypatch):
    monkeypatch.setattr(roce_module.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)

    def ethtool_test_double(self, argv, **kwargs):
        # what ethtool -S prints for a device without statistics
        assert argv == ["/usr/sbin/ethtool", "-S", "eth9"], argv
        return 94, b"", b"no stats available\n"

    monkeypatch.setattr(roce_module.AnsibleModule, "run_command", ethtool_test_double)
    args = {"sysfs_root": os.path.join(SYSFS, "empty"), "interfaces": ["eth9"]}
    failed, result = run_module(monkeypatch, roce_module.main, args)
    assert not failed and {"what": "ethtool/eth9", "reason": "no stats available"} in result["absent"]
    assert result["readings"] == {}
    port = {"sysfs_root": os.path.join(SYSFS, "connectx7_before"), "interfaces": []}
    failed, result = run_module(monkeypatch, roce_module.main, port)
    name = sorted(result["readings"])[0]
    failed, result = run_module(monkeypatch, roce_module.main, dict(port, before={name: "many"}))
    assert failed and result["msg"] == (
        "before: counter %s: before value must be a non-negative integer, got 'many'" % name)


def test_nccl_tests_names_a_binary_that_cannot_be_run(monkeypatch, tmp_path):
    failed, result = run_module(monkeypatch, nccl_tests.main,
                                {"binary": str(tmp_path / "no_such_perf"), "output_path": str(tmp_path / "x.log")})
    assert failed and result["msg"].startswith("cannot run %s: " % (tmp_path / "no_such_perf"))
