"""Collective benchmark on torch.distributed, measured and reported the way nccl-tests does.

    python -m h200_workload.collectives --ops all_reduce,all_gather,reduce_scatter,alltoall,sendrecv \\
        --min-bytes 8 --max-bytes 64M --factor 2 --iters 20 --warmup-iters 5 --backend nccl --out FILE.json

THE one definition of algbw and busbw (nccl-tests ``doc/PERFORMANCE.md``):
  algbw = size / time (GB/s = 10^9 bytes/s), size as nccl-tests counts it: the buffer of all_reduce,
  the whole gathered/scattered buffer of all_gather/reduce_scatter (n x the per-rank part), the whole
  per-rank buffer of alltoall, the message of sendrecv;
  busbw = algbw x factor: all_reduce 2(n-1)/n; all_gather, reduce_scatter, alltoall (n-1)/n;
  sendrecv, broadcast, reduce 1.
time is the mean over --iters of one operation, the slowest rank's (max over ranks). ``wrong`` is the
number of wrong elements in one checked run per size (values known in advance). sendrecv is a ring
(rank r sends to r+1, receives from r-1), which on 2 ranks is the point-to-point latency test.
Rows follow docs/architecture.md; launch like sft.py (torchrun, srun, deepspeed launcher).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from h200_workload import compat, launch

OPS = ("all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv", "broadcast")
DTYPE = torch.float32  # nccl-tests' default (-d float)


def busbw_factor(op: str, ranks: int) -> float:
    """nccl-tests' bus-bandwidth factor of ``op`` on ``ranks`` ranks (doc/PERFORMANCE.md)."""
    if op == "all_reduce":
        return 2.0 * (ranks - 1) / ranks
    if op in ("all_gather", "reduce_scatter", "alltoall"):
        return (ranks - 1) / ranks
    if op in ("sendrecv", "broadcast", "reduce"):
        return 1.0
    raise ValueError(f"unknown collective {op!r}; known: {', '.join(OPS)}")


def bandwidths(op: str, size_bytes: int, time_s: float, ranks: int) -> tuple[float, float]:
    """(algbw, busbw) in GB/s (10^9 bytes/s) of one operation on ``size_bytes`` taking ``time_s``."""
    algbw = size_bytes / time_s / 1e9
    return algbw, algbw * busbw_factor(op, ranks)


def parse_size(text: str) -> int:
    """8, 64K, 64M, 1G (powers of 1024, as nccl-tests' -b/-e)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    try:
        return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)
    except (ValueError, IndexError) as exc:
        raise argparse.ArgumentTypeError(f"size {text!r}: give bytes like 8, 64K, 64M, 1G") from exc


def sizes(min_bytes: int, max_bytes: int, factor: int, op: str, ranks: int) -> list[int]:
    """Message sizes from min to max by factor, rounded down to whole elements per rank (as nccl-tests)."""
    unit = DTYPE.itemsize * (ranks if op in ("all_gather", "reduce_scatter", "alltoall") else 1)
    out, size = [], min_bytes
    while size <= max_bytes:
        rounded = max(unit, size // unit * unit)
        if not out or rounded != out[-1]:
            out.append(rounded)
        size *= factor
    return out


def _operation(op: str, size: int, in_place: bool, device: torch.device, rank: int,
               ranks: int) -> tuple[Callable[[], None], Callable[[], int]] | None:
    """(run once, count wrong elements after one run) for op at size; None where there is no in-place form."""
    count = size // DTYPE.itemsize
    part = count // ranks

    def filled(n: int, value: float) -> torch.Tensor:
        return torch.full((n,), value, dtype=DTYPE, device=device)

    if op == "all_reduce":
        buf = filled(count, rank + 1.0)
        out = buf if in_place else filled(count, 0.0)

        def run() -> None:  # out-of-place: torch has no all_reduce(src, dst), so the copy is part of it
            if not in_place:
                out.copy_(buf)
            dist.all_reduce(out)

        def wrong() -> int:
            out.fill_(rank + 1.0)
            dist.all_reduce(out)
            return int((out != ranks * (ranks + 1) / 2).sum())

        return run, wrong
    if op == "all_gather":
        out = filled(count, 0.0)
        src = out.narrow(0, rank * part, part) if in_place else filled(part, rank + 1.0)

        def run() -> None:
            dist.all_gather_into_tensor(out, src)

        def wrong() -> int:
            src.fill_(rank + 1.0)
            run()
            expected = torch.arange(1, ranks + 1, dtype=DTYPE, device=device).repeat_interleave(part)
            return int((out != expected).sum())

        return run, wrong
    if op == "reduce_scatter":
        src = filled(count, rank + 1.0)
        out = src.narrow(0, rank * part, part) if in_place else filled(part, 0.0)

        def run() -> None:
            dist.reduce_scatter_tensor(out, src)

        def wrong() -> int:
            src.fill_(rank + 1.0)
            run()
            return int((out != ranks * (ranks + 1) / 2).sum())

        return run, wrong
    if in_place:
        return None
    if op == "alltoall":
        src, out = filled(count, rank + 1.0), filled(count, 0.0)

        def run() -> None:
            dist.all_to_all_single(out, src)

        def wrong() -> int:
            run()
            expected = torch.arange(1, ranks + 1, dtype=DTYPE, device=device).repeat_interleave(part)
            return int((out != expected).sum())

        return run, wrong
    if op == "sendrecv":
        src, out = filled(count, rank + 1.0), filled(count, 0.0)
        peer_to, peer_from = (rank + 1) % ranks, (rank - 1) % ranks

        def run() -> None:
            ops = [dist.P2POp(dist.isend, src, peer_to), dist.P2POp(dist.irecv, out, peer_from)]
            for request in dist.batch_isend_irecv(ops):
                request.wait()

        def wrong() -> int:
            run()
            return int((out != peer_from + 1.0).sum())

        return run, wrong
    if op == "broadcast":
        buf = filled(count, rank + 1.0)

        def run() -> None:
            dist.broadcast(buf, 0)

        def wrong() -> int:
            buf.fill_(rank + 1.0)
            run()
            return int((buf != 1.0).sum())

        return run, wrong
    raise ValueError(f"unknown collective {op!r}; known: {', '.join(OPS)}")


def _timed(run: Callable[[], None], iters: int, warmup: int, device: torch.device) -> float:
    """Mean seconds of one operation, the slowest rank's."""
    for _warmup_step in range(warmup):
        run()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    dist.barrier()
    start = time.perf_counter()
    for _timed_step in range(iters):
        run()
    sync()
    elapsed = torch.tensor([(time.perf_counter() - start) / iters], dtype=torch.float64, device=device)
    dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
    return float(elapsed.item())


def measure(op: str, size: int, iters: int, warmup: int, device: torch.device, check: bool) -> dict[str, Any]:
    """One row in the schema of docs/architecture.md."""
    rank, ranks = dist.get_rank(), dist.get_world_size()
    row: dict[str, Any] = {"size_bytes": size, "count": size // DTYPE.itemsize, "dtype": "float",
                           "redop": "sum" if op in ("all_reduce", "reduce_scatter") else "none",
                           "root": 0 if op == "broadcast" else -1}
    for place, in_place in (("out_of_place", False), ("in_place", True)):
        operation = _operation(op, size, in_place, device, rank, ranks)
        if operation is None:
            row[place] = None
            continue
        run, wrong = operation
        seconds = _timed(run, iters, warmup, device)
        algbw, busbw = bandwidths(op, size, seconds, ranks)
        errors = None
        if check:
            local = torch.tensor([wrong()], dtype=torch.int64, device=device)
            dist.all_reduce(local)
            errors = int(local.item())
        row[place] = {"time_us": seconds * 1e6, "algbw_gbps": algbw, "busbw_gbps": busbw, "wrong": errors}
    return row


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """avg (nccl-tests' "Avg bus bandwidth": mean over sizes and both places) and wrong total. The peak is
    taken on the controller from the rows, by the collection's one rule (module_utils/metrics.py peak_busbw)."""
    places = [row[p] for row in rows for p in ("out_of_place", "in_place") if row[p] is not None]
    busbw = [p["busbw_gbps"] for p in places]
    wrong = [p["wrong"] for p in places if p["wrong"] is not None]
    return {"avg_busbw_gbps": statistics.fmean(busbw) if busbw else None,
            "wrong_total": sum(wrong) if wrong else None}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m h200_workload.collectives", description=__doc__.split("\n", 1)[0])
    p.add_argument("--ops", default="all_reduce,all_gather,reduce_scatter,alltoall,sendrecv",
                   help=f"comma-separated, of {', '.join(OPS)}")
    p.add_argument("--min-bytes", type=parse_size, default=8)
    p.add_argument("--max-bytes", type=parse_size, default=64 << 20)
    p.add_argument("--factor", type=int, default=2)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup-iters", type=int, default=5)
    p.add_argument("--backend", choices=("nccl", "gloo"), default="nccl")
    p.add_argument("--check", action=argparse.BooleanOptionalAction, default=True, help="count wrong elements")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--local_rank", "--local-rank", type=int, help=argparse.SUPPRESS)  # set by the deepspeed launcher
    args = p.parse_args(argv)
    args.ops = [op.strip() for op in args.ops.split(",") if op.strip()]
    unknown = [op for op in args.ops if op not in OPS]
    if unknown or not args.ops:
        p.error(f"--ops: unknown {unknown or 'empty list'}; accepted: {', '.join(OPS)}")
    if args.factor < 2 or args.iters < 1 or args.warmup_iters < 0 or not 0 < args.min_bytes <= args.max_bytes:
        p.error("need --factor >= 2, --iters >= 1, --warmup-iters >= 0 and 0 < --min-bytes <= --max-bytes")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = launch.resolve(os.environ)
    launch.export(env)
    if args.backend == "nccl" and not torch.cuda.is_available():
        print(json.dumps({"error": f"--backend nccl but no CUDA GPU is present on {socket.gethostname()}",
                          "fix": "run on GPU nodes, or use --backend gloo"}), file=sys.stderr)
        return 2
    device = torch.device("cuda", env.local_rank) if args.backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(args.backend, init_method="env://", rank=env.rank, world_size=env.world_size)
    ranks = dist.get_world_size()
    hosts: list[str | None] = [None] * ranks
    dist.all_gather_object(hosts, socket.gethostname())
    common = {"tool": "torch.distributed", "backend": args.backend, "nodes": len(set(hosts)), "ranks": ranks,
              "algo": os.environ.get("NCCL_ALGO") if args.backend == "nccl" else None,
              "torch": torch.__version__,
              "nccl": ".".join(map(str, torch.cuda.nccl.version())) if args.backend == "nccl" else None,
              "iters": args.iters, "warmup_iters": args.warmup_iters, "time": "mean per operation, max over ranks"}
    result: dict[str, Any] = {**common, "hosts": sorted(set(hosts)), "ops": {}}
    for op in args.ops:
        if op == "sendrecv" and ranks < 2:
            result["ops"][op] = {**common, "rows": [], "skipped": "sendrecv needs at least 2 ranks",
                                 **summarize([])}
            continue
        rows = [measure(op, size, args.iters, args.warmup_iters, device, args.check)
                for size in sizes(args.min_bytes, args.max_bytes, args.factor, op, ranks)]
        result["ops"][op] = {**common, "collective": op, "rows": rows, **summarize(rows)}
        if env.rank == 0:  # written as each op finishes, so a later failure keeps the earlier results
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=1) + "\n")
    if env.rank == 0:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    compat.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
