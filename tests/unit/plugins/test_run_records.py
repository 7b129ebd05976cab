"""Filters for JSON lines cut off mid-write and for values that become NAME=VALUE lines of generated files."""

from ansible_collections.spectrumx.h200_benchmark.plugins.filter import run_records as rr

PHASES = '{"phase": "preflight", "status": "ok"}\n[1]\n\n{"phase": "sft", "status": "failed"}\n{"phase": "sft", "sta'


def test_json_records_leave_out_cut_and_foreign_lines():
    assert [r["phase"] for r in rr.json_records(PHASES)] == ["preflight", "sft"]
    assert rr.json_records("") == [] and rr.json_records(None) == []


def test_last_json_record_of_a_file_being_written():
    metrics = '{"step": 3, "loss": 2.5}\n{"step": 4, "lo'
    assert rr.last_json_record(metrics) == {"step": 3, "loss": 2.5}
    assert rr.last_json_record('{"step": ') == {}


def test_json_object_of_a_cut_or_foreign_file_is_empty():
    assert rr.json_object('{"status": "ok"}') == {"status": "ok"}
    assert rr.json_object('{"status": "o') == {} and rr.json_object("[1]") == {} and rr.json_object(None) == {}


def test_setting_errors_name_the_variable_and_the_item():
    assert rr.setting_errors({"NCCL_DEBUG": "WARN", "NCCL_IB_HCA": "mlx5_0:1,mlx5_1:1"}, "h200_nccl_env") == ""
    assert rr.setting_errors({}, "x") == "" and rr.setting_errors(None, "x") == ""
    message = rr.setting_errors({"NCCL_DEBUG": "WARN\nNCCL_NET_PLUGIN=evil"}, "roce_qos_nccl_extra_env")
    assert message.startswith("roce_qos_nccl_extra_env is not accepted") and "NCCL_DEBUG" in message
    assert "newline" in message
    assert "name 'A=B'" in rr.setting_errors({"A=B": "1"}, "h200_nccl_env")
    assert "name '1X'" in rr.setting_errors({"1X": "1"}, "h200_nccl_env")
    assert "control character" in rr.setting_errors({"X": "a\tb"}, "h200_nccl_env")
    assert "must be a mapping" in rr.setting_errors(["X=1"], "h200_nccl_env")
