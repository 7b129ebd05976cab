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


def test_sft_progress_line_of_a_poll():
    from ansible_collections.spectrumx.h200_benchmark.plugins.action.sft_wait import progress_line

    metrics = {"step": 3, "tokens_per_s": 26934.9, "tokens_per_s_per_gpu": 13467.4, "loss": 9.8, "step_time_s": 20.0}
    assert progress_line("n2", metrics, 23, False) == (
        "SFT n2: step 3/23, 26,935 tokens/s (13,467 per GPU), loss 9.8, ETA 400 s")
    assert progress_line("n1-g2", {}, 23, False) == "SFT n1-g2: starting (no step finished yet)"
    assert progress_line("n2", dict(metrics, step=23), 23, True).endswith("ETA 0 s, finished")
    assert progress_line("n2", {"step": "x"}, 23, False).startswith("SFT n2: unreadable metrics line")


def test_collective_line_as_a_collective_finishes():
    rows = [{"size_bytes": 8, "out_of_place": {"time_us": 21.34, "busbw_gbps": 0.0}, "in_place": {}},
            {"size_bytes": 8589934592, "out_of_place": {"time_us": 9e4, "busbw_gbps": 92.1}, "in_place": {}}]
    assert rr.collective_line({"rows": rows}, "all_reduce", "n2") == (
        "all_reduce n2: peak busbw 92.1 GB/s (737 Gb/s) at 8,589,934,592 B, 8-byte time 21.3 us")
    assert rr.collective_line({"rows": [], "error": "rc 1"}, "sendrecv", "n2") == "sendrecv n2: failed: rc 1"
    assert rr.collective_line({"rows": []}, "alltoall", "n1") == "alltoall n1: no result"
    assert rr.collective_line(None, "alltoall", "n1") == "alltoall n1: no result"
    zero_first = [dict(rows[0], size_bytes=0, out_of_place={"time_us": 0.2, "busbw_gbps": 0.0}), *rows]
    assert rr.collective_line({"rows": zero_first, "ranks": 1}, "all_gather", "n1-g1") == (
        "all_gather n1-g1: one rank, no bandwidth between ranks; 8-byte time 21.3 us")
