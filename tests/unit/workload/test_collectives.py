from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from h200_workload import collectives


@pytest.mark.parametrize(("op", "ranks", "factor"), [
    ("all_reduce", 8, 2 * 7 / 8), ("all_reduce", 2, 1.0), ("all_gather", 16, 15 / 16),
    ("reduce_scatter", 4, 3 / 4), ("alltoall", 8, 7 / 8), ("sendrecv", 2, 1.0), ("broadcast", 64, 1.0),
])
def test_busbw_factors_are_nccl_tests(op: str, ranks: int, factor: float) -> None:
    assert collectives.busbw_factor(op, ranks) == pytest.approx(factor)


def test_bandwidth_arithmetic() -> None:
    # nccl-tests: 1 GiB all_reduce in 10 ms on 8 ranks -> algbw 107.37 GB/s, busbw 187.9 GB/s
    algbw, busbw = collectives.bandwidths("all_reduce", 1 << 30, 0.010, 8)
    assert algbw == pytest.approx(107.374, abs=1e-3) and busbw == pytest.approx(107.374 * 1.75, abs=1e-3)


def test_sizes_round_to_whole_elements_per_rank() -> None:
    assert collectives.sizes(8, 64, 2, "all_reduce", 8) == [8, 16, 32, 64]
    assert collectives.sizes(8, 256, 2, "all_gather", 8) == [32, 64, 128, 256]  # 4-byte floats x 8 ranks
    assert collectives.parse_size("64M") == 64 << 20


def test_unknown_op_is_refused() -> None:
    with pytest.raises(SystemExit):
        collectives.parse_args(["--ops", "all_reduce,allreduce", "--out", "x.json"])


def test_two_rank_gloo_run_writes_rows(tmp_path: Path, workload_env: dict) -> None:
    out = tmp_path / "collectives.json"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "h200_workload.collectives", "--backend", "gloo", "--min-bytes", "8", "--max-bytes", "4K",
               "--factor", "8", "--iters", "3", "--warmup-iters", "1", "--out", str(out)]
    done = subprocess.run(command, env=workload_env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert set(result["ops"]) == {"all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv"}
    for op, entry in result["ops"].items():
        assert (entry["tool"], entry["backend"], entry["ranks"]) == ("torch.distributed", "gloo", 2)
        assert [row["size_bytes"] for row in entry["rows"]] == [8, 64, 512, 4096]
        for row in entry["rows"]:
            place = row["out_of_place"]
            assert place["time_us"] > 0 and place["wrong"] == 0
            assert place["busbw_gbps"] == pytest.approx(place["algbw_gbps"] * collectives.busbw_factor(op, 2))
        assert entry["avg_busbw_gbps"] > 0 and entry["wrong_total"] == 0 and "peak_busbw_gbps" not in entry
