# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run directory, as one contract: where each result file of a run lives, what the phases are called,
and the shape of each record the playbook writes.

results/<run_id>/ (docs/architecture.md):
  run.json                       what was asked (RUN)
  phases.jsonl                   one line per phase and configuration as it ends (PHASE)
  preflight/<host>.json          checks of a node; env/<host>.json its environment record
  nccl/<label>/<collective>.json collective results (COLLECTIVE), with the raw log beside them
  sft/<label>/                   the workload's summary.json, metrics.jsonl and launch.log
  telemetry/<phase label>/<host>.jsonl and .summary.json; counters/<phase label>/<host>.json (COUNTERS)
  events.jsonl, callback_summary.json (the benchmark_recorder callback); report.md, summary.json, plots/

The action plugin run_record writes every record through ``build``; the report and the callback find files
through the path functions here. No Ansible import, so tests use it directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics

# -- names -------------------------------------------------------------------------------------------
# The phases a user selects (-e phases=...), and the name each has in phases.jsonl and in telemetry labels.
INPUT_PHASES = ("nccl", "weak", "sft", "report")
RECORDED_PHASE = {"nccl": "collectives", "weak": "weak", "sft": "sft"}
TELEMETRY_PREFIX = {"collectives": "nccl", "sft": "sft"}
PHASE_STATUSES = ("ok", "failed", "skipped")

# The controller fact that holds the run directory (set by entry point "run"; the callback reads it).
RUN_DIR_FACT = "h200_run_dir"
RUN_JSON = "run.json"
PHASES_JSONL = "phases.jsonl"
EVENTS_JSONL = "events.jsonl"
CALLBACK_SUMMARY = "callback_summary.json"
REPORT_MD = "report.md"
SUMMARY_JSON = "summary.json"
FOLDERS = ("env", "preflight", "nccl", "sft", "telemetry", "counters")


class RunRecordError(ValueError):
    """A record that does not have the contract's shape."""


def recorded_phase(input_phase):
    """``nccl`` -> ``collectives``: the name of a selected phase in phases.jsonl."""
    return RECORDED_PHASE[input_phase]


def telemetry_label(phase, config_label):
    """The label of a phase's telemetry and counters folders: ``nccl-n2``, ``sft-n1-g2``."""
    return "%s-%s" % (TELEMETRY_PREFIX.get(phase, phase), config_label)


# -- paths -------------------------------------------------------------------------------------------
def run_json(run_dir):
    return os.path.join(run_dir, RUN_JSON)


def phases_jsonl(run_dir):
    return os.path.join(run_dir, PHASES_JSONL)


def host_file(run_dir, folder, host):
    """preflight/<host>.json or env/<host>.json."""
    return os.path.join(run_dir, folder, "%s.json" % host)


def collective_file(run_dir, label, collective, suffix=".json"):
    """nccl/<label>/<collective>.json (label n2, n1-g2, n2-ring, weak/node-node001)."""
    return os.path.join(run_dir, "nccl", label, collective + suffix)


def counters_file(run_dir, label, host):
    return os.path.join(run_dir, "counters", label, "%s.json" % host)


def sft_summary(run_dir, label):
    return os.path.join(run_dir, "sft", label, "summary.json")


def sft_nccl(run_dir, label):
    """sft/<label>/nccl_loaded.json: per node, the NCCL its ranks loaded against the one nccl_build installed."""
    return os.path.join(run_dir, "sft", label, "nccl_loaded.json")


# -- what a run directory holds (the report's reading, sorted) -------------------------------------------
def collective_files(run_dir):
    """nccl/<configuration label>/<collective>.json (n2, n1-g2, n2-ring)."""
    return sorted(glob.glob(os.path.join(run_dir, "nccl", "n*", "*.json")))


def weak_node_files(run_dir):
    """nccl/weak/<node-host or pair-a-b>/<collective>.json."""
    return sorted(glob.glob(os.path.join(run_dir, "nccl", "weak", "*", "*.json")))


def telemetry_files(run_dir):
    """telemetry/<phase label>/<host>.jsonl."""
    return sorted(glob.glob(os.path.join(run_dir, "telemetry", "*", "*.jsonl")))


def sft_dirs(run_dir):
    """sft/<configuration label>/."""
    return sorted(glob.glob(os.path.join(run_dir, "sft", "n*")))


def counters_files(run_dir):
    """counters/<phase label>/<host>.json, with the label and host: [(label, host, path)]."""
    paths = sorted(glob.glob(os.path.join(run_dir, "counters", "*", "*.json")))
    return [(os.path.basename(os.path.dirname(p)), os.path.basename(p)[: -len(".json")], p) for p in paths]


def telemetry_summary(run_dir, label, host):
    """telemetry/<phase label>/<host>.summary.json: the sampler's per-GPU and host means, and its duration."""
    return os.path.join(run_dir, "telemetry", label, "%s.summary.json" % host)


def host_files(run_dir, folder):
    """preflight/<host>.json or env/<host>.json, with the host: [(host, path)]."""
    paths = sorted(glob.glob(os.path.join(run_dir, folder, "*.json")))
    return [(os.path.basename(path)[: -len(".json")], path) for path in paths]


# -- records -----------------------------------------------------------------------------------------
def _need(data, keys, record):
    missing = [k for k in keys if k not in data]
    if missing:
        raise RunRecordError("%s record lacks %s" % (record, ", ".join(missing)))


def _run(data, collection_version, now):
    _need(data, ("run_id", "run_dir", "phases", "hosts"), "run")
    return dict(data, collection_version=collection_version, started=data.get("started") or now)


def _phase(data, ended):
    _need(data, ("phase", "nodes", "status"), "phase")
    if data["status"] not in PHASE_STATUSES:
        raise RunRecordError("phase status %r is not one of %s" % (data["status"], ", ".join(PHASE_STATUSES)))
    reason = str(data.get("reason") or "")[:2000] or None
    return {
        "phase": data["phase"], "nodes": int(data["nodes"]), "status": data["status"],
        "label": data.get("label"), "gpus_per_node": data.get("gpus_per_node"), "reason": reason,
        "hosts": list(data.get("hosts") or []), "started": data.get("started"), "ended": ended,
    }


def _host(data, record):
    """A node's environment record (env) or preflight checks (preflight), as node_facts returned them."""
    _need(data, ("host",), record)
    return dict(data)


def _preflight(data):
    """A node's preflight checks as node_facts returned them, and the step that brings the SFT model and data
    (``sft_inputs``: its error, "" when it worked; left out when it did not run) as one more check: a node whose
    data failed is recorded failed, with the error, where the report and the operator read the checks."""
    record = _host({k: v for k, v in data.items() if k != "sft_inputs"}, "preflight")
    if data.get("sft_inputs") is not None:
        error = str(data["sft_inputs"])
        check = {"name": "sft_inputs", "status": "fail" if error else "pass",
                 "detail": error or "model and data ready, data prepared"}
        record.update(ok=bool(record.get("ok")) and not error, checks=[*(record.get("checks") or []), check])
    return record


def _preflight_failure(data):
    _need(data, ("host", "reason"), "preflight")
    return {"host": data["host"], "ok": False, "reason": data["reason"],
            "checks": [{"name": "preflight", "status": "fail", "detail": data["reason"]}]}


def _counters(data):
    _need(data, ("host",), "counters")
    after = data.get("after") or {}
    return {"host": data["host"], "before": data.get("before") or {}, "after": after.get("readings") or {},
            "delta": after.get("delta") or {}, "totals": after.get("totals") or {},
            "wrapped": after.get("wrapped") or [], "reset": after.get("reset") or [],
            "absent": after.get("absent") or []}


def _sft_nccl(data):
    """Per SFT host: the NCCL its ranks loaded (NCCL's version line, and the libnccl.so.2 file torch calls), the
    network, and the NCCL nccl_build installed there. ``match`` is true when every rank printed the built version
    and, where the files are known, every rank calls the preloaded (built) file: torch may bundle the same version.
    None when nothing can be compared (no NCCL line: a CPU run, NCCL_DEBUG overridden; or nothing built)."""
    _need(data, ("hosts", "loaded"), "sft_nccl")
    loaded = data.get("loaded") or {}
    built = data.get("built") or {}
    hostnames = data.get("hostnames") or {}
    preloaded_dir = os.path.dirname(data["preloaded"]) if data.get("preloaded") else None
    by_host = {}
    for rank in data.get("libraries") or []:
        if isinstance(rank, dict) and rank.get("path"):
            by_host.setdefault(str(rank.get("host")), set()).add(str(rank["path"]))
    nodes = []
    for host in data["hosts"]:
        # NCCL names a host by its gethostname up to the first dot, which need not be the inventory's name
        names = [str(n) for n in (hostnames.get(host), host) if n and n != "not present"]
        seen = next((loaded[n] for n in names + [n.split(".", 1)[0] for n in names] if n in loaded), {})
        versions = [v.split("+")[0] for v in seen.get("version") or []]
        made = built.get(host)
        made = None if made in (None, "", "not present") else str(made)
        files = sorted(set().union(*[by_host.get(n, set()) for n in names]))
        match = (versions == [made]) if (versions and made) else None
        if match and files:
            match = bool(preloaded_dir) and all(f.startswith(preloaded_dir + "/") for f in files)
        nodes.append({"host": host, "hostname": hostnames.get(host),
                      "loaded": seen.get("version") or [], "network": seen.get("network") or [],
                      "external_plugin": seen.get("external_plugin") or [], "processes": seen.get("processes", 0),
                      "library": files, "built": made, "match": match})
    return {"device": data.get("device"), "preloaded": data.get("preloaded"), "nodes": nodes}


_NCCL_TESTS_KEYS = ("rows", "avg_busbw_gbps", "peak_busbw_gbps", "complete", "nccl_version", "failures", "cmd",
                    "problems", "input_warnings")


def _collective(data):
    """One collective's result: the run's facts (tool, nodes, GPUs per node, hosts, algo) and what the tool
    gave: the nccl_tests module's parsed output, the PyTorch benchmark's JSON, or the error of a failed one."""
    _need(data, ("tool", "nodes", "hosts"), "collective")
    record = {"tool": data["tool"], "nodes": int(data["nodes"]), "gpus_per_node": data.get("gpus_per_node"),
              "hosts": list(data["hosts"]), "algo": data.get("algo")}
    if data.get("error"):
        record.update(rows=[], peak_busbw_gbps=None, error=data["error"])
    elif data["tool"] == "nccl-tests":
        result = data.get("result") or {}
        record.update(backend="nccl", ranks=result.get("ranks", data.get("ranks")))
        record.update({k: result.get(k) for k in _NCCL_TESTS_KEYS})
        for key in ("failures", "cmd", "problems", "input_warnings"):
            record[key] = record[key] or []
    else:
        output = data.get("result") or {}
        # collectives.py writes {"tool", "backend", "nodes", "ranks", "hosts", "ops": {<collective>: {...}}}
        one = output["ops"].get(data.get("collective"), {}) if isinstance(output.get("ops"), dict) else output
        record.update(one)
        record["peak_busbw_gbps"] = metrics.peak_busbw(record.get("rows"))
    return record


_BUILDERS = {
    "run": lambda data, env: _run(data, env["collection_version"], env["now"]),
    "phase": lambda data, env: _phase(data, env["now"]),
    "env": lambda data, env: _host(data, "env"),
    "preflight": lambda data, env: _preflight(data),
    "preflight_failure": lambda data, env: _preflight_failure(data),
    "counters": lambda data, env: _counters(data),
    "collective": lambda data, env: _collective(data),
    "sft_nccl": lambda data, env: _sft_nccl(data),
}
RECORDS = tuple(sorted(_BUILDERS))


def build(record, data, collection_version=None, now=None):
    """The record's content (a dict) from the task's structured data; ``now`` is when it is written (a run's
    start, a phase's end)."""
    if record not in _BUILDERS:
        raise RunRecordError("record %r is not one of %s" % (record, ", ".join(RECORDS)))
    if not isinstance(data, dict):
        raise RunRecordError("%s record: data must be a mapping, got %s" % (record, type(data).__name__))
    return _BUILDERS[record](data, {"collection_version": collection_version, "now": now})


def path_of(run_dir, record, data, label=None, collective=None):
    """Where a record goes."""
    if record == "run":
        return run_json(run_dir)
    if record == "phase":
        return phases_jsonl(run_dir)
    if record in ("env", "preflight"):
        return host_file(run_dir, record, data["host"])
    if record == "preflight_failure":
        return host_file(run_dir, "preflight", data["host"])
    if record == "counters":
        return counters_file(run_dir, label, data["host"])
    if record == "collective":
        return collective_file(run_dir, label, collective)
    if record == "sft_nccl":
        return sft_nccl(run_dir, label)
    raise RunRecordError("record %r has no path" % (record,))


def collection_version(collection_root):
    """The version of the collection at ``collection_root``: MANIFEST.json when installed, galaxy.yml in a
    checkout; None when neither says."""
    manifest = os.path.join(collection_root, "MANIFEST.json")
    if os.path.isfile(manifest):
        with open(manifest) as handle:
            return json.load(handle).get("collection_info", {}).get("version")
    galaxy = os.path.join(collection_root, "galaxy.yml")
    if os.path.isfile(galaxy):
        with open(galaxy) as handle:
            for line in handle:
                if line.startswith("version:"):
                    return line.split(":", 1)[1].strip().strip("'\"")
    return None
