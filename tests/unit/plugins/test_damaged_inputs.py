"""Damaged and hostile inputs (issue 16): one test per defect of the nccl-tests, telemetry and counter readers.

Each test damages a real recorded file (tests/unit/data/) the way it happens: bytes that are not UTF-8, a
line cut off by a kill, one result table per task of an nccl-tests built without MPI, fewer ranks than
launched, a negative #wrong, NaN. The reader must survive, name the file, and say what was wrong.
"""

import json
import os
import shutil
import sys

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import nccl_output as no
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_counters as rc
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import telemetry as tm
from ansible_collections.spectrumx.h200_benchmark.plugins.modules import gpu_telemetry, nccl_tests
from ansible_collections.spectrumx.h200_benchmark.plugins.modules import roce_counters as roce_module
from doubles import samples_of, wait_for_records
from module_harness import run_module
from test_modules_run import SAMPLER, _nvidia_smi_test_double

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
NCCL = os.path.join(DATA, "nccl")
NVML = os.path.join(DATA, "nvml")
SYSFS = os.path.join(DATA, "sysfs")


def read(directory, name):
    with open(os.path.join(directory, name), "rb") as handle:
        return handle.read()


def strict_json_only(text):
    """json.loads that refuses NaN and Infinity, as a strict parser does."""

    def refuse(constant):
        raise ValueError("not strict JSON: %s" % constant)

    return json.loads(text, parse_constant=refuse)


def two_tasks_without_mpi():
    """What srun --label prints for 2 tasks of an nccl-tests built without MPI: each task runs a test of its own
    (one rank, Rank 0) and prints a whole table; srun interleaves their lines."""
    one = read(NCCL, "h200_all_reduce_check.log").decode().splitlines()
    other = [line.replace(" on         vm ", " on        vm2 ").replace("  5.22 ", "  9.99 ") for line in one]
    lines = []
    for first, second in zip(one, other, strict=True):
        lines += [" 0: " + first, " 1: " + second]
    return "\n".join(lines) + "\n"


# --- nccl-tests ----------------------------------------------------------------------------------
def test_nccl_text_bytes_not_utf8_are_replaced_and_the_file_named():
    data = read(NCCL, "h200_all_reduce_check.log").replace(b"NVIDIA H200", b"NVIDIA H200\xff\xfe", 1)
    result = no.parse_nccl_text(data, "/var/tmp/all_reduce.log")
    assert result["complete"] is True and len(result["rows"]) == 13  # the damage is outside the numbers
    warning = "/var/tmp/all_reduce.log: bytes that are not UTF-8 replaced (the first at byte 346)"
    assert result["input_warnings"] == [warning]


def test_nccl_text_already_replaced_is_flagged():
    text = read(NCCL, "h200_all_reduce_check.log").decode().replace("NVIDIA H200", "NVIDIA H200\ufffd", 1)
    assert "U+FFFD" in no.parse_nccl_text(text, "x.log")["input_warnings"][0]


def test_nccl_json_bytes_not_utf8_are_replaced_and_the_file_named():
    data = read(NCCL, "h200_all_reduce_nocheck.json").replace(b'"hostname":"vm"', b'"hostname":"vm\xff"', 1)
    result = no.parse_nccl_json(data, "/var/tmp/all_reduce.json")
    assert result["complete"] is True and result["hosts"] == ["vm\ufffd"]
    assert result["input_warnings"][0].startswith("/var/tmp/all_reduce.json: bytes that are not UTF-8 replaced")


def test_nccl_errors_name_the_file(monkeypatch, tmp_path):
    with pytest.raises(no.NcclOutputError) as exc:
        no.parse_nccl_json("[1, 2]", "/var/tmp/all_reduce.json")
    assert str(exc.value) == "/var/tmp/all_reduce.json: nccl-tests JSON output must be an object, got list"
    with pytest.raises(no.NcclOutputError, match=r"^/var/tmp/all_reduce\.log: nccl-tests output must be text"):
        no.parse_nccl_text(None, "/var/tmp/all_reduce.log")
    cut = no.parse_nccl_json(read(NCCL, "h200_broadcast_all.json")[:5000], "/var/tmp/broadcast.json")
    assert cut["complete"] is False and cut["problems"][0].startswith("/var/tmp/broadcast.json: nccl-tests JSON output")
    assert cut["failures"] == cut["problems"]
    not_object = tmp_path / "array.json"
    not_object.write_text("[]")
    failed, result = run_module(monkeypatch, nccl_tests.main, {"json_path": str(not_object)})
    assert failed and result["msg"] == "cannot parse json_path: %s: %s" % (
        not_object,
        "nccl-tests JSON output must be an object, got list",
    )


def test_nccl_several_result_tables_are_incomplete_not_merged():
    result = no.parse_nccl_text(two_tasks_without_mpi())
    assert result["complete"] is False and result["avg_busbw_gbps"] == 0.0
    assert result["problems"] == [
        "2 result tables in one output, one per task (nccl-tests built without MPI runs every task as a test of "
        "its own): only the first table's rows are kept"
    ]
    # the first task's rows only, not 26 rows of two runs
    assert [r["out_of_place"]["time_us"] for r in result["rows"]][:2] == [5.22, 5.02] and len(result["rows"]) == 13
    assert result["ranks"] == 1 and result["hosts"] == ["vm", "vm2"]


def test_nccl_tables_one_after_the_other_are_incomplete():
    one = read(NCCL, "h200_all_reduce_check.log").decode()
    result = no.parse_nccl_text(one + one)
    assert result["complete"] is False and "2 result tables" in result["problems"][0] and len(result["rows"]) == 13


def test_nccl_expected_ranks_differ(monkeypatch):
    args = {"log_path": os.path.join(NCCL, "a3mega_h100_2node_group_column.log")}
    failed, result = run_module(monkeypatch, nccl_tests.main, dict(args, expected_ranks=16))
    assert not failed and result["complete"] is True and result["problems"] == []
    failed, result = run_module(monkeypatch, nccl_tests.main, dict(args, expected_ranks=32))
    assert not failed and result["complete"] is False
    assert result["problems"] == ["32 ranks expected, 16 found in the output's '# Rank' lines (or the JSON's devices)"]
    failed, result = run_module(monkeypatch, nccl_tests.main, dict(args, expected_ranks=0))
    assert failed and "expected_ranks must be a positive number" in result["msg"]


def test_nccl_run_with_other_ranks_than_expected_fails(monkeypatch, tmp_path):
    failed, result = run_module(
        monkeypatch,
        nccl_tests.main,
        {
            "binary": "cat",
            "args": [os.path.join(NCCL, "h200_all_reduce_check.log")],
            "output_path": str(tmp_path / "a.log"),
            "expected_ranks": 2,
        },
    )
    assert failed and result["complete"] is False and result["rc"] == 0
    assert "2 ranks expected, 1 found" in result["msg"] and str(tmp_path / "a.log") in result["msg"]


def test_nccl_run_of_tasks_without_mpi_fails_with_the_reason(monkeypatch, tmp_path):
    output = tmp_path / "srun_output.txt"
    output.write_text(two_tasks_without_mpi())
    failed, result = run_module(
        monkeypatch, nccl_tests.main, {"binary": "cat", "args": [str(output)], "output_path": str(tmp_path / "a.log")}
    )
    assert failed and result["rc"] == 0 and "2 result tables in one output" in result["msg"]


def test_nccl_negative_wrong_is_a_problem_and_not_subtracted():
    # 1 MiB row of the GH200 output: 96 wrong out of place, 32 in place; a damaged in-place cell reads -96
    log = read(NCCL, "issue369_gh200_v2.17.8_wrong_failed.log").decode()
    row = next(line for line in log.splitlines() if line.strip().startswith("1048576 "))
    damaged = row[: row.rindex("32")] + "-96" + row[row.rindex("32") + 2 :]
    result = no.parse_nccl_text(log.replace(row, damaged))
    assert result["wrong_total"] == 96  # not 96 + (-96) = 0, which would read as "nothing wrong"
    assert result["complete"] is False
    assert result["problems"] == ["the in-place #wrong of the 1048576-byte row is -96, not a count of wrong elements"]
    assert next(r for r in result["rows"] if r["size_bytes"] == 1048576)["in_place"]["wrong"] is None


def test_nccl_json_negative_wrong_is_a_problem():
    doc = json.loads(read(NCCL, "h200_broadcast_all.json"))
    doc["results"][0]["out_of_place"]["nwrong"] = -5
    result = no.parse_nccl_json(json.dumps(doc))
    assert result["wrong_total"] == 0 and result["complete"] is False
    assert result["problems"] == ["the out-of-place #wrong of the 1024-byte row is -5, not a count of wrong elements"]


def test_nccl_exit_0_without_rows_gives_the_reason(monkeypatch, tmp_path):
    crash = os.path.join(NCCL, "issue369_gh200_v2.17.8_crash_before_table.log")
    failed, result = run_module(
        monkeypatch, nccl_tests.main, {"binary": "cat", "args": [crash], "output_path": str(tmp_path / "c.log")}
    )
    assert failed and result["rc"] == 0 and result["rows"] == []
    assert "no result table (no '#  size  count  type ...' header line): nccl-tests printed no results" in result["msg"]
    assert "first failure line: " in result["msg"] and "CUDA-capable device(s) is/are busy" in result["msg"]
    failed, result = run_module(
        monkeypatch, nccl_tests.main, {"binary": "true", "output_path": str(tmp_path / "empty.log")}
    )
    assert failed and "no result table" in result["msg"] and "exit status" not in result["msg"]


def test_nccl_numbers_are_finite_or_none():
    log = read(NCCL, "h200_all_reduce_check.log").decode()
    log = log.replace("(us)  (GB/s)  (GB/s)             (us)", "(ms)  (GB/s)  (GB/s)             (ms)")
    log = log.replace("     5.22    0.00", "   1e308     inf", 1)
    log = log.replace("Avg bus bandwidth    : 0", "Avg bus bandwidth : nan")
    result = no.parse_nccl_text(log)
    assert result["rows"][0]["out_of_place"]["time_us"] is None  # 1e308 ms overflows to inf microseconds
    assert result["rows"][0]["out_of_place"]["algbw_gbps"] is None and result["avg_busbw_gbps"] is None
    strict_json_only(json.dumps(result))
    doc = read(NCCL, "h200_broadcast_all.json").decode()
    doc = doc.replace('"bus_bw":', '"bus_bw":NaN, "x":', 1).replace('"nccl_version":', '"nccl_version":1e999, "y":', 1)
    result = no.parse_nccl_json(doc.replace('"alg_bw":', '"alg_bw":1e999, "z":', 1))
    first = result["rows"][0]["out_of_place"]
    assert first["busbw_gbps"] is None and first["algbw_gbps"] is None
    strict_json_only(json.dumps(result))


# --- telemetry -----------------------------------------------------------------------------------
def test_telemetry_bytes_not_utf8_are_replaced_and_the_file_named():
    data = read(NVML, "h200_nvml_matmul.jsonl").replace(b"NVIDIA H200", b"NVIDIA H200\xff", 1)
    loaded = tm.read_samples(data, "/var/tmp/t.jsonl")
    assert len(loaded["records"]) == 29 and loaded["skipped_lines"] == 0
    assert loaded["input_warnings"][0].startswith("/var/tmp/t.jsonl: bytes that are not UTF-8 replaced")


def test_telemetry_cut_last_line_is_skipped_counted_and_reported():
    data = read(NVML, "h200_nvml_sigterm.jsonl")
    summary = tm.summarize_samples(data[: len(data) - 40], "/var/tmp/t.jsonl")  # killed while writing "stop"
    assert summary["skipped_lines"] == 1 and summary["stopped_by"] is None
    assert summary["input_warnings"][0].startswith("/var/tmp/t.jsonl: last line (")
    assert "cut off, skipped" in summary["input_warnings"][0]


def test_telemetry_bad_middle_line_names_the_file():
    with pytest.raises(tm.TelemetryError) as exc:
        tm.read_samples(b'{"record": "start"}\nnot json\n{"record": "stop"}\n', "/var/tmp/t.jsonl")
    assert str(exc.value).startswith("/var/tmp/t.jsonl: line 2 of the telemetry samples is not JSON")


def test_telemetry_nan_infinity_and_wrong_types_give_strict_json():
    lines = read(NVML, "h200_nvml_matmul.jsonl").decode().splitlines()
    lines[1] = lines[1].replace('"power_w": 76.1', '"power_w": NaN').replace('"util_pct": 0', '"util_pct": 1e999')
    lines[2] = lines[2].replace('"t": ', '"t": "late", "was": ').replace('"throttle": ["gpu_idle"]', '"throttle": 7')
    lines[3] = lines[3].replace('"gpus": [', '"gpus": ["not a gpu", ')
    summary = tm.summarize_samples("\n".join(lines) + "\n", "t.jsonl")
    strict_json_only(strict_json.dumps(summary))
    assert summary["gpus"]["0"]["power_w"]["n"] == 26 and summary["gpus"]["0"]["util_pct"]["n"] == 26
    # the sum (and the middle of two) overflows to inf: null, not inf
    assert tm.stats([1e308, 1e308]) == {"mean": None, "median": None, "max": 1e308, "n": 2}
    assert strict_json.dumps({"x": float("nan")}) == '{"x": null}'


def test_gpu_telemetry_stop_survives_a_damaged_samples_file(monkeypatch, tmp_path):
    out = tmp_path / "t.jsonl"
    data = read(NVML, "h200_nvml_sigterm.jsonl").replace(b"NVIDIA H200", b"NVIDIA \xff", 1)
    out.write_bytes(data[: len(data) - 40])
    failed, result = run_module(monkeypatch, gpu_telemetry.main, {"state": "stopped", "output_path": str(out)})
    assert not failed and result["summary"]["skipped_lines"] == 1
    assert [w.split(":")[0] for w in result["summary"]["input_warnings"]] == [str(out), str(out)]


def test_gpu_telemetry_unwritable_summary_path_fails_after_stopping_the_sampler(monkeypatch, tmp_path):
    _nvidia_smi_test_double(tmp_path, monkeypatch)
    out = str(tmp_path / "telemetry.jsonl")
    start = {"state": "started", "output_path": out, "sampler": SAMPLER, "python": sys.executable, "interval": 0.2}
    failed, started = run_module(monkeypatch, gpu_telemetry.main, start)
    assert not failed and started["running"] is True
    wait_for_records(out, lambda records: len(samples_of(records)) >= 1)
    summary_path = tmp_path / "a_directory"
    summary_path.mkdir()
    failed, result = run_module(
        monkeypatch,
        gpu_telemetry.main,
        {"state": "stopped", "output_path": out, "stop_timeout": 10, "summary_path": str(summary_path)},
    )
    assert failed and result["msg"].startswith("cannot write summary_path %s: " % summary_path)
    assert "the sampler is stopped" in result["msg"] and result["running"] is False
    assert gpu_telemetry.sampler_pid(out) is None and not os.path.exists("/proc/%d" % started["pid"])
    assert result["summary"]["samples"] >= 1  # the summary is not lost with the file


def test_gpu_telemetry_summary_file_is_strict_json(monkeypatch, tmp_path):
    out = tmp_path / "t.jsonl"
    out.write_text(read(NVML, "h200_nvidia_smi.jsonl").decode().replace('"power_w": 123.35', '"power_w": Infinity'))
    summary_path = tmp_path / "summary.json"
    args = {"state": "stopped", "output_path": str(out), "summary_path": str(summary_path)}
    failed, result = run_module(monkeypatch, gpu_telemetry.main, args)
    assert not failed and strict_json_only(summary_path.read_text()) == result["summary"]


# --- RoCE counters -------------------------------------------------------------------------------
def _tree(tmp_path):
    root = tmp_path / "sysfs"
    shutil.copytree(os.path.join(SYSFS, "connectx7_before"), str(root))
    return root, root / "sys" / "class" / "infiniband" / "mlx5_0" / "ports" / "1"


def test_sysfs_bytes_not_utf8_do_not_crash_and_are_named(monkeypatch, tmp_path):
    root, port = _tree(tmp_path)
    (port / "hw_counters" / "np_cnp_sent").write_bytes(b"10\xff\n")
    (port / "state").write_bytes(b"4: ACTIVE\xc3\n")
    failed, result = run_module(monkeypatch, roce_module.main, {"sysfs_root": str(root)})
    assert not failed and "mlx5_0/1/hw_counters/np_cnp_sent" not in result["readings"]
    assert {
        "what": "mlx5_0/1/hw_counters/np_cnp_sent",
        "reason": "%s holds '10\ufffd', not a counter value" % (port / "hw_counters" / "np_cnp_sent"),
    } in result["absent"]
    assert result["ports"][0]["state"] == "4: ACTIVE\ufffd"
    assert sorted(w.split(":")[0] for w in result["input_warnings"]) == sorted(
        [str(port / "hw_counters" / "np_cnp_sent"), str(port / "state")]
    )
    json.dumps(result, allow_nan=False)


def test_sysfs_counter_not_a_count_is_absent_not_dropped(tmp_path):
    root, port = _tree(tmp_path)
    (port / "counters" / "link_downed").write_text("-3\n")
    (port / "counters" / "symbol_error").write_text("")  # cut off while written
    snapshot = rc.read_sysfs(str(root))
    reasons = dict((a["what"], a["reason"]) for a in snapshot["absent"])
    assert reasons["mlx5_0/1/counters/link_downed"].endswith("holds '-3', not a counter value")
    assert reasons["mlx5_0/1/counters/symbol_error"].endswith("holds '', not a counter value")
    assert "mlx5_0/1/counters/link_downed" not in snapshot["values"]


def test_sysfs_entry_name_not_utf8_is_left_out_and_named(tmp_path):
    root, port = _tree(tmp_path)
    with open(os.path.join(str(port / "hw_counters").encode(), b"np_cnp_\xffsent"), "w") as handle:
        handle.write("7\n")
    snapshot = rc.read_sysfs(str(root))
    assert snapshot["input_warnings"] == [
        "%s: entry 'np_cnp_\ufffdsent' is not UTF-8, left out" % (port / "hw_counters")
    ]
    assert not [k for k in snapshot["values"] if "np_cnp_" in k and not k.endswith("np_cnp_sent")]
    json.dumps(snapshot, allow_nan=False).encode("utf-8")


def test_ethtool_output_not_utf8_is_replaced_and_named(monkeypatch):
    output = read(SYSFS, "ethtool_S_eth2_before.txt").replace(b"rx_packets", b"rx_\xffpackets", 1)
    monkeypatch.setattr(roce_module.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)

    def ethtool_test_double(self, argv, **kwargs):
        # answers the one question recorded (ethtool -S eth2), nothing else
        assert argv == ["/usr/sbin/ethtool", "-S", "eth2"], argv
        return 0, output, b""

    monkeypatch.setattr(roce_module.AnsibleModule, "run_command", ethtool_test_double)
    failed, result = run_module(
        monkeypatch, roce_module.main, {"sysfs_root": os.path.join(SYSFS, "empty"), "interfaces": ["eth2"]}
    )
    assert not failed and result["readings"]["ethtool/eth2/rx_prio3_pause"] == 100
    assert result["input_warnings"] == ["ethtool -S eth2: bytes that are not UTF-8 replaced (the first at byte 24)"]


def test_ethtool_negative_value_is_not_a_counter():
    assert rc.parse_ethtool_stats("NIC statistics:\n     rx_prio3_pause: -5\n     tx_prio3_pause: 2\n") == {
        "tx_prio3_pause": 2
    }
