"""The planning table of docs/scaling-model.md: the owners' configurations (Llama-2 7B, 13B, 70B; seed and tuned) on
H200 nodes of 8 GPUs with 2 x 400GbE each, predicted efficiency at 2, 4, 8 and 64 nodes, with no cluster.

The same model the report uses (plugins/module_utils/scaling_model.py), fed with stated figures instead of measured
ones: the collectives' times follow t(S) = latency + S x busbw factor / busbw, inside a node at the NVLink busbw of
8 H200s without NVLS and between nodes at the ring busbw of 2 x 400GbE (shared/ANCHORS.md); the compute per step
follows from an MFU per configuration (the H200 measurements where there are some). The workload's own presets
choose ZeRO stage, micro-batch, accumulation and buckets at each GPU count.

Usage: make scaling-plan (PYTHONPATH=files:.cache/collections python benchmarks/scaling_plan.py [--json OUT.json] > MD)
"""

import argparse
import json
import sys

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import scaling_model as sm
from h200_workload import flops, models, presets

GPUS_PER_NODE = 8
GPU_BYTES = 143771 * 2**20  # H200, as torch reports it
PEAK_FLOPS = 989e12
# Bus bandwidth (GB/s) and small-message time (us) of ring collectives (shared/ANCHORS.md):
INSIDE = {"busbw": 370e9, "latency_us": 15.0, "source": "8 x H200 all_reduce without NVLS ~370 GB/s (Azure ND H200 v5,"
          " nccl-tests #212); 8-byte time 15 us measured between 2 H200s"}
BETWEEN = {"busbw": 94e9, "latency_us": 35.0, "source": "2 x 400GbE: 92-96 GB/s NCCL ring busbw per node (derived);"
           " 2-node small-message latency 20-50 us (NVIDIA/nccl #1244)"}
# MFU (6.N / 989 TFLOP/s) of one node's step, per model and preset: measured where the project has it.
MFU = {
    ("llama2-7b", "tuned"): (0.5425, "measured: 2 x H200, median of 14 steps over 3 runs (docs/performance.md)"),
    ("llama2-13b", "tuned"): (0.454, "measured: 2 x H200, 2 steps (docs/performance.md)"),
    ("llama2-70b", "tuned"): (0.38, "assumed: Llama-2 70B FSDP on H100, fms-fsdp (ANCHORS.md)"),
    ("llama2-7b", "seed"): (0.35, "assumed: llama-1b seed measured 35.3 % on one H200 (docs/performance.md)"),
    ("llama2-13b", "seed"): (0.35, "assumed, as 7B seed"),
    ("llama2-70b", "seed"): (0.30, "assumed: offload of parameters and optimizer costs more"),
}
NODES = (2, 4, 8, 64)
TARGETS = {2: 0.98, 4: 0.95, 8: 0.90}


def rows(fabric, op, ranks):
    """Synthetic nccl-tests rows of one fabric: t = latency + S x factor / busbw, 8 B to 8 GB."""
    factor = 2.0 * (ranks - 1) / ranks if op == "all_reduce" else (ranks - 1.0) / ranks
    return [(2**i, fabric["latency_us"] + 2**i * factor / fabric["busbw"] * 1e6) for i in range(3, 34)]


def plan_one(model, preset):
    shape = models.SHAPES[model]
    n_params = flops.llama_param_count(shape)
    mfu, mfu_source = MFU[(model, preset)]
    out = {"model": model, "preset": preset, "n_params": n_params, "mfu": mfu, "mfu_source": mfu_source, "nodes": {}}
    base = None
    for nodes in (1, *NODES):
        world = nodes * GPUS_PER_NODE
        s = (presets.seed(n_params, world) if preset == "seed" else
             presets.tuned(model, n_params, world, "cuda", shape.hidden_size, shape.num_layers, GPU_BYTES))
        config = presets.deepspeed_config(s, world, 1e-5, 1)["zero_optimization"]
        plan = sm.collectives_per_step(n_params, s.zero_stage, s.grad_accum, config.get("reduce_bucket_size"),
                                       config.get("stage3_prefetch_bucket_size"))
        fabric = INSIDE if nodes == 1 else BETWEEN
        comm, terms = sm.communication_s(plan, {op: rows(fabric, op, world) for op in
                                                ("all_reduce", "all_gather", "reduce_scatter")}, world)
        tokens = s.micro_batch_size * s.seq_len * s.grad_accum
        compute = 6.0 * n_params * tokens / (mfu * PEAK_FLOPS)
        point = {"zero_stage": s.zero_stage, "offload": s.offload, "micro_batch": s.micro_batch_size,
                 "seq_len": s.seq_len, "grad_accum": s.grad_accum, "compute_s": compute, "comm_s": comm,
                 "dominant": sm.dominant(compute, terms)}
        if nodes == 1:
            base = (compute + comm, comm, tokens)  # the baseline step: compute, then its NVLink communication
        else:
            point["low"], point["high"] = sm.predict(base[0], base[1], comm, bool(config.get("overlap_comm")),
                                                     work_ratio=tokens / base[2])
        out["nodes"][nodes] = point
    return out


def reach(point, target):
    if point["low"] >= target:
        return "yes"
    return "with overlap only" if point["high"] >= target else "no"


def pct(value):
    return "%.1f" % (value * 100.0)


def table(plans):
    lines = ["| model | preset | at 8 nodes: ZeRO, micro x seq x accum | MFU | comm / compute s per step at 8 nodes"
             " | dominant at 8 nodes | " + " | ".join("%d nodes" % n for n in NODES)
             + " | owners' 98/95/90 % at 2/4/8 nodes |", "|" + " --- |" * (6 + len(NODES) + 1)]
    for p in plans:
        eight = p["nodes"][8]
        cells = ["%s - %s %%" % (pct(p["nodes"][n]["low"]), pct(p["nodes"][n]["high"])) for n in NODES]
        reached = ", ".join(reach(p["nodes"][n], t) for n, t in sorted(TARGETS.items()))
        lines.append("| %s | %s | ZeRO-%d%s, %dx%dx%d | %.0f %% | %.2f / %.2f | %s | %s | %s |" % (
            p["model"], p["preset"], eight["zero_stage"],
            "" if eight["offload"] == "none" else " + " + eight["offload"],
            eight["micro_batch"], eight["seq_len"], eight["grad_accum"], p["mfu"] * 100,
            eight["comm_s"], eight["compute_s"], eight["dominant"].split(" (")[0], " | ".join(cells), reached))
    lines.append("")
    lines += ["- MFU of %s %s: %s" % (p["model"], p["preset"], p["mfu_source"]) for p in plans]
    lines += ["- inside a node: %s" % INSIDE["source"], "- between nodes: %s" % BETWEEN["source"]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the plans as JSON")
    args = parser.parse_args(argv)
    plans = [plan_one(m, p) for m in ("llama2-7b", "llama2-13b", "llama2-70b") for p in ("seed", "tuned")]
    sys.stdout.write("# Planned scaling of the owners' configurations (generated: `make scaling-plan`)\n\n"
                     "Predicted per-GPU efficiency against one node of 8 H200s, low (no overlap of communication"
                     " with compute) - high (full overlap); formulas and validation in docs/scaling-model.md.\n\n")
    sys.stdout.write(table(plans))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"inside": INSIDE, "between": BETWEEN, "gpus_per_node": GPUS_PER_NODE, "plans": plans},
                      handle, indent=1, allow_nan=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
