"""What the telemetry sampler costs the SFT workload, measured side by side in one training run.

One SFT process runs; the sampler (files/h200_workload/telemetry.py, as benchmark.yml runs it) is
started and stopped in alternating blocks of optimizer steps (on, off, on, off, ...). Each step is
labelled with the sampler's state during it; the cost is 1 - (median tokens/s with the sampler on) /
(median tokens/s with it off), and the same ratio per adjacent on/off block pair (median of pairs).
The GPU utilisation over the timed steps comes from the sampler's own samples in the "on" blocks.

Usage (PYTHONPATH holds files/):
  python benchmarks/h200/telemetry_overhead.py --data DIR --out OUTDIR [--model llama-1b --preset tuned]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path


def read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line still being written
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model", default="llama-1b")
    p.add_argument("--preset", default="tuned")
    p.add_argument("--steps", type=int, default=12, help="timed optimizer steps")
    p.add_argument("--warmup-steps", type=int, default=2)
    p.add_argument("--block", type=int, default=2, help="optimizer steps per on/off block")
    p.add_argument("--interval", type=float, default=1.0, help="sampler interval, as benchmark.yml uses")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more arguments for h200_workload.sft")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    metrics, summary = args.out / "overhead_metrics.jsonl", args.out / "overhead_summary.json"
    samples = args.out / "overhead_telemetry.jsonl"
    for f in (metrics, summary, samples):
        f.unlink(missing_ok=True)
    sft = subprocess.Popen(
        [args.python, "-m", "h200_workload.sft", "--model", args.model, "--preset", args.preset, "--data", args.data,
         "--steps", str(args.steps), "--warmup-steps", str(args.warmup_steps), "--metrics-out", str(metrics),
         "--summary-out", str(summary), *args.extra],
        stdout=open(args.out / "overhead_sft.log", "w"), stderr=subprocess.STDOUT)
    sampler: subprocess.Popen | None = None

    def set_sampler(on: bool) -> None:
        nonlocal sampler
        if on and sampler is None:
            sampler = subprocess.Popen([args.python, "-m", "h200_workload.telemetry", "--output", str(samples),
                                        "--interval", str(args.interval)], stdout=subprocess.DEVNULL,
                                       stderr=open(args.out / "overhead_sampler.log", "a"))
        elif not on and sampler is not None:
            sampler.send_signal(signal.SIGTERM)
            sampler.wait(timeout=30)
            sampler = None

    def on_for(timed_index: int) -> bool:  # timed steps 1..N; warm-up steps (index <= 0) run without it
        return timed_index >= 1 and ((timed_index - 1) // args.block) % 2 == 0

    state: dict[int, dict] = {}  # step -> {"sampler": bool, "start": t, "end": t}
    seen = 0
    next_step_start = time.time()
    set_sampler(on_for(1 - args.warmup_steps))
    state[1] = {"sampler": sampler is not None, "start": next_step_start}
    while True:
        lines = read_lines(metrics)
        for line in lines[seen:]:
            now = time.time()
            step = line["step"]
            state.setdefault(step, {"sampler": sampler is not None, "start": next_step_start})["end"] = now
            state[step]["line"] = line
            set_sampler(on_for(step + 1 - args.warmup_steps))
            next_step_start = time.time()
            state[step + 1] = {"sampler": sampler is not None, "start": next_step_start}
        seen = len(lines)
        if sft.poll() is not None:
            break
        time.sleep(0.05)
    set_sampler(False)

    timed = [s for s in state.values() if "line" in s and not s["line"].get("warmup")]
    on = [s["line"]["tokens_per_s"] for s in timed if s["sampler"]]
    off = [s["line"]["tokens_per_s"] for s in timed if not s["sampler"]]
    pair_ratios = []
    blocks: list[list[dict]] = []
    for s in timed:
        if blocks and blocks[-1][0]["sampler"] == s["sampler"]:
            blocks[-1].append(s)
        else:
            blocks.append([s])
    for a, b in zip(blocks[0::2], blocks[1::2], strict=False):
        if a[0]["sampler"] and not b[0]["sampler"]:
            pair_ratios.append(statistics.median(x["line"]["tokens_per_s"] for x in a)
                               / statistics.median(x["line"]["tokens_per_s"] for x in b))
    util = []
    for rec in read_lines(samples):
        if rec.get("record") != "sample":
            continue
        if any(s["sampler"] and s["start"] <= rec["t"] <= s.get("end", 0) for s in timed):
            util.extend(g["util_pct"] for g in rec["gpus"] if g.get("util_pct") is not None)
    result = {
        "what": "telemetry sampler cost on SFT throughput, alternating blocks in one run",
        "model": args.model, "preset": args.preset, "block_steps": args.block, "interval_s": args.interval,
        "sft_rc": sft.returncode,
        "steps": [{"step": s["line"]["step"], "sampler": s["sampler"], "tokens_per_s": s["line"]["tokens_per_s"],
                   "mfu": s["line"]["mfu"]} for s in timed],
        "median_tokens_per_s_on": statistics.median(on) if on else None,
        "median_tokens_per_s_off": statistics.median(off) if off else None,
        "pair_ratios_on_over_off": pair_ratios,
        "median_pair_ratio": statistics.median(pair_ratios) if pair_ratios else None,
        "overhead_pct": (1 - statistics.median(pair_ratios)) * 100 if pair_ratios else None,
        "gpu_util_pct_timed_on_steps": {"mean": statistics.fmean(util), "median": statistics.median(util),
                                        "min": min(util), "samples": len(util)} if util else None,
        "sft_summary": json.loads(summary.read_text()) if summary.exists() else None,
    }
    (args.out / "telemetry_overhead.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k not in ("steps", "sft_summary")}, indent=1))
    return 0 if sft.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
