"""nccl-tests output parser on real outputs of several versions (tests/unit/data/nccl/SOURCES.md)."""

import json
import os

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import nccl_output as no

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "nccl")


def text(name):
    with open(os.path.join(DATA, name)) as handle:
        return handle.read()


def test_old_format_error_column_not_checked_and_info_line_between_rows():
    result = no.parse_nccl_text(text("superbench_all_reduce_a100_error_column_nocheck.log"))
    assert len(result["rows"]) == 34  # the NCCL INFO line inside the table is not a row
    last = result["rows"][-1]
    assert last["size_bytes"] == 8589934592 and last["count"] == 2147483648
    assert (last["dtype"], last["redop"], last["root"]) == ("float", "sum", None)  # no root column then
    assert last["out_of_place"] == {
        "time_us": 63896.0,
        "algbw_gbps": 134.44,
        "busbw_gbps": 235.26,
        "wrong": None,
        "max_error": None,
    }
    assert last["in_place"]["busbw_gbps"] == 235.03
    assert result["avg_busbw_gbps"] == 68.4048
    assert result["peak_busbw_gbps"] == 235.26
    assert result["wrong_total"] is None  # validation: 0 -> nothing checked, not "0 wrong"
    assert result["complete"] is True and result["out_of_bounds_ok"] is True
    assert result["ranks"] == 8 and result["hosts"] == ["localhost"]
    assert result["config"]["validation"] == 0


def test_group_column_two_nodes_checked():
    result = no.parse_nccl_text(text("a3mega_h100_2node_group_column.log"))
    assert len(result["rows"]) == 31
    assert result["rows"][0]["size_bytes"] == 8 and result["rows"][0]["out_of_place"]["time_us"] == 135.8
    row_1g = next(r for r in result["rows"] if r["size_bytes"] == 1073741824)
    assert row_1g["out_of_place"] == {"time_us": 6759.0, "algbw_gbps": 158.86, "busbw_gbps": 297.86, "wrong": 0}
    assert row_1g["in_place"]["busbw_gbps"] == 298.82
    assert result["wrong_total"] == 0  # checked, nothing wrong: 0, not null
    assert result["avg_busbw_gbps"] == 70.742 and result["peak_busbw_gbps"] == 338.82
    assert result["ranks"] == 16 and result["hosts"] == ["ztan-mig-235z", "ztan-mig-gq73"]
    assert result["nccl_version"] is None  # not printed by this version without NCCL_DEBUG


def test_srun_label_prefixes_and_na():
    result = no.parse_nccl_text(text("issue290_h100_2node_srun_label_nocheck.log"))
    assert len(result["rows"]) == 11
    assert result["rows"][0]["size_bytes"] == 8388608
    assert result["rows"][0]["out_of_place"] == {
        "time_us": 215.3,
        "algbw_gbps": 38.96,
        "busbw_gbps": 73.04,
        "wrong": None,
    }
    assert result["rows"][-1]["in_place"]["time_us"] == 103538.0
    assert result["wrong_total"] is None
    # the peak is out of place (the in-place column peaked at 167.87)
    assert result["avg_busbw_gbps"] == 142.735 and result["peak_busbw_gbps"] == 166.22
    assert result["ranks"] == 16 and result["hosts"] == ["node005", "node007"]
    assert result["complete"] is True


def test_wrong_elements_counted_and_out_of_bounds_failed():
    result = no.parse_nccl_text(text("issue369_gh200_v2.17.8_wrong_failed.log"))
    row = next(r for r in result["rows"] if r["size_bytes"] == 1048576)
    assert row["out_of_place"]["wrong"] == 96 and row["in_place"]["wrong"] == 32
    assert result["wrong_total"] == 128
    assert result["out_of_bounds_count"] == 4 and result["out_of_bounds_ok"] is False
    assert result["nccl_tests_version"] == "2.17.8" and result["nccl_version"] == "2.29.2"  # 22902
    assert result["test"] == "all_reduce_perf"
    assert result["rows"][-1]["out_of_place"]["time_us"] == 5869.38
    assert any("Test failure" in line for line in result["failures"])


def test_crash_before_the_table_is_incomplete():
    result = no.parse_nccl_text(text("issue369_gh200_v2.17.8_crash_before_table.log"))
    assert result["rows"] == [] and result["complete"] is False
    assert result["avg_busbw_gbps"] is None and result["peak_busbw_gbps"] is None and result["wrong_total"] is None
    assert result["ranks"] == 8 and result["nccl_version"] == "2.26.6"
    assert "CUDA-capable device(s) is/are busy or unavailable" in result["failures"][0]


def test_output_cut_off_in_the_middle_of_the_table():
    full = text("a3mega_h100_2node_group_column.log")
    cut = full[: full.index("  1073741824     268435456") + 40]  # crash while printing the 1 GiB row
    result = no.parse_nccl_text(cut)
    assert result["complete"] is False and result["avg_busbw_gbps"] is None
    assert len(result["rows"]) == 27 and result["rows"][-1]["size_bytes"] == 536870912  # half a row is no row
    assert result["peak_busbw_gbps"] == 263.69


def test_open_mpi_tag_output_prefixes():
    lines = text("a3mega_h100_2node_group_column.log").splitlines()
    tagged = "\n".join("[1,0]<stdout>:" + line for line in lines)
    assert no.parse_nccl_text(tagged)["rows"] == no.parse_nccl_text("\n".join(lines))["rows"]


def test_h200_versions_dtypes_redops():
    check = no.parse_nccl_text(text("h200_all_reduce_check.log"))
    assert check["nccl_tests_version"] == "2.19.6" and check["nccl_version"] == "2.28.9"
    assert check["rows"][-1]["in_place"] == {"time_us": 0.52, "algbw_gbps": 257492.0, "busbw_gbps": 0.0, "wrong": 0}
    assert check["wrong_total"] == 0 and check["avg_busbw_gbps"] == 0.0  # one rank: busbw is 0 by definition
    alltoall = no.parse_nccl_text(text("h200_alltoall_bf16.log"))
    assert {(r["dtype"], r["redop"]) for r in alltoall["rows"]} == {("bfloat16", "none")}
    assert all(r["in_place"]["wrong"] is None and r["out_of_place"]["wrong"] == 0 for r in alltoall["rows"])
    assert alltoall["wrong_total"] == 0  # out-of-place was checked
    reduce_scatter = no.parse_nccl_text(text("h200_reduce_scatter_max_info.log"))
    assert [r["size_bytes"] for r in reduce_scatter["rows"]] == [1024, 32768, 1048576]  # INFO lines skipped
    assert {(r["dtype"], r["redop"]) for r in reduce_scatter["rows"]} == {("half", "max")}
    assert reduce_scatter["complete"] is True
    broadcast = no.parse_nccl_text(text("h200_broadcast_all.log"))
    assert len(broadcast["rows"]) == 36 and broadcast["rows"][0]["root"] == 0
    assert "f8e5m2" in {r["dtype"] for r in broadcast["rows"]}


def test_peak_is_out_of_place_where_in_place_is_a_no_op():
    # sendrecv of one rank to itself on the H200 (nccl_build role's build, benchmark.yml's nccl phase):
    # the in-place copy is skipped, so its column reads 153,243 GB/s; out of place moved 1,842 GB/s.
    result = no.parse_nccl_text(text("h200_sendrecv_1rank.log"))
    last = result["rows"][-1]
    assert last["size_bytes"] == 536870912 and last["in_place"]["busbw_gbps"] == 153243.0
    assert result["peak_busbw_gbps"] == 1842.0 == max(r["out_of_place"]["busbw_gbps"] for r in result["rows"])
    assert result["avg_busbw_gbps"] == 7343.56  # as nccl-tests printed it (both columns): kept, not used as peak
    assert result["complete"] and result["wrong_total"] == 0 and result["nccl_version"] == "2.28.9"


def test_in_place_used_where_out_of_place_has_no_value():
    log = text("h200_sendrecv_1rank.log").replace(
        "536870912     134217728     float     sum      -1   291.46  1842.0  1842.0",
        "536870912     134217728     float     sum      -1   291.46     N/A     N/A")
    rows = no.parse_nccl_text(log)["rows"]
    assert rows[-1]["out_of_place"]["busbw_gbps"] is None
    assert no.parse_nccl_text(log)["peak_busbw_gbps"] == 153243.0


def test_json_matches_the_text_of_the_same_run():
    from_json = no.parse_nccl_json(text("h200_all_reduce_nocheck.json"))
    from_text = no.parse_nccl_text(text("h200_all_reduce_nocheck.log"))
    assert from_json["complete"] and from_json["wrong_total"] is None and from_text["wrong_total"] is None
    assert [r["size_bytes"] for r in from_json["rows"]] == [r["size_bytes"] for r in from_text["rows"]]
    for j, t in zip(from_json["rows"], from_text["rows"], strict=True):
        assert j["out_of_place"]["time_us"] == pytest.approx(t["out_of_place"]["time_us"], abs=0.006)
        assert j["root"] == t["root"] == -1
    assert from_json["nccl_version"] == "2.28.9" and from_json["test"] == "all_reduce_perf"
    assert from_json["ranks"] == 1 and from_json["hosts"] == ["vm"]
    assert from_json["config"]["validation"] == 0 and from_json["config"]["parallel_init"] is False
    assert from_json["failures"] == []


def test_json_checked_run_all_types():
    result = no.parse_nccl_json(text("h200_broadcast_all.json"))
    assert len(result["rows"]) == 36 and result["wrong_total"] == 0
    assert result["avg_busbw_gbps"] == 451.741023
    last = result["rows"][-1]
    assert last["dtype"] == "f8e5m2" and last["out_of_place"]["busbw_gbps"] == 149.702473


def test_json_cut_off_by_a_crash():
    full = text("h200_broadcast_all.json")
    result = no.parse_nccl_json(full[: len(full) // 2])
    assert result["complete"] is False and result["rows"] == []
    assert "not complete JSON" in result["failures"][0]


def test_json_nan_and_string_booleans():
    doc = json.loads(text("h200_broadcast_all.json"))
    doc["results"][0]["out_of_place"]["bus_bw"] = "nan"
    doc["out_of_bounds"] = {"count": 2, "okay": "false"}
    result = no.parse_nccl_json(json.dumps(doc))
    assert result["rows"][0]["out_of_place"]["busbw_gbps"] is None
    assert result["out_of_bounds_ok"] is False and result["out_of_bounds_count"] == 2


@pytest.mark.parametrize(("code", "version"), [(22606, "2.26.6"), (23003, "2.30.3"), (2708, "2.7.8")])
def test_nccl_version_codes(code, version):
    assert no.nccl_version_from_code(code) == version


def test_bad_input_is_named():
    with pytest.raises(no.NcclOutputError, match="must be text"):
        no.parse_nccl_text(None)
    with pytest.raises(no.NcclOutputError, match="must be an object"):
        no.parse_nccl_json("[1, 2]")


def test_tuning_log_lines_inside_rows_are_cut_out_and_give_algorithm_and_protocol():
    """Two H200s, NCCL_DEBUG_SUBSYS=TUNING: the log lines split every row; all 16 rows come back whole."""
    result = no.parse_nccl_text(text("h200x2_all_reduce_tuning.log"))
    assert result["complete"] and result["ranks"] == 2 and result["nccl_version"] == "2.28.9"
    assert [r["size_bytes"] for r in result["rows"]] == [8 * 4**i for i in range(16)]
    first, last = result["rows"][0], result["rows"][-1]
    assert (first["root"], first["out_of_place"]["time_us"], first["out_of_place"]["wrong"]) == (-1, 15.16, 0)
    assert (first["algo"], first["proto"]) == ("RING", "LL")
    assert (last["size_bytes"], last["out_of_place"]["busbw_gbps"], last["in_place"]["busbw_gbps"]) == (
        8589934592, 348.06, 348.62)
    assert (last["algo"], last["proto"]) == ("RING", "SIMPLE")
    assert result["peak_busbw_gbps"] == 348.06 and result["wrong_total"] == 0 and result["failures"] == []


def test_tuning_bytes_of_one_rank_match_all_gather_rows():
    """all_gather logs one rank's part (size / ranks); the 0-count row has no choice logged."""
    result = no.parse_nccl_text(text("h200x2_all_gather_tuning.log"))
    rows = {r["size_bytes"]: r for r in result["rows"]}
    assert (rows[32]["algo"], rows[32]["proto"]) == ("RING", "LL")
    assert (rows[8589934592]["algo"], rows[8589934592]["proto"]) == ("RING", "SIMPLE")
    assert rows[0]["algo"] is None and result["peak_busbw_gbps"] == 297.83


def test_log_segment_with_unknown_host_and_srun_labels():
    """Without "# Rank" lines a log line is cut only where it starts a word; srun labels around it go too."""
    out = ("#  size count type redop root time algbw busbw #wrong time algbw busbw #wrong\n"
           " 0:        8     2  float  sum  -1 node-a:1:2 [0] NCCL INFO AllReduce: 8 Bytes -> Algo TREE proto LL128"
           " channel{Lo..Hi}={0..0}\n 0:  10.0  0.00  0.00  0  11.0  0.00  0.00  0\n"
           " 0: node-a:1:2 [0] NCCL WARN NET/IB : Got completion with error\n")
    result = no.parse_nccl_text(out)
    assert len(result["rows"]) == 1 and result["rows"][0]["out_of_place"]["time_us"] == 10.0
    assert (result["rows"][0]["algo"], result["rows"][0]["proto"]) == ("TREE", "LL128")
    assert any("NCCL WARN NET/IB" in line for line in result["failures"])
