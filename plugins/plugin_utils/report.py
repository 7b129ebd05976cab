# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side report of a benchmark run directory: ``summary.json``, ``report.md``, ``plots/*.png``.

Reads the files of the run directory (layout in docs/architecture.md), never the nodes. Every number
that is absent (phase failed, GPU not present, counter absent) stays ``null`` in summary.json with a
reason next to it, and is printed as "n/a (reason)" in report.md, never as 0.

Definitions are not repeated here: busbw and MFU come from the workload's files as they are; scaling
efficiency and line-rate fraction come from ``module_utils/metrics.py``. What each field means is in
docs/report.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import os
import re

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import node_selection
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import run_dir as contract
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import scaling_model
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json

DEFAULT_TARGETS = {
    "gpu_util_pct": 90.0,
    "scaling_pct": {2: 98.0, 4: 95.0, 8: 90.0},
    "busbw_gbps": 920.0,
    "latency_us": 50.0,
}
# What must match for a stored 1-node SFT result to serve as the scaling baseline of this run.
BASELINE_KEYS = ("model", "preset", "device", "seq_len", "micro_batch_size", "zero_stage")
_RUN_DIR_NAME = re.compile(r"^\d{8}-\d{6}-n[0-9-]+(?:-g[0-9-]+)?$")


class ReportError(ValueError):
    """An input of the report (run directory, targets, line rate) is not acceptable."""


# -- input validation ------------------------------------------------------------------------------
def _number(name, value, positive=True):
    if isinstance(value, bool):
        raise ReportError("%s must be a number, got %r" % (name, value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ReportError("%s must be a number, got %r" % (name, value)) from None
    if math.isnan(number) or (positive and number <= 0):
        raise ReportError("%s must be a positive number, got %r" % (name, value))
    return number


def normalise_targets(targets):
    """Validate the targets (merged over DEFAULT_TARGETS); scaling keys become int node counts."""
    merged = dict(DEFAULT_TARGETS)
    merged.update(targets or {})
    unknown = sorted(set(merged) - set(DEFAULT_TARGETS))
    if unknown:
        raise ReportError(
            "h200_targets has unknown keys %s; accepted keys: %s" % (unknown, ", ".join(sorted(DEFAULT_TARGETS)))
        )
    scaling = merged["scaling_pct"]
    if not isinstance(scaling, dict):
        raise ReportError("h200_targets.scaling_pct must map node count to percent, e.g. {2: 98}, got %r" % (scaling,))
    out = {key: _number("h200_targets." + key, merged[key]) for key in ("gpu_util_pct", "busbw_gbps", "latency_us")}
    out["scaling_pct"] = {}
    for count, pct in scaling.items():
        if not re.match(r"^[0-9]+$", str(count)) or int(count) < 2:
            raise ReportError("h200_targets.scaling_pct keys must be node counts of 2 or more, got %r" % (count,))
        out["scaling_pct"][int(count)] = _number("h200_targets.scaling_pct[%s]" % count, pct)
    return out


# -- reading the run directory ---------------------------------------------------------------------
# Each file is read on its own: a damaged one is skipped (or the damaged lines of it), the reason naming the file
# goes to ``skipped``, and the rest of the report is still written (docs/report.md, "Damaged inputs").
_DAMAGE = (TypeError, ValueError, AttributeError, KeyError, IndexError)


def _skip(skipped, path, reason):
    if skipped is not None:
        skipped.append({"file": path, "reason": reason})


def _read_text(path, skipped):
    """The file's text, undecodable bytes replaced (and said); None when it does not exist or cannot be read."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        _skip(skipped, path, "unreadable: %s" % exc)
        return None
    text = raw.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in raw:
        _skip(skipped, path, "undecodable bytes replaced; the rest of the file was read")
    return text


def _load_json(path, skipped=None):
    """A JSON object from path; None (and the reason in skipped) when it is absent, not JSON or not an object."""
    text = _read_text(path, skipped)
    if text is None:
        return None
    try:
        data = json.loads(text, parse_constant=lambda name: None)  # NaN / Infinity become null
    except ValueError as exc:
        _skip(skipped, path, "not JSON (%s): file skipped" % exc)
        return None
    if not isinstance(data, dict):
        _skip(skipped, path, "a JSON %s where an object is expected: file skipped" % type(data).__name__)
        return None
    return data


def _load_jsonl(path, skipped=None):
    """The JSON objects of a JSON-lines file; a line that is not one (a line cut by a crash, a full disk) is
    left out and counted in skipped, the rest of the file still counts."""
    text = _read_text(path, skipped)
    records, bad = [], []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line, parse_constant=lambda name: None)
        except ValueError:
            bad.append(number)
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad.append(number)
    if bad:
        _skip(skipped, path, "%d line(s) not a JSON object (line %s): left out" % (
            len(bad), ", ".join(str(n) for n in bad[:5]) + (", ..." if len(bad) > 5 else "")))
    return records


def _finite(value):
    """A finite number (an int stays an int), else None: NaN, infinities, strings and booleans never reach a
    figure."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def _whole(value):
    """A non-negative whole number, else None."""
    number = _finite(value)
    return int(number) if number is not None and number >= 0 and number == int(number) else None


def _clean_rows(rows):
    """Collective rows with a whole size and finite numbers; anything else is left out."""
    out = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or _whole(row.get("size_bytes")) is None:
            continue
        clean = {"size_bytes": _whole(row["size_bytes"]), "algo": row.get("algo"), "proto": row.get("proto")}
        for half in ("out_of_place", "in_place"):
            place = row.get(half) if isinstance(row.get(half), dict) else {}
            clean[half] = {key: _finite(place.get(key)) for key in ("time_us", "algbw_gbps", "busbw_gbps")}
        out.append(clean)
    return out


def _selected(run, phase):
    """Whether the run was asked for ``phase`` (-e phases=...); a phase not asked for is not "missing"."""
    return phase in (run.get("phases") or [phase])


def _configs(run):
    """The configurations the run was asked to measure (run.json "configs"; older runs: one per node count)."""
    if isinstance(run.get("configs"), list):
        return [c for c in run["configs"] if isinstance(c, dict) and "label" in c]
    return [{"nodes": n, "gpus": run.get("gpus_per_node"), "label": node_selection.config_label(n), "sweep": "nodes"}
            for n in run.get("counts") or []]


def _phase_reason(phases, phase, nodes, label=None):
    """Why a phase at ``nodes`` (configuration ``label``) produced nothing: its phases.jsonl status and reason,
    or 'not run'. Records without a label (older runs) match by node count."""
    label = label or node_selection.config_label(nodes)
    for entry in reversed(phases):
        recorded = entry.get("label") or node_selection.config_label(entry.get("nodes") or 0)
        if entry.get("phase") == phase and recorded == label:
            status = entry.get("status")
            if status == "ok":
                return "phase ok, but no result file"
            return "phase %s: %s" % (status, entry.get("reason") or "no reason recorded")
    return "not run"


def _peak_busbw(data):
    """The peak busbw of a result file's rows (metrics.peak_busbw, the project's one rule); the file's own
    figure only where it has no usable row."""
    peak = metrics.peak_busbw(_clean_rows(data.get("rows")))
    return peak if peak is not None else _finite(data.get("peak_busbw_gbps"))


def read_collectives(run_dir, run, phases, line_rate_gbps, skipped=None):
    """One entry per collective result file in nccl/<label>/ (n<N>, n1-g<k>, n2-ring), plus entries for the
    missing ones. ``gpus`` is the GPUs per node of a GPU-sweep configuration, None for whole nodes."""
    entries = []
    for path in contract.collective_files(run_dir):
        parsed = node_selection.parse_config_label(os.path.basename(os.path.dirname(path)))
        if not parsed:
            continue
        nodes, gpus, variant = parsed
        data = _load_json(path, skipped)
        name = os.path.splitext(os.path.basename(path))[0]
        entry = None
        if isinstance(data, dict):
            try:
                entry = _collective_entry(name, nodes, variant, data, line_rate_gbps)
            except _DAMAGE as exc:
                _skip(skipped, path, "unusable result (%s: %s): file skipped" % (type(exc).__name__, exc))
        if entry is None:
            entry = _missing_collective(name, nodes, variant, "result file unreadable: %s" % path)
        entry["gpus"] = gpus
        entries.append(entry)
    found = {(e["collective"], e["nodes"], e["gpus"]) for e in entries if not e["variant"]}
    for config in _configs(run) if _selected(run, "nccl") else []:
        parsed = node_selection.parse_config_label(config["label"])
        if not parsed:
            continue
        nodes, gpus, _variant = parsed
        ranks = nodes * (config.get("ranks_per_node") or run.get("ranks_per_node") or 1)
        for name in run.get("collectives") or []:
            if name == "sendrecv" and ranks < 2:
                continue
            if (name, nodes, gpus) not in found:
                entry = _missing_collective(name, nodes, None,
                                            _phase_reason(phases, contract.recorded_phase("nccl"), nodes,
                                                          config["label"]))
                entry["gpus"] = gpus
                entries.append(entry)
    return sorted(entries, key=lambda e: (e["collective"], e["nodes"], e["gpus"] or 0, e["variant"] or ""))


def _collective_entry(name, nodes, variant, data, line_rate_gbps):
    peak = _peak_busbw(data)
    status = "ok" if peak is not None else "failed"
    inter_node = nodes >= 2
    fraction = metrics.line_rate_fraction(peak, line_rate_gbps) if inter_node else None
    note = None
    if not inter_node:
        note = "inside one node (NVLink or shared memory): not compared with the network line rate"
    elif fraction is not None and fraction > 1.0:
        note = (
            "above the line rate: algorithm %s counts traffic that stays inside a node; "
            "the NCCL_ALGO=Ring result shows what the links carry" % (data.get("algo") or "default")
        )
    return {
        "collective": name,
        "nodes": nodes,
        "variant": variant,
        "ranks": _whole(data.get("ranks")),
        "tool": data.get("tool") if isinstance(data.get("tool"), str) else None,
        "backend": data.get("backend") if isinstance(data.get("backend"), str) else None,
        "algo": data.get("algo") if isinstance(data.get("algo"), str) else None,
        "status": status,
        "reason": None if status == "ok" else (str(data.get("error") or "") or "no busbw in the result"),
        "peak_busbw_gbps": peak,
        "avg_busbw_gbps": _finite(data.get("avg_busbw_gbps")),
        "peak_busbw_gbits": metrics.gbytes_to_gbits(peak),
        "line_rate_gbps": line_rate_gbps,
        "line_rate_fraction": fraction,
        "note": note,
        "rows": _clean_rows(data.get("rows")),
        "gpus_per_node": _whole(data.get("gpus_per_node")),
    }


def _missing_collective(name, nodes, variant, reason):
    return {
        "collective": name,
        "nodes": nodes,
        "variant": variant,
        "ranks": None,
        "tool": None,
        "backend": None,
        "algo": None,
        "status": "missing",
        "reason": reason,
        "peak_busbw_gbps": None,
        "avg_busbw_gbps": None,
        "peak_busbw_gbits": None,
        "line_rate_gbps": None,
        "line_rate_fraction": None,
        "note": None,
        "rows": [],
    }


def latency(collectives):
    """2-node latency: time of the smallest message of sendrecv (out of place) between 2 nodes.

    Falls back to the smallest node count above 2 that has a sendrecv result, and says so.
    """
    candidates = [
        e for e in collectives if e["collective"] == "sendrecv" and e["nodes"] >= 2 and e["rows"] and not e["variant"]
    ]
    if not candidates:
        reasons = [e["reason"] for e in collectives if e["collective"] == "sendrecv" and e["reason"]]
        return {"latency_us": None, "reason": reasons[0] if reasons else "no sendrecv result between 2 nodes"}
    entry = min(candidates, key=lambda e: e["nodes"])
    row = min(entry["rows"], key=lambda r: r.get("size_bytes") or 0)
    time_us = (row.get("out_of_place") or {}).get("time_us")
    return {
        "latency_us": time_us,
        "reason": None if time_us is not None else "no time in the smallest sendrecv row",
        "collective": "sendrecv",
        "nodes": entry["nodes"],
        "size_bytes": row.get("size_bytes"),
        "tool": entry["tool"],
        "note": None if entry["nodes"] == 2 else "measured between %d nodes (no 2-node result)" % entry["nodes"],
    }


def _gpu_model(hosts):
    """The GPU model NVML named on the first host that recorded one (env/<host>.json)."""
    for host in sorted(hosts):
        try:  # lists are kept as JSON text in the flattened record
            gpus = json.loads(hosts[host].get("env", {}).get("gpus") or "[]")
        except ValueError:
            continue
        models = [g.get("model") for g in gpus if isinstance(g, dict) and g.get("model")]
        if models:
            return models[0]
    return None


def intra_node(collectives, gpu_model):
    """Collectives between the GPUs of one node (2 or more ranks on 1 node), against the NVLink reference of
    the GPU model: busbw at the largest size and the peak, the smallest message's time, and the algorithm and
    protocol NCCL chose at both ends (where it logged them)."""
    reference, source = metrics.nvlink_reference(gpu_model)
    out = []
    for e in collectives:
        # NCCL between GPUs only: gloo between CPU processes says nothing about NVLink
        if e["nodes"] != 1 or e["variant"] or e["status"] != "ok" or (e["ranks"] or 0) < 2 or not e["rows"] \
                or e["backend"] != "nccl":
            continue
        rows = [r for r in e["rows"] if r.get("size_bytes")]
        if not rows:
            continue
        small, large = min(rows, key=lambda r: r["size_bytes"]), max(rows, key=lambda r: r["size_bytes"])
        large_busbw = (large.get("out_of_place") or {}).get("busbw_gbps")
        out.append({
            "collective": e["collective"], "gpus": e["gpus"] or e["ranks"], "ranks": e["ranks"], "tool": e["tool"],
            "largest_bytes": large["size_bytes"], "largest_busbw_gbps": large_busbw,
            "largest_algo": large.get("algo"), "largest_proto": large.get("proto"),
            "peak_busbw_gbps": e["peak_busbw_gbps"],
            "smallest_bytes": small["size_bytes"], "smallest_time_us": (small.get("out_of_place") or {}).get("time_us"),
            "smallest_algo": small.get("algo"), "smallest_proto": small.get("proto"),
            "nvlink_gbps": reference, "nvlink_source": source,
            "nvlink_fraction": e["peak_busbw_gbps"] / reference if reference and e["peak_busbw_gbps"] else None,
        })
    return out


def read_weak_node(run_dir, line_rate_gbps, tolerance, skipped=None):
    """Per-node and per-pair results of the weak-node phase (nccl/weak/<label>/<collective>.json).

    A result is flagged when its peak busbw is below (1 - tolerance) x the median of its kind.
    """
    entries = []
    for path in contract.weak_node_files(run_dir):
        label = os.path.basename(os.path.dirname(path))
        kind = "node" if label.startswith("node-") else "pair"
        data = _load_json(path, skipped) or {}
        try:
            peak = _peak_busbw(data)
        except _DAMAGE as exc:
            _skip(skipped, path, "unusable result (%s): no busbw taken" % exc)
            peak, data = None, {}
        entries.append(
            {
                "label": label,
                "kind": kind,
                "collective": os.path.splitext(os.path.basename(path))[0],
                "algo": data.get("algo") if isinstance(data.get("algo"), str) else None,
                "peak_busbw_gbps": peak,
                "line_rate_fraction": metrics.line_rate_fraction(peak, line_rate_gbps) if kind == "pair" else None,
                "reason": None if peak is not None else (str(data.get("error") or "") or "no result"),
            }
        )
    for kind in ("node", "pair"):
        for collective in {e["collective"] for e in entries}:
            group = [e for e in entries if e["kind"] == kind and e["collective"] == collective]
            values = sorted(e["peak_busbw_gbps"] for e in group if e["peak_busbw_gbps"] is not None)
            median = values[len(values) // 2] if values else None
            for e in group:
                e["median_gbps"] = median
                e["slow"] = bool(
                    median and (e["peak_busbw_gbps"] is None or e["peak_busbw_gbps"] < (1.0 - tolerance) * median)
                )
    return entries


# Network counters that stay at zero on a healthy fabric during a benchmark: any count is flagged. ECN marks and
# CNPs are DCQCN at work (congestion control answering congestion): shown, not flagged. docs/report.md "Network".
NETWORK_ZERO = ("rx_errors", "tx_discards", "link_downed", "out_of_sequence", "packet_seq_err",
                "local_ack_timeout_err", "retransmits", "out_of_buffer", "pause_frames")
NETWORK_SHOWN = ("ecn_marked_packets", "cnp_sent", "cnp_handled")


def _nic_rates(delta, seconds):
    """Gb/s per device/port from the IB data counters (4-byte words), {"mlx5_0/1": {"tx_gbps", "rx_gbps"}}."""
    nics = {}
    for key, value in delta.items():
        for suffix, field in (("/counters/port_xmit_data", "tx_gbps"), ("/counters/port_rcv_data", "rx_gbps")):
            if key.endswith(suffix) and _finite(value) is not None and seconds:
                nics.setdefault(key[: -len(suffix)], {})[field] = value * 4 * 8 / seconds / 1e9
    return nics


def read_network(run_dir, line_rate_gbps, skipped=None):
    """Per phase and node: the RoCE counters' change turned into Gb/s (per NIC and in all, against the line
    rate), the counters that should stay at zero (flagged when not), ECN marks and CNPs, and the host's CPU and
    memory, from counters/<label>/<host>.json and telemetry/<label>/<host>.summary.json."""
    entries = []
    for label, host, path in contract.counters_files(run_dir):
        data = _load_json(path, skipped)
        data = data if isinstance(data, dict) else {}
        telemetry = _load_json(contract.telemetry_summary(run_dir, label, host), skipped)
        telemetry = telemetry if isinstance(telemetry, dict) else {}
        seconds = _finite(telemetry.get("duration_s"))
        delta = data.get("delta") if isinstance(data.get("delta"), dict) else {}
        totals = data.get("totals") if isinstance(data.get("totals"), dict) else {}
        # totals over every port, by module_utils/roce_counters.py (pause frames from ethtool's PFC counters)
        counts = {name: _finite(totals.get(name)) for name in NETWORK_ZERO + NETWORK_SHOWN}
        tx, rx = _finite(totals.get("tx_bytes")), _finite(totals.get("rx_bytes"))
        tx_gbps = tx * 8 / seconds / 1e9 if tx is not None and seconds else None
        rx_gbps = rx * 8 / seconds / 1e9 if rx is not None and seconds else None
        absent = [a for a in data.get("absent") or [] if isinstance(a, dict)]
        host_use = telemetry.get("host") if isinstance(telemetry.get("host"), dict) else {}
        cpu = host_use.get("cpu_pct") if isinstance(host_use.get("cpu_pct"), dict) else {}
        mem = host_use.get("mem_used_mib") if isinstance(host_use.get("mem_used_mib"), dict) else {}
        entries.append({
            "phase": label, "host": host, "seconds": seconds, "tx_gbps": tx_gbps, "rx_gbps": rx_gbps,
            "line_rate_fraction": (max(tx_gbps, rx_gbps or 0) / line_rate_gbps) if tx_gbps is not None else None,
            "nics": _nic_rates(delta, seconds), "counters": counts,
            "anomalies": [n for n in NETWORK_ZERO if counts.get(n)],
            "reason": None if tx is not None else (str(absent[0].get("reason")) if absent else "no counters"),
            "cpu_pct_mean": _finite(cpu.get("mean")), "cpu_pct_max": _finite(cpu.get("max")),
            # the sampler samples the host beside the GPUs: without a GPU telemetry source it records neither
            "host_reason": None if _finite(cpu.get("mean")) is not None else "; ".join(
                str(a.get("reason")) for a in telemetry.get("absent") or [] if isinstance(a, dict))[:300]
            or "no telemetry summary",
            "mem_used_gib_max": _finite(mem.get("max")) / 1024 if _finite(mem.get("max")) is not None else None,
        })
    return entries


def read_telemetry(run_dir, skipped=None):
    """Per phase dir (telemetry/<phase>-<label>/): per host the samples [(t, mean GPU util %, GPUs, {index: util %})]
    or the absence reason."""
    phases = {}
    for path in contract.telemetry_files(run_dir):
        phase = os.path.basename(os.path.dirname(path))
        host = os.path.basename(path)[: -len(".jsonl")]
        samples, absent = [], None
        damaged = 0
        for record in _load_jsonl(path, skipped):
            if record.get("record") == "absent":
                absent = "%s (%s)" % (record.get("gpu") or "not present", record.get("reason") or "no reason given")
            elif record.get("record") == "sample":
                gpus = record.get("gpus") if isinstance(record.get("gpus"), list) else []
                by_index = {
                    _whole(g.get("index", i)): _finite(g.get("util_pct"))
                    for i, g in enumerate(gpus)
                    if isinstance(g, dict) and _finite(g.get("util_pct")) is not None
                    and _whole(g.get("index", i)) is not None
                }
                if by_index and _finite(record.get("t")) is not None:
                    utils = list(by_index.values())
                    samples.append((_finite(record["t"]), sum(utils) / len(utils), len(utils), by_index))
                elif by_index or record.get("t") is not None:
                    damaged += 1
        if damaged:
            _skip(skipped, path, "%d sample(s) without a finite time or GPU index: left out" % damaged)
        if not samples and absent is None:
            absent = "no GPU samples recorded"
        phases.setdefault(phase, {})[host] = {"samples": samples, "absent": absent}
    return phases


def gpu_util_mean(telemetry_phase, window=None, gpus=None):
    """Mean GPU utilisation % over the GPU samples of every host of one phase; (value, reason, samples).

    window = (start, end) in Unix seconds keeps only the samples taken inside it (the timed SFT steps);
    gpus = k keeps only the GPUs of index < k (a GPU-sweep configuration runs on a node's first k GPUs).
    """
    if not telemetry_phase:
        return None, "no telemetry recorded for this phase", 0
    total = count = 0.0
    samples = 0
    for host in telemetry_phase.values():
        for t, _mean, _count, by_index in host["samples"]:
            utils = [u for i, u in by_index.items() if gpus is None or i < gpus]
            if utils and (window is None or window[0] <= t <= window[1]):
                total += sum(utils)
                count += len(utils)
                samples += 1
    if not count:
        if window is not None and any(host["samples"] for host in telemetry_phase.values()):
            return None, "no telemetry sample inside the timed steps (%.1f s)" % (window[1] - window[0]), 0
        reasons = sorted({"%s: %s" % (h, v["absent"]) for h, v in telemetry_phase.items()})
        return None, "; ".join(reasons), 0
    return total / count, None, samples


def _timed_window(summary):
    """(start, end) of the timed steps from the workload's summary, or None (older workload, no timed step)."""
    if not isinstance(summary, dict):
        return None
    start, end = summary.get("timed_t_start"), summary.get("timed_t_end")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end > start:
        return float(start), float(end)
    return None


def read_sft(run_dir, run, phases, telemetry, skipped=None):
    """One entry per configuration of the run (sft/<label>/summary.json), or why there is none."""
    entries = []
    configs = {c["label"]: c for c in _configs(run)} if _selected(run, "sft") else {}
    for path in contract.sft_dirs(run_dir):
        label = os.path.basename(path)
        parsed = node_selection.parse_config_label(label)
        if parsed and not parsed[2] and label not in configs:
            configs[label] = {"nodes": parsed[0], "gpus": parsed[1], "label": label,
                              "sweep": "gpus" if parsed[1] else "nodes"}
    for label, config in configs.items():
        nodes, subset, _variant = node_selection.parse_config_label(label)
        summary = _load_json(contract.sft_summary(run_dir, label), skipped)
        phase_telemetry = telemetry.get(contract.telemetry_label("sft", label))
        window = _timed_window(summary)
        phase_util, phase_reason, _phase_samples = gpu_util_mean(phase_telemetry, gpus=subset)
        # The target is judged on the timed steps: the phase also holds data loading, model set-up and warm-up.
        if window is not None:
            util, util_reason, samples = gpu_util_mean(phase_telemetry, window, gpus=subset)
            scope = "timed steps"
        else:
            util, util_reason, samples = phase_util, phase_reason, None
            scope = "whole SFT phase (the workload recorded no step times)"
        entry = {"label": label, "nodes": nodes, "sweep": config.get("sweep") or "nodes", "gpus": subset,
                 "gpus_used": subset or run.get("gpus_per_node"),
                 "gpu_util_mean": util, "gpu_util_reason": util_reason, "gpu_util_scope": scope,
                 "timed_window": list(window) if window else None,
                 "gpu_util_samples": samples, "gpu_util_phase_mean": phase_util}
        if not isinstance(summary, dict):
            entry.update(status="missing", reason=_phase_reason(phases, contract.recorded_phase("sft"), nodes, label))
        elif summary.get("status") != "ok":
            error = summary.get("error") if isinstance(summary.get("error"), dict) else {
                "message": str(summary.get("error") or summary.get("status") or "no status written")}
            entry.update(
                status="failed",
                reason="workload failed: %s%s"
                % (error.get("message") or "no message", (" (fix: %s)" % error["fix"]) if error.get("fix") else ""),
            )
        else:
            entry.update(status="ok", reason=None)
        for key in (
            "model", "model_source", "preset", "device", "world_size", "gpus_per_node", "zero_stage", "seq_len",
            "micro_batch_size", "grad_accum", "tokens_per_s", "tokens_per_s_per_gpu", "tflops_per_gpu", "mfu",
            "optimizer_step_s", "checkpoint_layers", "offload",
            "mfu_with_attention", "peak_mem_gb", "loss_first", "loss_last", "flops_convention", "timed_steps",
            "attention",
        ):
            value = summary.get(key) if isinstance(summary, dict) and entry["status"] == "ok" else None
            # figures are finite numbers or null; names and conventions stay text
            entry[key] = _finite(value) if key in _SFT_NUMBERS else (value if isinstance(value, str) else None)
        entry["comm_config"] = _comm_config(summary) if entry["status"] == "ok" else None
        entry["cpu_binding"] = cpu_binding(summary.get("affinity") if isinstance(summary, dict) else None)
        # per node, the NCCL the ranks loaded (NCCL's version line) against the one nccl_build installed
        loaded = _load_json(contract.sft_nccl(run_dir, label), skipped)
        entry["nccl_loaded"] = (loaded.get("nodes") if isinstance(loaded, dict)
                                and isinstance(loaded.get("nodes"), list) else None)
        if entry["status"] == "ok" and entry["mfu"] is None:
            entry["mfu_reason"] = "CPU: no peak" if entry["device"] == "cpu" else "not reported by the workload"
        else:
            entry["mfu_reason"] = None if entry["status"] == "ok" else entry["status"]
        entries.append(entry)
    return sorted(entries, key=lambda e: (e["nodes"], e["gpus"] or 10**6))


def cpu_binding(records):
    """The ranks' CPU binding from summary.json's ``affinity`` (one record per rank, h200_workload/affinity.py):
    ``{"ranks", "bound", "not_bound": ["rank R on HOST: reason", ...]}``, or None when the workload recorded none."""
    if not isinstance(records, list) or not records:
        return None
    rows = [r for r in records if isinstance(r, dict)]
    bound = [r for r in rows if r.get("status") == "bound"]
    return {"ranks": len(rows), "bound": len(bound),
            "not_bound": ["rank %s on %s: %s" % (r.get("rank"), r.get("host"), r.get("reason") or "no reason given")
                          for r in rows if r.get("status") != "bound"],
            "numa_nodes": sorted({r.get("numa_node") for r in bound if isinstance(r.get("numa_node"), int)})}


# Diagnosis thresholds (docs/report.md "Diagnosis"): a CPU optimizer step that takes this share of a step makes
# the run host-bound; GPU utilisation at or above this is busy; a fall of this many points from 1 node is lost to
# communication between nodes.
HOST_BOUND_SHARE = 0.25
BUSY_UTIL_PCT = 90.0
COMM_DROP_POINTS = 5.0


def diagnose(entry, one_node=None):
    """What bounds one SFT run, from what was measured: host (CPU optimizer step), communication (utilisation
    falling from 1 node), compute (GPUs busy), or unknown where the numbers do not decide. Returns
    {"bound", "because"}."""
    if entry.get("status") != "ok":
        return {"bound": "unknown", "because": "the run did not finish"}
    if entry.get("device") == "cpu":
        return {"bound": "unknown", "because": "a CPU run: no GPU to keep busy"}
    util = entry.get("gpu_util_mean")
    shape = [entry.get(k) for k in ("micro_batch_size", "seq_len", "grad_accum", "world_size")]
    tokens_per_step = math.prod(shape) if all(shape) else None
    step_s = tokens_per_step / entry["tokens_per_s"] if tokens_per_step and entry.get("tokens_per_s") else None
    optimizer_s = entry.get("optimizer_step_s")
    if step_s and optimizer_s is not None and optimizer_s / step_s >= HOST_BOUND_SHARE:
        return {"bound": "host", "because": "the optimizer step takes %.1f s of a %.1f s step (%.0f %%; offload: %s)"
                % (optimizer_s, step_s, 100 * optimizer_s / step_s, entry.get("offload") or "none")}
    if util is None:
        return {"bound": "unknown", "because": "no GPU utilisation over the timed steps (%s)"
                % (entry.get("gpu_util_reason") or "not measured")}
    base_util = (one_node or {}).get("gpu_util_mean")
    if entry.get("nodes", 1) >= 2 and base_util is not None and base_util - util >= COMM_DROP_POINTS:
        return {"bound": "communication", "because": "GPU utilisation falls from %.1f %% on 1 node to %.1f %% on %d"
                % (base_util, util, entry["nodes"])}
    if util >= BUSY_UTIL_PCT:
        mfu = entry.get("mfu")
        return {"bound": "compute", "because": "GPUs busy %.1f %% of the timed steps%s" % (
            util, ", MFU %.1f %%" % (100 * mfu) if mfu is not None else "")}
    return {"bound": "unknown", "because": "GPUs busy %.1f %% of the timed steps; neither the optimizer step nor a "
            "fall from 1 node explains the idle time (input or launch overhead are not measured)" % util}


_SFT_NUMBERS = ("world_size", "gpus_per_node", "zero_stage", "seq_len", "micro_batch_size", "grad_accum",
                "tokens_per_s", "tokens_per_s_per_gpu", "tflops_per_gpu", "mfu", "optimizer_step_s",
                "checkpoint_layers", "mfu_with_attention", "peak_mem_gb", "loss_first", "loss_last", "timed_steps")


def _comm_config(summary):
    """What the scaling model needs of an SFT run: parameters, ZeRO stage, step shape, buckets, overlap."""
    config = summary.get("deepspeed_config") if isinstance(summary.get("deepspeed_config"), dict) else {}
    zero = config.get("zero_optimization") if isinstance(config.get("zero_optimization"), dict) else {}
    return {"n_params": _whole(summary.get("n_params")), "zero_stage": _whole(summary.get("zero_stage")),
            "grad_accum": _whole(summary.get("grad_accum")),
            "micro_batch_size": _whole(summary.get("micro_batch_size")),
            "seq_len": _whole(summary.get("seq_len")), "reduce_bucket": _whole(zero.get("reduce_bucket_size")),
            "prefetch_bucket": _whole(zero.get("stage3_prefetch_bucket_size")),
            "overlap_comm": zero.get("overlap_comm") is True}


def _rows_by_op(collectives, nodes, gpus):
    """nccl rows [(size, out-of-place time us)] per collective of one configuration, and its rank count."""
    rows, ranks = {}, None
    for e in collectives:
        if e["nodes"] == nodes and e["gpus"] == gpus and not e["variant"] and e["status"] == "ok" and e["rows"]:
            rows[e["collective"]] = [(r.get("size_bytes"), (r.get("out_of_place") or {}).get("time_us"))
                                     for r in e["rows"]]
            ranks = e["ranks"] or ranks
    return rows, ranks


def _predict_point(base, point, collectives):
    """The predicted efficiency range of one SFT configuration against its baseline, or why there is none."""
    config = point["comm_config"] or {}
    try:
        plan = scaling_model.collectives_per_step(config.get("n_params"), config.get("zero_stage"),
                                                  config.get("grad_accum"), config.get("reduce_bucket"),
                                                  config.get("prefetch_bucket"))
        tokens = config["micro_batch_size"] * config["seq_len"] * config["grad_accum"]
        step_1 = tokens / base["tokens_per_s_per_gpu"]
        comm = []
        for entry in (base, point):
            ranks = entry["world_size"] or 1
            if ranks < 2:
                comm.append((0.0, []))
                continue
            rows, _measured_ranks = _rows_by_op(collectives, entry["nodes"], entry["gpus"])
            comm.append(scaling_model.communication_s(plan, rows, ranks))
        low, high = scaling_model.predict(step_1, comm[0][0], comm[1][0], bool(config.get("overlap_comm")))
    except (scaling_model.ScalingModelError, KeyError, TypeError, ZeroDivisionError) as exc:
        return {"reason": "not predicted: %s" % exc}
    return {"predicted_low": low, "predicted_high": high, "step_s_baseline": step_1, "comm_s_baseline": comm[0][0],
            "comm_s": comm[1][0], "terms": comm[1][1],
            "dominant": scaling_model.dominant(max(step_1 - comm[0][0], 0.0), comm[1][1]), "reason": None}


def predictions(sft, scale, gpu_scale, collectives):
    """Predicted beside measured for every point of both sweeps (module_utils/scaling_model.py)."""
    ok = {e["label"]: e for e in sft if e["status"] == "ok" and e["tokens_per_s_per_gpu"]}
    out = []
    sweeps = [("nodes", scale["points"], "nodes", node_selection.config_label(1))]
    if gpu_scale:
        sweeps.append(("gpus", gpu_scale["points"], "gpus", gpu_scale["baseline_label"]))
    for sweep, points, key, base_label in sweeps:
        base = ok.get(base_label)
        for p in points:
            label = p.get("label") or node_selection.config_label(p["nodes"])
            point = ok.get(label)
            if point is None or base is None or point is base:
                continue
            entry = {"sweep": sweep, "count": p[key], "label": label, "measured": p["efficiency"]}
            entry.update(_predict_point(base, point, collectives))
            entry["verdict"] = (None if entry["reason"] else
                                scaling_model.verdict(p["efficiency"], entry["predicted_low"], entry["predicted_high"]))
            out.append(entry)
    return out


def _stored_baseline(run_dir, results_root, like):
    """The newest other run under results_root whose 1-node SFT succeeded with the same configuration."""
    if not results_root or not os.path.isdir(results_root):
        return None
    this = os.path.realpath(run_dir)
    for name in sorted(os.listdir(results_root), reverse=True):
        other = os.path.join(results_root, name)
        if not _RUN_DIR_NAME.match(name) or os.path.realpath(other) == this:
            continue
        summary = _load_json(contract.sft_summary(other, "n1"))  # another run's damage is not ours
        if not isinstance(summary, dict) or summary.get("status") != "ok":
            continue
        if _finite(summary.get("tokens_per_s_per_gpu")) is None:
            continue
        if all(summary.get(key) == like.get(key) for key in BASELINE_KEYS):
            return {"source": "stored run", "run_id": name, "tokens_per_s_per_gpu": summary["tokens_per_s_per_gpu"]}
    return None


def scaling(run_dir, run_id, sft, results_root):
    """Scaling efficiency per node count against the 1-node per-GPU throughput.

    The baseline is this run's 1-node SFT when it succeeded, else the newest stored run with the same
    model, preset, device, sequence length, micro-batch and ZeRO stage (docs/report.md). Whole nodes only:
    the GPU sweep has its own baseline (gpu_scaling).
    """
    ok = [e for e in sft if e["status"] == "ok" and e["tokens_per_s_per_gpu"] is not None and not e["gpus"]]
    one = next((e for e in ok if e["nodes"] == 1), None)
    if one is not None:
        baseline = {"source": "this run", "run_id": run_id, "tokens_per_s_per_gpu": one["tokens_per_s_per_gpu"]}
    elif ok:
        baseline = _stored_baseline(run_dir, results_root, ok[0])
    else:
        baseline = None
    points = []
    if baseline is not None and one is None:
        points.append({"nodes": 1, "tokens_per_s_per_gpu": baseline["tokens_per_s_per_gpu"],
                       "efficiency": 1.0, "run_id": baseline["run_id"]})
    for e in ok:
        base = baseline["tokens_per_s_per_gpu"] if baseline else None
        points.append(
            {
                "nodes": e["nodes"],
                "tokens_per_s_per_gpu": e["tokens_per_s_per_gpu"],
                "efficiency": metrics.scaling_efficiency(e["tokens_per_s_per_gpu"], base),
                "run_id": run_id,
            }
        )
    reason = None
    if baseline is None:
        reason = (
            "no 1-node SFT result in this run or in a stored run with the same configuration"
            if ok else "no successful SFT run"
        )
    return {"baseline": baseline, "points": points, "reason": reason}


def gpu_scaling(sft):
    """The GPU sweep inside one node: per-GPU throughput at k GPUs over that at 1 GPU (the node sweep's
    definition, with GPUs for nodes). Tells a loss inside the node (NVLink, PCIe, NUMA) from one between nodes.
    Returns None when the run had no GPU sweep."""
    one_node = [e for e in sft if e["nodes"] == 1]
    if not any(e["sweep"] == "gpus" for e in one_node):
        return None
    ok = sorted((e for e in one_node if e["status"] == "ok" and e["tokens_per_s_per_gpu"] is not None),
                key=lambda e: e["world_size"] or e["gpus_used"])
    base = next((e for e in ok if (e["world_size"] or e["gpus_used"]) == 1), None)
    points = [
        {"gpus": e["world_size"] or e["gpus_used"], "label": e["label"],
         "tokens_per_s_per_gpu": e["tokens_per_s_per_gpu"],
         "efficiency": metrics.scaling_efficiency(e["tokens_per_s_per_gpu"], base["tokens_per_s_per_gpu"])
         if base else None}
        for e in ok
    ]
    failed = ["%s: %s" % (e["label"], e["reason"]) for e in one_node if e["status"] != "ok"]
    reason = None if base else "no successful 1-GPU SFT run" + (" (%s)" % "; ".join(failed) if failed else "")
    return {"baseline_label": base["label"] if base else None, "points": points, "reason": reason,
            "failed": failed}


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, "%s%s." % (prefix, key)))
        return out
    if isinstance(value, list):
        return {prefix[:-1]: json.dumps(value, sort_keys=True)}
    return {prefix[:-1]: value}


def read_hosts(run_dir, skipped=None):
    """Preflight result and flattened environment record of every host that has either."""
    hosts = {}
    for host, path in contract.host_files(run_dir, "preflight"):
        data = _load_json(path, skipped) or {}
        checks = data.get("checks") if isinstance(data.get("checks"), list) else []
        failed = [c for c in checks if isinstance(c, dict) and c.get("status") != "pass"]
        if len(failed) + len([c for c in checks if isinstance(c, dict) and c.get("status") == "pass"]) < len(checks):
            _skip(skipped, path, "checks that are not objects: left out")
        hosts.setdefault(host, {})["preflight"] = {"ok": data.get("ok") if isinstance(data.get("ok"), bool) else None,
                                                   "not_passed": failed}
    for host, path in contract.host_files(run_dir, "env"):
        hosts.setdefault(host, {})["env"] = _flatten(_load_json(path, skipped) or {})
    return hosts


# -- the summary -----------------------------------------------------------------------------------
def _target(name, target, unit, comparison, measured, note=None, reason=None):
    if measured is None:
        passed = None
    elif comparison == ">=":
        passed = measured >= target
    else:
        passed = measured < target
    return {
        "name": name,
        "target": target,
        "unit": unit,
        "comparison": comparison,
        "measured": measured,
        "pass": passed,
        "note": note,
        "reason": reason if measured is None else None,
    }


# one target record, for each run's report and the campaign report (plugin_utils/campaign.py)
target_record = _target


def verdict(targets):
    """PASS (every target measured and met), FAIL (one missed), INCOMPLETE (none missed, one not measured)."""
    passed = sum(1 for t in targets if t["pass"] is True)
    failed = [t["name"] for t in targets if t["pass"] is False]
    missing = [t["name"] for t in targets if t["pass"] is None]
    word = "FAIL" if failed else "INCOMPLETE" if missing else "PASS"
    detail = "%d of %d targets passed" % (passed, len(targets))
    if failed:
        detail += "; failed: %s" % ", ".join(failed)
    if missing:
        detail += "; not measured: %s" % ", ".join(missing)
    return {"verdict": word, "detail": detail}


def targets_table(targets, line_rate_gbps, sft, scale, collectives, lat):
    rows = []
    largest = max((e for e in sft if e["status"] == "ok"), key=lambda e: (e["nodes"], e["gpus"] or 10**6), default=None)
    util = largest["gpu_util_mean"] if largest else None
    rows.append(
        _target(
            "gpu_utilisation", targets["gpu_util_pct"], "%", ">=", util,
            note=None if largest is None else "mean over the %s, nodes=%d%s (NVML utilization.gpu); whole phase: %s"
            % (largest["gpu_util_scope"], largest["nodes"],
               ", %d samples" % largest["gpu_util_samples"] if largest["gpu_util_samples"] else "",
               "n/a" if largest["gpu_util_phase_mean"] is None else "%.1f %%" % largest["gpu_util_phase_mean"]),
            reason=largest["gpu_util_reason"] if largest else "no successful SFT run",
        )
    )
    points = {p["nodes"]: p for p in scale["points"]}
    for nodes, pct in sorted(targets["scaling_pct"].items()):
        point = points.get(nodes)
        eff = point["efficiency"] if point else None
        reason = scale["reason"] or ("no successful %d-node SFT run" % nodes)
        rows.append(
            _target("scaling_%d_nodes" % nodes, pct, "%", ">=", None if eff is None else eff * 100.0, reason=reason)
        )
    multi = [e for e in collectives if e["collective"] == "all_reduce" and e["nodes"] >= 2 and e["peak_busbw_gbits"]]
    best = max(multi, key=lambda e: e["peak_busbw_gbits"], default=None)
    note = None
    if targets["busbw_gbps"] > line_rate_gbps:
        note = (
            "physically impossible: the target %g Gb/s is above the %g Gb/s line rate of a node's links "
            "(h200_line_rate_gbps); busbw cannot exceed what the wires carry"
            % (targets["busbw_gbps"], line_rate_gbps)
        )
    if best is not None:
        where = "all_reduce peak busbw at %d nodes (%s) x 8" % (best["nodes"], best["tool"])
        note = where if note is None else where + "; " + note
    rows.append(
        _target(
            "bus_bandwidth", targets["busbw_gbps"], "Gb/s", ">=", best["peak_busbw_gbits"] if best else None,
            note=note, reason="no all_reduce result between 2 or more nodes",
        )
    )
    rows.append(
        _target("latency_2_nodes", targets["latency_us"], "us", "<", lat["latency_us"], note=lat.get("note"),
                reason=lat.get("reason"))
    )
    return rows


def _clean_run(run):
    """run.json's fields with the types the report relies on; a damaged field is dropped (run.json is skipped
    as a whole by _load_json when it is not an object)."""
    out = dict(run)
    for key in ("counts", "gpu_counts"):
        values = run.get(key) if isinstance(run.get(key), list) else []
        out[key] = [_whole(v) for v in values if _whole(v)]
    for key in ("hosts", "phases", "collectives"):
        values = run.get(key)
        out[key] = [str(v) for v in values] if isinstance(values, list) else None
    if not isinstance(run.get("configs"), list):
        out.pop("configs", None)
    for key in ("nodes", "gpus_per_node", "ranks_per_node"):
        out[key] = _whole(run.get(key))
    return out


def _clean_phases(records, path, skipped):
    """phases.jsonl records with a phase name and a whole node count; the others are left out and said."""
    out = []
    for record in records:
        nodes = _whole(record.get("nodes"))
        if not isinstance(record.get("phase"), str) or nodes is None:
            _skip(skipped, path, "a record without a phase name or node count: left out (%s)" % (
                json.dumps(record, sort_keys=True)[:200]))
            continue
        clean = dict(record, nodes=nodes)
        for key in ("label", "status", "reason", "started", "ended"):
            if clean.get(key) is not None and not isinstance(clean[key], str):
                clean[key] = str(clean[key])
        out.append(clean)
    return out


def build_summary(run_dir, line_rate_gbps=800, targets=None, results_root=None, weak_tolerance=0.1):
    """Read the run directory and return the summary (the content of summary.json plus plot data)."""
    if not os.path.isdir(run_dir):
        raise ReportError("run_dir %r is not a directory" % (run_dir,))
    line_rate_gbps = _number("h200_line_rate_gbps", line_rate_gbps)
    targets = normalise_targets(targets)
    run_path = contract.run_json(run_dir)
    if not os.path.exists(run_path):
        raise ReportError("%s is missing: the run directory was not created by benchmark.yml" % run_path)
    skipped = []
    run = _clean_run(_load_json(run_path, skipped) or {})
    run_id = run.get("run_id") or os.path.basename(os.path.normpath(run_dir))
    phases = _clean_phases(_load_jsonl(contract.phases_jsonl(run_dir), skipped), contract.phases_jsonl(run_dir),
                           skipped)
    collectives = read_collectives(run_dir, run, phases, line_rate_gbps, skipped)
    lat = latency(collectives)
    telemetry = read_telemetry(run_dir, skipped)
    sft = read_sft(run_dir, run, phases, telemetry, skipped)
    one_node = next((e for e in sft if e["label"] == "n1" and e["status"] == "ok"), None)
    for entry in sft:
        entry["diagnosis"] = diagnose(entry, one_node)
    scale = scaling(run_dir, run_id, sft, results_root)
    gpu_scale = gpu_scaling(sft)
    hosts = read_hosts(run_dir, skipped)
    # the largest configuration: most nodes, whole nodes before a GPU-sweep subset
    largest_sft = max((e for e in sft if e["status"] == "ok"), key=lambda e: (e["nodes"], e["gpus"] or 10**6),
                      default=None)
    summary = {
        "run_id": run_id,
        "nodes": run.get("nodes"),
        "counts": run.get("counts"),
        "hosts": run.get("hosts"),
        "gpus_per_node": run.get("gpus_per_node"),
        "device": run.get("device"),
        "launcher": run.get("launcher"),
        "preset": run.get("preset"),
        "model": run.get("model"),
        "line_rate_gbps": line_rate_gbps,
        "phases": phases,
        "collectives": [{k: v for k, v in e.items() if k != "rows"} for e in collectives],
        "latency_us": lat["latency_us"],
        "latency": lat,
        "sft": {
            key: (largest_sft or {}).get(key)
            for key in ("nodes", "tokens_per_s", "tokens_per_s_per_gpu", "mfu", "gpu_util_mean", "gpu_util_scope",
                        "gpu_util_phase_mean", "tflops_per_gpu")
        },
        "sft_runs": sft,
        "network": read_network(run_dir, line_rate_gbps, skipped),
        "scaling": scale["points"],
        "scaling_baseline": scale["baseline"],
        "scaling_reason": scale["reason"],
        "gpu_scaling": gpu_scale,
        "prediction": predictions(sft, scale, gpu_scale, collectives),
        "gpu_counts": run.get("gpu_counts") or [],
        "gpu_model": _gpu_model(hosts),
        "intra_node": intra_node(collectives, _gpu_model(hosts)),
        "weak_node": read_weak_node(run_dir, line_rate_gbps, weak_tolerance, skipped),
        "targets": targets_table(targets, line_rate_gbps, sft, scale, collectives, lat),
        "hosts_checked": hosts,
        "skipped": [dict(entry, file=os.path.relpath(entry["file"], run_dir)) for entry in skipped],
    }
    summary["verdict"] = verdict(summary["targets"])
    failed_phases = ["%s %s" % (p.get("phase"), p.get("label") or node_selection.config_label(p.get("nodes") or 0))
                     for p in summary["phases"] if isinstance(p, dict) and p.get("status") == "failed"]
    if failed_phases:  # a cluster whose phase failed is not accepted, whatever was measured
        summary["verdict"] = {"verdict": "FAIL", "detail": "%s; phases failed: %s" % (
            summary["verdict"]["detail"], ", ".join(failed_phases))}
    if largest_sft is None:
        reasons = "; ".join("%s: %s" % (e["label"], e["reason"]) for e in sft) or "SFT not run"
        summary["sft"]["reason"] = reasons
    else:
        summary["sft"]["mfu_reason"] = largest_sft["mfu_reason"]
        summary["sft"]["gpu_util_reason"] = largest_sft["gpu_util_reason"]
    return summary, collectives, telemetry


def write_report(run_dir, line_rate_gbps=800, targets=None, results_root=None, weak_tolerance=0.1):
    """Write summary.json, plots/*.png and report.md into run_dir; return the summary."""
    from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report_render

    summary, collectives, telemetry = build_summary(run_dir, line_rate_gbps, targets, results_root, weak_tolerance)
    if report_render.MISSING_LIBRARY:  # keep the numbers, then say what the plots and report.md need
        summary["plots"] = []
        _atomic_write(os.path.join(run_dir, contract.SUMMARY_JSON), _json(summary))
        raise ReportError("summary.json written, but no plots or report.md: %s is missing"
                          % report_render.MISSING_LIBRARY)
    plots = report_render.render_plots(run_dir, summary, collectives, telemetry)
    summary["plots"] = plots
    _atomic_write(os.path.join(run_dir, contract.SUMMARY_JSON), _json(summary))
    _atomic_write(os.path.join(run_dir, contract.REPORT_MD), report_render.markdown(summary))
    return summary


def _json(summary):
    """Strict JSON (no NaN or Infinity, which other readers refuse)."""
    return strict_json.dumps(summary, indent=2, sort_keys=True) + "\n"


def _atomic_write(path, text):
    with open(path + ".tmp", "w") as handle:
        handle.write(text)
    os.replace(path + ".tmp", path)
