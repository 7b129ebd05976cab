# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendering of a report summary (built by report.py): PNG plots with matplotlib (Agg) and report.md.

Only presentation lives here; every number is taken from the summary as it is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import run_dir as contract

try:  # the control node's requirements (requirements.txt of the collection)
    import matplotlib

    matplotlib.use("Agg")  # no display on the control node

    import matplotlib.pyplot as plt
    import pandas as pd
except ImportError as exc:
    MISSING_LIBRARY = "%s (pip install -r requirements.txt of the collection on the control node)" % exc
else:
    MISSING_LIBRARY = None

_SIZE_UNITS = ((1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K"))


def _size_label(size):
    for factor, unit in _SIZE_UNITS:
        if size >= factor and size % factor == 0:
            return "%d%s" % (size // factor, unit)
    return "%d" % size


def _rows_frame(entry):
    records = []
    for row in entry["rows"]:
        for half in ("out_of_place", "in_place"):
            values = row.get(half) or {}
            if values.get("busbw_gbps") is not None and row.get("size_bytes"):
                records.append({"size_bytes": int(row["size_bytes"]), "half": half, "busbw_gbps": values["busbw_gbps"]})
    return pd.DataFrame.from_records(records, columns=["size_bytes", "half", "busbw_gbps"])


def _series_label(entry):
    label = "%d node%s" % (entry["nodes"], "" if entry["nodes"] == 1 else "s")
    if entry.get("gpus"):
        label = "1 node, %d GPU%s" % (entry["gpus"], "" if entry["gpus"] == 1 else "s")
    extras = [x for x in (entry["variant"], entry["algo"] and "algo %s" % entry["algo"], entry["tool"]) if x]
    return label + (" (%s)" % ", ".join(extras) if extras else "")


def _size_axis(ax, sizes):
    """Message sizes on a log axis, labelled 8, 1K, 1M, 8G."""
    ax.set_xscale("log", base=2)
    if sizes:
        ticks = sorted(sizes)
        step = max(1, len(ticks) // 10)
        ax.set_xticks(ticks[::step])
        ax.set_xticklabels([_size_label(s) for s in ticks[::step]], rotation=45)
    ax.set_xlabel("message size (bytes)")


def plot_busbw(path, name, entries, line_rate_gbps, target_gbits):
    """busbw (out of place, Gb/s as the targets) against message size, one line per configuration; between
    nodes the per-node line rate and the bandwidth target for reference."""
    fig, ax = plt.subplots(figsize=(8, 4.8))
    sizes = set()
    for entry in entries:
        frame = _rows_frame(entry)
        frame = frame[frame["half"] == "out_of_place"].sort_values("size_bytes")
        if frame.empty:
            continue
        sizes.update(frame["size_bytes"].tolist())
        ax.plot(frame["size_bytes"], frame["busbw_gbps"] * 8.0, marker="o", markersize=3, label=_series_label(entry))
    if any(e["nodes"] >= 2 for e in entries):
        ax.axhline(line_rate_gbps, color="red", linestyle="--", linewidth=1,
                   label="line rate %g Gb/s per node" % line_rate_gbps)
        if target_gbits is not None:
            ax.axhline(target_gbits, color="black", linestyle=":", linewidth=1,
                       label="target %g Gb/s%s" % (target_gbits, " (above the line rate)"
                                                   if target_gbits > line_rate_gbps else ""))
    _size_axis(ax, sizes)
    ax.set_ylabel("busbw (Gb/s, out of place)")
    ax.set_title("%s: bus bandwidth against message size" % name)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_latency(path, entries, target_us):
    """Time of each collective against message size (log-log, out of place), with the latency target."""
    fig, ax = plt.subplots(figsize=(8, 4.8))
    sizes = set()
    for entry in entries:
        points = sorted((int(r["size_bytes"]), r["out_of_place"]["time_us"]) for r in entry["rows"]
                        if r.get("size_bytes") and (r.get("out_of_place") or {}).get("time_us") is not None)
        if points:
            sizes.update(p[0] for p in points)
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3,
                    label="%s, %s" % (entry["collective"], _series_label(entry)))
    if target_us is not None:
        ax.axhline(target_us, color="red", linestyle="--", linewidth=1, label="target < %g us (2 nodes)" % target_us)
    _size_axis(ax, sizes)
    ax.set_yscale("log")
    ax.set_ylabel("time (us, out of place)")
    ax.set_title("collective time against message size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _throughput_and_efficiency(left, right, names, points, key, xlabel, title):
    """Bars of tokens/s per GPU (left) and the measured efficiency line (right); returns [(count, %)]."""
    left.bar(names, [p["tokens_per_s_per_gpu"] for p in points], color="tab:blue")
    for i, p in enumerate(points):
        left.annotate("{:,.0f}".format(p["tokens_per_s_per_gpu"]), (i, p["tokens_per_s_per_gpu"]), ha="center",
                      va="bottom")
    left.set_xlabel(xlabel)
    left.set_ylabel("tokens/s per GPU (median of timed steps)")
    left.set_title(title)
    eff = [(p[key], p["efficiency"] * 100.0) for p in points if p["efficiency"] is not None]
    if eff:
        right.plot([e[0] for e in eff], [e[1] for e in eff], marker="o", color="tab:blue", label="measured")
        for count, pct in eff:
            right.annotate("%.1f %%" % pct, (count, pct), textcoords="offset points", xytext=(0, 6), ha="center")
    return eff


def plot_scaling(path, summary):
    """tokens/s per GPU and scaling efficiency against node count, with the per-count target lines."""
    points = sorted(summary["scaling"], key=lambda p: p["nodes"])
    counts = [p["nodes"] for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    names = [str(p["nodes"]) + ("" if p["run_id"] == summary["run_id"] else "\n(stored run)") for p in points]
    eff = _throughput_and_efficiency(left, right, names, points, "nodes", "nodes", "SFT throughput per GPU")
    colours = ("tab:green", "tab:orange", "tab:red", "tab:purple")
    scaling_targets = [t for t in summary["targets"] if t["name"].startswith("scaling_")]
    for colour, target in zip(colours, scaling_targets, strict=False):
        nodes = int(target["name"].split("_")[1])
        # A short bar at its own node count: each target applies to one node count only.
        right.hlines(target["target"], nodes / 1.35, nodes * 1.35, colors=colour, linestyles="--", linewidth=2,
                     label="target %g %% at %d nodes" % (target["target"], nodes))
    all_counts = sorted(set(counts) | {int(t["name"].split("_")[1]) for t in scaling_targets})
    right.set_xscale("log", base=2)
    right.set_xlim(min(all_counts) / 1.5, max(all_counts) * 1.5)
    right.set_xticks(all_counts)
    right.set_xticklabels([str(c) for c in all_counts])
    lows = [e[1] for e in eff] + [t["target"] for t in scaling_targets]
    right.set_ylim(min([*lows, 85.0]) - 5, max([*(e[1] for e in eff), 100.0]) + 5)
    right.set_xlabel("nodes")
    right.set_ylabel("scaling efficiency (%)")
    baseline = summary["scaling_baseline"] or {}
    right.set_title("efficiency vs 1 node (%s)" % baseline.get("source", "no baseline"))
    right.grid(True, alpha=0.3)
    right.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_gpu_scaling(path, gpu_scale):
    """The GPU sweep inside one node: tokens/s per GPU and efficiency against the GPU count."""
    points = gpu_scale["points"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    eff = _throughput_and_efficiency(left, right, [str(p["gpus"]) for p in points], points, "gpus",
                                     "GPUs in one node", "SFT throughput per GPU, one node")
    if eff:
        right.set_xscale("log", base=2)
        right.set_xticks([e[0] for e in eff])
        right.set_xticklabels([str(e[0]) for e in eff])
        right.set_ylim(min([*(e[1] for e in eff), 90.0]) - 5, max([*(e[1] for e in eff), 100.0]) + 5)
        right.legend(fontsize=8, loc="lower left")
    right.set_xlabel("GPUs in one node")
    right.set_ylabel("scaling efficiency (%)")
    right.set_title("efficiency vs 1 GPU")
    right.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_gpu_util(path, phase, hosts, target_pct=None, window=None):
    """GPU utilisation over time per node: the mean over its GPUs (solid) and the lowest GPU (dotted), the
    target line, and the timed steps the verdict is judged on (shaded)."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    start = min(s[0] for h in hosts.values() for s in h["samples"])
    for host, data in sorted(hosts.items()):
        if not data["samples"]:
            continue
        times = [s[0] - start for s in data["samples"]]
        (line,) = ax.plot(times, [s[1] for s in data["samples"]], label="%s mean" % host, linewidth=1)
        lowest = [min(s[3].values()) if s[3] else s[1] for s in data["samples"]]
        if any(s[2] > 1 for s in data["samples"]):
            ax.plot(times, lowest, linestyle=":", linewidth=1, color=line.get_color(), label="%s lowest GPU" % host)
    if window:
        ax.axvspan(window[0] - start, window[1] - start, color="tab:green", alpha=0.12, label="timed steps")
    if target_pct is not None:
        ax.axhline(target_pct, color="red", linestyle="--", linewidth=1, label="target %g %%" % target_pct)
    ax.set_ylim(0, 105)
    ax.set_xlabel("seconds since the first sample")
    ax.set_ylabel("GPU utilisation (%)")
    ax.set_title("GPU utilisation during %s" % phase)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def render_plots(run_dir, summary, collectives, telemetry):
    """Write every plot that has data; return the list of paths relative to run_dir. A plot that cannot be drawn
    from what was read is left out and said in summary["skipped"]; the others and report.md are still written."""
    plots_dir = os.path.join(run_dir, "plots")
    os.makedirs(plots_dir, exist_ok=True)
    jobs = []
    targets = {t["name"]: t["target"] for t in summary["targets"]}
    # one rank moves nothing between ranks: no bandwidth to plot
    moving = [e for e in collectives if e["rows"] and (e.get("ranks") or 2) >= 2]
    for name in sorted({e["collective"] for e in moving}):
        entries = [e for e in moving if e["collective"] == name]
        jobs.append(("busbw_%s.png" % name, plot_busbw,
                     (name, entries, summary["line_rate_gbps"], targets.get("bus_bandwidth"))))
    if moving:
        jobs.append(("latency.png", plot_latency, (moving, targets.get("latency_2_nodes"))))
    if summary["scaling"]:
        jobs.append(("scaling.png", plot_scaling, (summary,)))
    if (summary.get("gpu_scaling") or {}).get("points"):
        jobs.append(("scaling_gpus.png", plot_gpu_scaling, (summary["gpu_scaling"],)))
    windows = {contract.telemetry_label("sft", e["label"]): e.get("timed_window")
               for e in summary.get("sft_runs") or []}
    for phase, hosts in sorted(telemetry.items()):
        if any(h["samples"] for h in hosts.values()):
            jobs.append(("gpu_util_%s.png" % phase, plot_gpu_util,
                         (phase, hosts, targets.get("gpu_utilisation"), windows.get(phase))))
    written = []
    for name, plot, args in jobs:
        rel = os.path.join("plots", name)
        try:
            plot(os.path.join(run_dir, rel), *args)
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
            plt.close("all")
            summary.setdefault("skipped", []).append({"file": rel, "reason": "plot not drawn: %s" % exc})
            continue
        written.append(rel)
    return written


# -- report.md -------------------------------------------------------------------------------------
def fmt(value, reason=None, digits=4, scale=1.0, suffix=""):
    """A number for the report, or "n/a (reason)": absent values are never printed as 0."""
    if value is None:
        return "-" if reason == "-" else "n/a (%s)" % (reason or "not measured")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        scaled = value * scale
        if abs(scaled) >= 10 ** digits:
            return "{:,.0f}".format(scaled) + suffix  # no exponent for large throughputs
        return ("%." + str(digits) + "g") % scaled + suffix
    return str(value)


def _pass(value):
    return {True: "PASS", False: "FAIL", None: "not measured"}[value]


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _column in header) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return lines


def markdown(summary):
    out = ["# Benchmark report %s" % summary["run_id"], ""]
    if summary.get("verdict"):
        out += ["**%s**: %s." % (summary["verdict"]["verdict"], summary["verdict"]["detail"]), ""]
    out += [*_hardware(summary), ""]
    out += _table(
        ["run id", "nodes", "hosts", "GPUs per node", "device", "launcher", "preset", "model"],
        [[summary["run_id"], ", ".join(str(c) for c in summary["counts"] or []) or summary["nodes"],
          ", ".join(summary["hosts"] or []), fmt(summary["gpus_per_node"], "not recorded"),
          summary["device"], summary["launcher"], summary["preset"], summary["model"]]],
    )
    out += ["", "## Targets", ""]
    out += _table(
        ["target", "required", "measured", "result", "note"],
        [[t["name"], "%s %g %s" % (t["comparison"], t["target"], t["unit"]),
          fmt(t["measured"], t["reason"], suffix=" " + t["unit"]), _pass(t["pass"]), t["note"] or ""]
         for t in summary["targets"]],
    )
    out += ["", "## Phases", ""]
    out += _table(
        ["phase", "nodes (configuration)", "status", "reason", "started", "ended"],
        [[p.get("phase"), "%s (%s)" % (p.get("nodes"), p["label"]) if p.get("label") else p.get("nodes"),
          p.get("status"), p.get("reason") or "", p.get("started") or "-", p.get("ended")]
         for p in summary["phases"]],
    ) if summary["phases"] else ["No phase finished (phases.jsonl is empty or missing)."]
    out += ["", "## Preflight", ""]
    hosts = summary["hosts_checked"]
    out += _table(
        ["host", "preflight", "checks not passed"],
        [[host, fmt((data.get("preflight") or {}).get("ok"), "no preflight record"),
          "; ".join("%s: %s (%s)" % (c.get("name"), c.get("status"), c.get("detail"))
                    for c in (data.get("preflight") or {}).get("not_passed") or []) or "none"]
         for host, data in sorted(hosts.items())],
    ) if hosts else ["No preflight or environment record in the run directory."]
    out += ["", "## Collectives", "",
            "busbw as nccl-tests defines it (doc/PERFORMANCE.md): algbw x 2(n-1)/n for all_reduce, (n-1)/n for "
            "all_gather, reduce_scatter and alltoall, 1 for sendrecv; GB/s = 10^9 bytes/s. The fraction of the line "
            "rate is busbw x 8 / %g Gb/s, shown only between nodes." % summary["line_rate_gbps"], ""]
    out += _table(
        ["collective", "nodes", "ranks", "tool", "backend", "algo", "peak busbw GB/s", "Gb/s", "of line rate",
         "note"],
        [[c["collective"], _where(c),
          fmt(c["ranks"], "-"), c["tool"] or "-", c["backend"] or "-", c["algo"] or "default",
          fmt(c["peak_busbw_gbps"], c["reason"]), fmt(c["peak_busbw_gbits"], "-"),
          fmt(c["line_rate_fraction"], "-", digits=3, scale=100.0, suffix=" %"), c["note"] or ""]
         for c in summary["collectives"]],
    ) if summary["collectives"] else ["No collective test was run."]
    out += _intra_node(summary)
    lat = summary["latency"]
    out += ["", "Latency: %s" % (
        fmt(lat["latency_us"], lat.get("reason"), suffix=" us")
        + ("" if lat["latency_us"] is None else " (sendrecv, %s bytes, %d nodes, %s)%s" % (
            lat["size_bytes"], lat["nodes"], lat["tool"], "; " + lat["note"] if lat.get("note") else "")))]
    out += _plot_links(summary, "busbw_") + _plot_links(summary, "latency")
    if summary["weak_node"]:
        out += ["", "## Weak node search", "",
                "Each node alone and each pair of nodes; a result below 90 % of the median of its kind is flagged.", ""]
        out += _table(
            ["nodes", "collective", "algo", "peak busbw GB/s", "median GB/s", "of line rate", "flag"],
            [[w["label"], w["collective"], w["algo"] or "default", fmt(w["peak_busbw_gbps"], w["reason"]),
              fmt(w["median_gbps"], "-"), fmt(w["line_rate_fraction"], "-", digits=3, scale=100.0, suffix=" %"),
              "SLOW" if w["slow"] else ""] for w in summary["weak_node"]],
        )
    out += ["", "## SFT", "",
            "tokens/s and MFU are medians over the timed steps. MFU = 6 x N x tokens/s per GPU / 989 TFLOP/s "
            "(dense BF16 peak of H100/H200 SXM); 'with attention' adds 12 x L x h x s per token. GPU util is "
            "the mean of NVML utilization.gpu over the timed steps (the whole phase, with data loading, set-up and "
            "warm-up, in brackets): it counts any running kernel, so read it next to MFU. 'optimizer step s' is the "
            "median time of the optimizer step alone (the CPU Adam step with offload), part of each step's time.", ""]
    out += _table(
        ["nodes", "GPUs", "status", "tokens/s", "tokens/s per GPU", "TFLOP/s per GPU", "MFU", "MFU with attention",
         "GPU util", "optimizer step s", "loss first -> last", "peak mem GB", "settings", "model source"],
        [[s["nodes"], fmt(s["world_size"], "-"),
          s["status"] if s["status"] == "ok" else "%s: %s" % (s["status"], s["reason"]),
          fmt(s["tokens_per_s"], s["status"]), fmt(s["tokens_per_s_per_gpu"], s["status"]),
          fmt(s["tflops_per_gpu"], s["mfu_reason"]),
          fmt(s["mfu"], s["mfu_reason"], digits=3, scale=100.0, suffix=" %"),
          fmt(s["mfu_with_attention"], s["mfu_reason"], digits=3, scale=100.0, suffix=" %"),
          "%s (%s)" % (fmt(s["gpu_util_mean"], s["gpu_util_reason"], digits=3, suffix=" %"),
                       fmt(s.get("gpu_util_phase_mean"), "n/a", digits=3, suffix=" %")),
          fmt(s.get("optimizer_step_s"), "-", digits=3),
          "%s -> %s" % (fmt(s["loss_first"], "-"), fmt(s["loss_last"], "-")), fmt(s["peak_mem_gb"], "-"),
          _settings(s), s["model_source"] or "-"] for s in summary["sft_runs"]],
    ) if summary["sft_runs"] else ["SFT was not run."]
    out += ["", *(_diagnosis(s) for s in summary["sft_runs"] if s.get("diagnosis"))]
    out += [line for s in summary["sft_runs"] for line in _cpu_binding(s)]
    out += ["", "## Network and hosts", "", *_network(summary)]
    out += ["", "## Scaling", ""]
    base = summary["scaling_baseline"]
    if base is None:
        out += ["n/a (%s)" % summary["scaling_reason"]]
    else:
        baseline = (fmt(base["tokens_per_s_per_gpu"]), base["source"], base["run_id"])
        out += ["Efficiency = tokens/s per GPU at N nodes / tokens/s per GPU at 1 node; the 1-node baseline "
                "(%s tokens/s per GPU) is from %s %s." % baseline, ""]
        out += _table(
            ["nodes", "tokens/s per GPU", "efficiency", "from run"],
            [[p["nodes"], fmt(p["tokens_per_s_per_gpu"]), fmt(p["efficiency"], "no baseline", digits=4,
                                                              scale=100.0, suffix=" %"), p["run_id"]]
             for p in summary["scaling"]],
        )
    out += _gpu_sweep(summary.get("gpu_scaling"))
    out += _prediction(summary.get("prediction") or [])
    out += _plot_links(summary, "scaling")
    out += ["", "## GPU utilisation over time", ""]
    util_plots = [p for p in summary.get("plots", []) if os.path.basename(p).startswith("gpu_util_")]
    if not util_plots:
        out += ["n/a: no GPU samples in any phase (%s)." % (summary["sft"].get("gpu_util_reason") or "no telemetry")]
    out += _plot_links(summary, "gpu_util_")
    out += _skipped(summary.get("skipped") or [])
    out += ["", "## Environment", ""]
    out += _environment(hosts)
    out += ["", "Files: summary.json (every number above), phases.jsonl, events.jsonl, callback_summary.json, "
            "env/, preflight/, nccl/, sft/, telemetry/, counters/.", ""]
    return "\n".join(out)


def _skipped(skipped):
    """What the report could not read, file by file: a damaged file costs its line, never the report."""
    if not skipped:
        return []
    out = ["", "## Skipped (damaged or unreadable inputs)", "",
           "Each was left out, with the reason; everything else above was read.", ""]
    return out + _table(["file", "reason"], [[entry["file"], entry["reason"]] for entry in skipped])


def _where(collective):
    """The nodes column of a collective: "2", "2 (ring)", "1 (1 GPU)"."""
    if collective["variant"]:
        return "%d (%s)" % (collective["nodes"], collective["variant"])
    if collective.get("gpus"):
        return "%d (%d GPU%s)" % (collective["nodes"], collective["gpus"], "" if collective["gpus"] == 1 else "s")
    return collective["nodes"]


def _network(summary):
    """Per phase and node: Gb/s from the RoCE counters against the line rate, flagged counters, CPU and memory."""
    rows = []
    for n in summary.get("network") or []:
        c = n["counters"]
        nics = ", ".join("%s %s/%s" % (nic, fmt(r.get("tx_gbps"), "-", digits=3),
                                       fmt(r.get("rx_gbps"), "-", digits=3))
                         for nic, r in sorted(n["nics"].items())) or "-"
        clean = "none" if n["tx_gbps"] is not None else "-"
        rows.append([
            n["phase"], n["host"], fmt(n["seconds"], "-", digits=3),
            "%s / %s" % (fmt(n["tx_gbps"], n["reason"], digits=3), fmt(n["rx_gbps"], "-", digits=3))
            if n["tx_gbps"] is not None else "not present (%s)" % n["reason"],
            fmt(n["line_rate_fraction"], "-", digits=3, scale=100.0, suffix=" %"), nics,
            "%s / %s / %s" % tuple(fmt(c.get(k), "-") for k in ("ecn_marked_packets", "cnp_sent", "cnp_handled")),
            ", ".join("%s %s" % (k, fmt(c[k])) for k in n["anomalies"]) or clean,
            "%s / %s" % (fmt(n["cpu_pct_mean"], "-", digits=3), fmt(n["cpu_pct_max"], "-", digits=3))
            if n["cpu_pct_mean"] is not None else "not present (%s)" % n.get("host_reason"),
            fmt(n["mem_used_gib_max"], "-", digits=3)])
    if not rows:
        return ["No counters were gathered (counters/ is empty)."]
    return ["Rates are the counters' change over each phase (port_xmit_data / port_rcv_data, 4-byte words) divided "
            "by the phase's sampled duration, tx / rx, against the line rate of %g Gb/s per node. Flagged: any "
            "count of errors, discards, link-down, out-of-sequence, sequence errors, ACK timeouts, retransmits, "
            "out-of-buffer drops or pause frames; ECN marks and CNPs are congestion control at work, shown." % (
                summary["line_rate_gbps"]), "",
            *_table(["phase", "host", "seconds", "Gb/s tx / rx", "of line rate", "per NIC Gb/s tx/rx",
                     "ECN marked / CNP sent / handled", "flagged", "CPU % mean / max", "memory GiB max"], rows)]


def _cpu_binding(sft):
    """One line per SFT run: how many ranks were bound to their GPU's NUMA node, and why the others were not."""
    binding = sft.get("cpu_binding")
    if not binding:
        return []
    text = "CPU binding (%s): %d of %d ranks bound to their GPU's NUMA node%s" % (
        sft["label"], binding["bound"], binding["ranks"],
        " (NUMA nodes %s)" % ", ".join(str(n) for n in binding["numa_nodes"]) if binding["numa_nodes"] else "")
    if binding["not_bound"]:
        shown = binding["not_bound"][:4]
        more = len(binding["not_bound"]) - len(shown)
        text += "; not bound: %s%s" % ("; ".join(shown), " and %d more" % more if more else "")
    return ["", text + "."]


def _diagnosis(sft):
    bound, because = sft["diagnosis"]["bound"], sft["diagnosis"]["because"]
    verdict = "unknown" if bound == "unknown" else "**%s-bound**" % bound
    return "- Diagnosis %s: %s (%s)." % (sft["label"], verdict, because)


def _settings(sft):
    """ZeRO stage, micro-batch x accumulation, checkpointed layers and offload of one SFT run, in short."""
    if sft["status"] != "ok":
        return "-"
    ckpt = sft.get("checkpoint_layers")
    return "ZeRO-%s, %sx%s x %s, ckpt %s%s" % (
        sft["zero_stage"], sft["micro_batch_size"], sft["seq_len"], sft["grad_accum"],
        "-" if ckpt is None else ckpt,
        "" if sft.get("offload") in (None, "none", False) else ", offload %s" % sft["offload"])


def _gpu_sweep(gpu_scale):
    if gpu_scale is None:
        return []
    out = ["", "### GPUs inside one node", "",
           "Efficiency = tokens/s per GPU at k GPUs / tokens/s per GPU at 1 GPU of the same node, the node sweep's "
           "definition with GPUs for nodes: a loss here is inside the node (NVLink, PCIe, NUMA), not the fabric.", ""]
    if gpu_scale["reason"]:
        out += ["n/a (%s)" % gpu_scale["reason"], ""]
    if gpu_scale["points"]:
        out += _table(
            ["GPUs", "configuration", "tokens/s per GPU", "efficiency"],
            [[p["gpus"], p["label"], fmt(p["tokens_per_s_per_gpu"]),
              fmt(p["efficiency"], "no 1-GPU baseline", digits=4, scale=100.0, suffix=" %")]
             for p in gpu_scale["points"]],
        )
    return out


def _prediction(rows):
    if not rows:
        return []
    out = ["", "### Predicted from the measured parts", "",
           "What each point should reach given the baseline's step and the collectives measured at both counts "
           "(docs/scaling-model.md): low = no overlap of communication with compute, high = full overlap.", ""]
    out += _table(
        ["sweep", "count", "measured", "predicted", "communication s per step", "dominant", "verdict"],
        [[r["sweep"], r["count"], fmt(r["measured"], "-", digits=4, scale=100.0, suffix=" %"),
          "n/a (%s)" % r["reason"] if r["reason"] else "%s - %s" % (
              fmt(r["predicted_low"], digits=4, scale=100.0, suffix=" %"),
              fmt(r["predicted_high"], digits=4, scale=100.0, suffix=" %")),
          fmt(r.get("comm_s"), "-", digits=3), r.get("dominant") or "-", r["verdict"] or "-"] for r in rows],
    )
    return out


def _intra_node(summary):
    rows = summary.get("intra_node") or []
    if not rows:
        return []
    reference = rows[0]["nvlink_gbps"]
    out = ["", "### Between the GPUs of one node", "",
           "Against the NVLink of the GPU model (%s): %s. busbw counts one direction, so it compares with the "
           "per-direction figure. Algorithm and protocol are NCCL's own choice, from its TUNING log (NCCL_DEBUG=INFO,"
           " NCCL_DEBUG_SUBSYS=TUNING); '-' where it logged none (send/recv is not tuned)."
           % (summary.get("gpu_model") or "not recorded",
              "%g GB/s each way (%s)" % (reference, rows[0]["nvlink_source"]) if reference
              else rows[0]["nvlink_source"]), ""]
    out += _table(
        ["collective", "GPUs", "largest size", "busbw there GB/s", "algo/proto there", "peak busbw GB/s",
         "of NVLink", "smallest size", "time us", "algo/proto there"],
        [[r["collective"], r["gpus"], _size_label(r["largest_bytes"]), fmt(r["largest_busbw_gbps"], "-"),
          "%s/%s" % (r["largest_algo"] or "-", r["largest_proto"] or "-"), fmt(r["peak_busbw_gbps"], "-"),
          fmt(r["nvlink_fraction"], "-", digits=3, scale=100.0, suffix=" %"), _size_label(r["smallest_bytes"]),
          fmt(r["smallest_time_us"], "-"), "%s/%s" % (r["smallest_algo"] or "-", r["smallest_proto"] or "-")]
         for r in rows],
    )
    return out


def _plot_links(summary, prefix):
    return [""] + ["![%s](%s)" % (os.path.basename(p), p) for p in summary.get("plots", [])
                   if os.path.basename(p).startswith(prefix)]


# What an operator checks first, from each node's environment record (env/<host>.json, flattened).
_HARDWARE = (
    ("GPUs", "gpus"), ("driver", "driver"), ("CUDA driver API / toolkit", ("cuda_driver_api", "cuda_toolkit")),
    ("NCCL built (nccl-tests)", "nccl_built"), ("NCCL network plugin", "nccl_net_plugin"),
    ("NCCL system library", "nccl_library"), ("NCCL in torch (SFT)", "python_packages.torch.cuda.nccl"),
    ("torch", "python_packages.torch"), ("DeepSpeed", "python_packages.deepspeed"),
    ("transformers", "python_packages.transformers"), ("flash-attn", "python_packages.flash-attn"),
    ("OFED", "ofed"), ("OS / kernel", ("os", "kernel")),
)


def _gpus_text(value):
    try:
        gpus = json.loads(value) if isinstance(value, str) else value
        models = sorted({g.get("model") for g in gpus})
        return "%d x %s" % (len(gpus), ", ".join(str(m) for m in models)) if gpus else "none"
    except (TypeError, ValueError, AttributeError):
        return fmt(value, "absent")


def _common_row(name, values):
    """[name, the value most nodes have, the nodes that differ (named) or "all N nodes"]."""
    counts = {}
    for value in values.values():
        counts[value] = counts.get(value, 0) + 1
    common = max(sorted(counts), key=lambda v: counts[v])
    others = ["%s (%s)" % (h, v) for h, v in sorted(values.items()) if v != common]
    return [name, common, "; ".join(others) or "all %d node%s" % (len(values), "" if len(values) == 1 else "s")]


def _nccl_loaded_values(summary):
    """Per host, over the run's SFT configurations: the NCCL version(s) its ranks printed, the network, and whether
    that is the NCCL nccl_build installed there (sft/<label>/nccl_loaded.json)."""
    seen = {}
    for entry in summary.get("sft_runs") or []:
        for node in entry.get("nccl_loaded") or []:
            if not node.get("loaded"):
                continue
            built = ("nccl_build's" if node.get("match") else
                     "NOT nccl_build's %s" % node["built"] if node.get("built") else "nothing built there")
            network = ", ".join(node.get("network") or []) or "no network line"
            text = "%s via %s, %s%s" % (", ".join(node["loaded"]), network, built,
                                        " (%s)" % ", ".join(node["library"]) if node.get("library") else "")
            seen.setdefault(node["host"], set()).add(text)
    return {h: "; ".join(sorted(v)) for h, v in seen.items()}


def _hardware(summary):
    """Hardware and versions in one table, with every node that differs from the others named."""
    envs = {h: d["env"] for h, d in (summary.get("hosts_checked") or {}).items() if d.get("env")}
    if not envs:
        return ["No environment record (env/<host>.json): hardware and versions unknown."]
    rows = []
    for name, keys in _HARDWARE:
        keys = keys if isinstance(keys, tuple) else (keys,)
        rows.append(_common_row(name, {
            h: " / ".join(_gpus_text(e.get(k)) if k == "gpus" else fmt(e.get(k), "absent") for k in keys)
            for h, e in envs.items()}))
        if keys == ("python_packages.torch.cuda.nccl",):
            loaded = _nccl_loaded_values(summary)
            rows.append(_common_row("NCCL the SFT ranks loaded (version line)", loaded) if loaded else
                        ["NCCL the SFT ranks loaded (version line)", "not recorded",
                         "no GPU SFT run logged NCCL's version line (a CPU run uses gloo)"])
    kernels = sorted({e["attention"] for e in summary.get("sft_runs") or [] if e.get("attention")})
    rows.append(["attention kernel (SFT)", ", ".join(kernels) or "no SFT run", "from the workload's summary"])
    return _table(["hardware and versions", "value", "nodes"], rows)


def _environment(hosts):
    """Fields of the environment records: those that differ between hosts, and how many agree."""
    envs = {h: d["env"] for h, d in hosts.items() if d.get("env")}
    if not envs:
        return ["No environment record (env/<host>.json) in the run directory."]
    keys = sorted(set().union(*[set(e) for e in envs.values()]))
    differing = [k for k in keys if len({repr(e.get(k)) for e in envs.values()}) > 1]
    lines = ["%d fields recorded per host in env/<host>.json; %d agree on every host%s." % (
        len(keys), len(keys) - len(differing), "" if differing else ", none differ")]
    if differing and len(envs) > 1:
        columns = sorted(envs)
        rows = [[k, *(fmt(envs[h].get(k), "absent") for h in columns)] for k in differing[:40]]
        lines += ["", *_table(["field", *columns], rows)]
    return lines
