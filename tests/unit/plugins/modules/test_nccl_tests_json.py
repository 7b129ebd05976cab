"""nccl_tests in run mode with ``json_path``: the module asks the binary for ``-J PATH`` and reads its rows from
the JSON file it wrote, the rest from the text. The binary is a test double (``sh``) that prints a recorded
H200 text output and copies the JSON recorded with it to the path that followed ``-J``."""

import os

from ansible_collections.spectrumx.h200_benchmark.plugins.modules import nccl_tests
from module_harness import run_module

NCCL = os.path.join(os.path.dirname(__file__), "..", "..", "data", "nccl")
LOG = os.path.join(NCCL, "h200_all_reduce_nocheck.log")
JSON = os.path.join(NCCL, "h200_all_reduce_nocheck.json")
# $0: the log, $1: the JSON, $2: -J, $3: its path (what the module appended); anything else is refused
DOUBLE = '[ "$2" = -J ] && [ -n "$3" ] || { echo "test double: no -J PATH" >&2; exit 9; }; cat "$0"; cp "$1" "$3"'


def args(tmp_path, log=LOG):
    return {"binary": "sh", "args": ["-c", DOUBLE, log, JSON], "output_path": str(tmp_path / "all_reduce.log"),
            "json_path": str(tmp_path / "all_reduce.json")}


def test_run_mode_passes_dash_j_and_reads_the_json_it_wrote(monkeypatch, tmp_path):
    failed, result = run_module(monkeypatch, nccl_tests.main, args(tmp_path))
    assert not failed, result["msg"]
    assert result["cmd"][-2:] == ["-J", str(tmp_path / "all_reduce.json")]
    assert result["nccl_tests_version"] == "2.19.6" and result["rows"][0]["out_of_place"]["time_us"] == 7.0471
    assert (tmp_path / "all_reduce.json").read_bytes() == open(JSON, "rb").read()
    failed, result = run_module(monkeypatch, nccl_tests.main, args(tmp_path))
    assert failed and result["msg"].startswith("output_path %s already exists" % (tmp_path / "all_reduce.log"))


def test_a_cut_off_text_output_marks_the_json_result_incomplete(monkeypatch, tmp_path):
    cut = tmp_path / "cut.log"
    with open(LOG) as handle:
        lines = handle.read().splitlines(True)
    cut.write_text("".join(lines[: len(lines) // 2]))  # the run died half way through the table
    failed, result = run_module(monkeypatch, nccl_tests.main, args(tmp_path, str(cut)))
    assert failed and result["complete"] is False
    assert "%s: " % (tmp_path / "all_reduce.log") in result["msg"] and "cut off" in result["msg"]


def test_chdir_that_is_not_a_directory_is_refused(monkeypatch, tmp_path):
    failed, result = run_module(monkeypatch, nccl_tests.main, dict(args(tmp_path), chdir=str(tmp_path / "none")))
    assert failed and result["msg"] == "chdir %s is not a directory" % (tmp_path / "none")
    failed, result = run_module(monkeypatch, nccl_tests.main, dict(args(tmp_path), binary=" "))
    assert failed and result["msg"].startswith("binary must name an nccl-tests binary")
