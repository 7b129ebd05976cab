# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One report over many runs (a campaign): every run directory under a results folder is read with the same
code as its own report (report.build_summary), then

- SFT scaling from separate runs of the same configuration (model, preset, device, sequence length,
  micro-batch, ZeRO stage, GPUs per node): per configuration label the median tokens/s per GPU of its runs,
  with the spread, and the efficiency against the median of the 1-node (or 1-GPU) runs;
- collectives: per collective and configuration, the median peak busbw of the runs, against the line rate;
- the targets judged on those medians, the spread beside them; one verdict;
- a link to each run's own report; a run that cannot be read is listed as skipped, with why.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import statistics

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics, node_selection
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import run_dir as contract
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report

_RUN_ID = re.compile(r"^\d{8}-\d{6}-n[0-9-]+(-g[0-9-]+)?$")
# what makes SFT results of two runs comparable
GROUP_KEYS = ("model", "preset", "device", "seq_len", "micro_batch_size", "zero_stage", "gpus_per_node")


def _spread(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return {"median": statistics.median(values), "min": values[0], "max": values[-1], "n": len(values)}


def _run_dirs(results_root):
    """Run directories: folders with a run.json, and folders named like a run (which are reported skipped)."""
    if not os.path.isdir(results_root):
        raise report.ReportError("runs=%r is not a directory of run directories" % (results_root,))
    found = []
    for name in sorted(os.listdir(results_root)):
        path = os.path.join(results_root, name)
        if os.path.isdir(path) and (os.path.isfile(contract.run_json(path)) or _RUN_ID.match(name)):
            found.append(path)
    return found


def _sft_groups(runs):
    groups = {}
    for run in runs:
        for entry in run["summary"].get("sft_runs") or []:
            if entry.get("status") != "ok" or entry.get("tokens_per_s_per_gpu") is None:
                continue
            # the node's GPUs, not the ones a GPU-sweep configuration used: the sweep stays one configuration
            key = tuple(run["summary"].get(k) if k == "gpus_per_node" else entry.get(k) for k in GROUP_KEYS)
            rows = groups.setdefault(key, {})
            rows.setdefault(entry["label"], []).append({
                "run_id": run["run_id"], "nodes": entry.get("nodes"), "gpus": entry.get("gpus"),
                "sweep": entry.get("sweep") or "nodes", "tokens_per_s_per_gpu": entry["tokens_per_s_per_gpu"],
                "mfu": entry.get("mfu"), "gpu_util_mean": entry.get("gpu_util_mean")})
    out = []
    for key, by_label in sorted(groups.items(), key=lambda kv: [str(k) for k in kv[0]]):
        medians = {label: _spread([r["tokens_per_s_per_gpu"] for r in rows]) for label, rows in by_label.items()}
        table = []
        for label, rows in sorted(by_label.items(), key=lambda kv: (kv[1][0]["sweep"] != "gpus",
                                                                    kv[1][0]["nodes"] or 0, kv[1][0]["gpus"] or 0)):
            base_label = "n1-g1" if rows[0]["sweep"] == "gpus" else "n1"
            base = medians.get(base_label)
            tokens = medians[label]
            one_gpu = medians.get("n1-g1")
            table.append({
                # a node's configurations also against 1 GPU of it (the GPU sweep's efficiency)
                "efficiency_gpus": metrics.scaling_efficiency(tokens["median"], one_gpu["median"])
                if one_gpu and rows[0]["nodes"] == 1 and label != "n1-g1" else None,
                "label": label, "nodes": rows[0]["nodes"], "gpus": rows[0]["gpus"], "sweep": rows[0]["sweep"],
                "runs": [r["run_id"] for r in rows], "tokens_per_s_per_gpu": tokens,
                "mfu": _spread([r["mfu"] for r in rows]), "gpu_util_mean": _spread([r["gpu_util_mean"] for r in rows]),
                "efficiency": metrics.scaling_efficiency(tokens["median"], base["median"]) if base else None,
                "efficiency_reason": None if base else "no %s run of this configuration" % base_label,
            })
        out.append({"config": dict(zip(GROUP_KEYS, key)), "rows": table})
    return out


def _collectives(runs):
    by = {}
    for run in runs:
        for entry in run["summary"].get("collectives") or []:
            # one rank moves nothing between ranks: its busbw is not a bandwidth
            if entry.get("status") != "ok" or entry.get("variant") or (entry.get("ranks") or 0) < 2:
                continue
            label = node_selection.config_label(entry["nodes"], entry.get("gpus"))
            by.setdefault((entry["collective"], entry["nodes"], entry.get("gpus") or 0, label), []).append(
                entry.get("peak_busbw_gbps"))
    out = []
    for (collective, nodes, _gpus, label), values in sorted(by.items()):
        spread = _spread(values)
        out.append({"collective": collective, "nodes": nodes, "label": label, "peak_busbw_gbps": spread,
                    "peak_busbw_gbits_median": metrics.gbytes_to_gbits(spread["median"]) if spread else None})
    return out


def _targets(groups, collectives, runs, line_rate_gbps, targets):
    judged = []
    util = _spread([row["gpu_util_mean"]["median"] for g in groups for row in g["rows"]
                    if row["gpu_util_mean"] and row["nodes"] == max(r["nodes"] or 0 for r in g["rows"])])
    judged.append(report.target_record(  # the same target record as each run's report
        "gpu_utilisation", targets["gpu_util_pct"], "%", ">=", util and round(util["median"], 2),
        note=util and "median over configurations at their largest node count (min %.1f, max %.1f, %d)"
        % (util["min"], util["max"], util["n"]), reason=None if util else "no SFT run measured GPU utilisation"))
    for nodes, target in sorted(targets["scaling_pct"].items()):
        effs = [row["efficiency"] for g in groups for row in g["rows"]
                if row["sweep"] == "nodes" and row["nodes"] == nodes and row["efficiency"] is not None]
        best = max(effs) if effs else None
        judged.append(report.target_record(
            "scaling_%d_nodes" % nodes, target, "%", ">=", best and round(best * 100, 2),
            note="per-GPU tokens/s, median of runs at %d nodes / median at 1 node, same configuration" % nodes,
            reason=None if effs else "no %d-node and 1-node SFT runs of one configuration" % nodes))
    between = [c for c in collectives if c["nodes"] >= 2 and c["peak_busbw_gbps"]]
    best = max(between, key=lambda c: c["peak_busbw_gbps"]["median"]) if between else None
    gbits = best and round(best["peak_busbw_gbits_median"], 1)
    judged.append(report.target_record(
        "bus_bandwidth", targets["busbw_gbps"], "Gb/s", ">=", gbits,
        note=best and "%s at %d nodes, median of %d runs; line rate %.0f Gb/s (%.1f %% of it)%s" % (
            best["collective"], best["nodes"], best["peak_busbw_gbps"]["n"], line_rate_gbps,
            100 * gbits / line_rate_gbps,
            "; the target is above the line rate and cannot be met" if targets["busbw_gbps"] > line_rate_gbps else ""),
        reason=None if best else "no collective between nodes was measured"))
    latency = _spread([run["summary"].get("latency_us") for run in runs])
    judged.append(report.target_record(
        "latency_2_nodes", targets["latency_us"], "us", "<", latency and round(latency["median"], 2),
        note=latency and "median of %d runs (min %.1f, max %.1f)" % (latency["n"], latency["min"], latency["max"]),
        reason=None if latency else "no 2-node sendrecv was measured"))
    return judged


def build_campaign(results_root, line_rate_gbps=800, targets=None, weak_tolerance=0.1):
    targets = report.normalise_targets(targets)
    runs, skipped = [], []
    for path in _run_dirs(results_root):
        try:
            summary = report.build_summary(path, line_rate_gbps, targets, results_root, weak_tolerance)[0]
        except (report.ReportError, OSError, ValueError, TypeError, KeyError) as exc:
            skipped.append({"run": os.path.basename(path), "reason": str(exc) or type(exc).__name__})
            continue
        unreadable = [s for s in summary.get("skipped") or [] if s.get("file") == contract.RUN_JSON]
        if unreadable:  # without run.json, what the run measured cannot be told apart from what it skipped
            skipped.append({"run": os.path.basename(path), "reason": "run.json: %s" % unreadable[0]["reason"]})
            continue
        phases = [p for p in summary.get("phases") or [] if isinstance(p, dict)]
        runs.append({"run_id": os.path.basename(path), "summary": summary,
                     "report": os.path.join(os.path.basename(path), contract.REPORT_MD),
                     "failed_phases": ["%s %s: %s" % (p.get("phase"), p.get("label") or p.get("nodes"), p.get("reason"))
                                       for p in phases if p.get("status") == "failed"]})
    groups = _sft_groups(runs)
    collectives = _collectives(runs)
    judged = _targets(groups, collectives, runs, float(line_rate_gbps), targets)
    return {"results_root": results_root, "line_rate_gbps": float(line_rate_gbps), "verdict": report.verdict(judged),
            "targets": judged, "sft": groups, "collectives": collectives, "skipped": skipped,
            "runs": [dict({k: v for k, v in r.items() if k != "summary"},
                          model=r["summary"].get("model"), preset=r["summary"].get("preset"),
                          counts=r["summary"].get("counts"), gpu_counts=r["summary"].get("gpu_counts"),
                          device=r["summary"].get("device")) for r in runs]}


def _fmt(value, digits=1):
    return "—" if value is None else "{:,.{d}f}".format(value, d=digits)


def _spread_text(spread, digits=1, scale=1.0):
    if not spread:
        return "—"
    if spread["n"] == 1:
        return "%s (1 run)" % _fmt(spread["median"] * scale, digits)
    median, low, high = (_fmt(spread[k] * scale, digits) for k in ("median", "min", "max"))
    return "%s (%s to %s, %d runs)" % (median, low, high, spread["n"])


def markdown(campaign, out_dir):
    def link(path):
        return os.path.relpath(os.path.join(campaign["results_root"], path), out_dir)

    v = campaign["verdict"]
    lines = ["# Campaign report", "",
             "**%s**: %s, over %d runs in `%s`%s." % (v["verdict"], v["detail"], len(campaign["runs"]),
                                                      campaign["results_root"],
                                                      " (%d skipped)" % len(campaign["skipped"])
                                                      if campaign["skipped"] else ""),
             "", "## Targets over the campaign", "",
             "| target | goal | measured | result | how |", "| --- | --- | --- | --- | --- |"]
    for t in campaign["targets"]:
        result = {True: "PASS", False: "FAIL", None: "not measured"}[t["pass"]]
        lines.append("| %s | %s %s %s | %s | %s | %s |" % (
            t["name"], t["comparison"], _fmt(t["target"], 0), t["unit"],
            "—" if t["measured"] is None else "%s %s" % (_fmt(t["measured"], 1), t["unit"]), result,
            t["note"] or t["reason"] or ""))
    lines += ["", "## SFT over the campaign", "",
              "Per configuration: the median tokens/s per GPU of its runs, the spread in brackets; efficiency is the "
              "median at k nodes (GPUs) over the median at 1 node (GPU) of the same configuration."]
    for group in campaign["sft"] or []:
        c = group["config"]
        lines += ["", "### %s %s on %s, %s tokens x %s per micro-batch, ZeRO-%s, %s GPUs per node" % (
            c["model"], c["preset"], c["device"], c["seq_len"], c["micro_batch_size"], c["zero_stage"],
            c["gpus_per_node"]), "",
            "| configuration | tokens/s per GPU | efficiency | MFU | GPU util % | runs |",
            "| --- | --- | --- | --- | --- | --- |"]
        for row in group["rows"]:
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                row["label"], _spread_text(row["tokens_per_s_per_gpu"], 0),
                ("%.2f %%" % (row["efficiency"] * 100) if row["efficiency"] is not None else row["efficiency_reason"])
                + (" (%.2f %% against 1 GPU)" % (row["efficiency_gpus"] * 100) if row["efficiency_gpus"] else ""),
                _spread_text(row["mfu"], 1, 100.0), _spread_text(row["gpu_util_mean"], 1), ", ".join(row["runs"])))
    if not campaign["sft"]:
        lines += ["", "No SFT run finished."]
    lines += ["", "## Collectives over the campaign", "",
              "| collective | configuration | peak busbw GB/s | Gb/s (median) | of line rate |",
              "| --- | --- | --- | --- | --- |"]
    for c in campaign["collectives"]:
        fraction = (metrics.line_rate_fraction(c["peak_busbw_gbps"]["median"], campaign["line_rate_gbps"])
                    if c["nodes"] >= 2 and c["peak_busbw_gbps"] else None)
        lines.append("| %s | %s | %s | %s | %s |" % (
            c["collective"], c["label"], _spread_text(c["peak_busbw_gbps"], 1), _fmt(c["peak_busbw_gbits_median"], 0),
            "%.1f %%" % (fraction * 100) if fraction is not None else "inside one node"))
    lines += ["", "## Runs", "", "| run | model, preset | node counts | GPU counts | failed phases | report |",
              "| --- | --- | --- | --- | --- | --- |"]
    for run in campaign["runs"]:
        lines.append("| %s | %s %s | %s | %s | %s | [report.md](%s) |" % (
            run["run_id"], run["model"], run["preset"], ", ".join(str(n) for n in run["counts"] or []),
            ", ".join(str(n) for n in run["gpu_counts"] or []) or "—",
            "; ".join(run["failed_phases"]) or "none", link(run["report"])))
    if campaign["skipped"]:
        lines += ["", "## Skipped", ""] + ["- `%s`: %s" % (s["run"], s["reason"]) for s in campaign["skipped"]]
    return "\n".join(lines) + "\n"


def write_campaign(results_root, out_path, line_rate_gbps=800, targets=None, weak_tolerance=0.1):
    """Write the campaign report (Markdown) and its JSON beside it (same name, .json); return the campaign."""
    campaign = build_campaign(results_root, line_rate_gbps, targets, weak_tolerance)
    out_dir = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(out_dir, exist_ok=True)
    with open(out_path, "w") as handle:
        handle.write(markdown(campaign, out_dir))
    with open(os.path.splitext(out_path)[0] + ".json", "w") as handle:
        handle.write(strict_json.dumps(campaign, indent=2, sort_keys=True) + "\n")
    return campaign
