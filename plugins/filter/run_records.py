# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that read the run directory's JSON lines as they are, cut-off lines included, and check values that
end up in generated files (nccl.conf, .deepspeed_env, hostfiles), so that the playbooks never parse JSON or
judge such values in Jinja.

json_records: the JSON objects of a JSON-lines text; a line that is not one (a half-written last line of a running
job, a truncated phases.jsonl) is left out.
last_json_record: the last of them, or {} (the SFT progress line while metrics.jsonl is being written).
json_object: a JSON object from a whole text, or {} when it is not one (a summary.json cut off by a dead node).
setting_errors: what is wrong with a mapping whose items become NAME=VALUE lines: names of letters, digits and
underscores that do not start with a digit, values without newlines or other control characters; '' when fine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics, nccl_output, run_dir

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def json_records(text):
    records = []
    for line in (text or "").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def last_json_record(text):
    records = json_records(text)
    return records[-1] if records else {}


def json_object(text):
    try:
        data = json.loads(text or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def recorded_phases(selected):
    """The phases.jsonl names of the selected configuration phases, in run order: [nccl, sft] -> [collectives, sft]."""
    return [run_dir.recorded_phase(p) for p in ("nccl", "sft") if p in selected]


def collective_line(record, collective, label):
    """One line as a collective finishes: ``all_reduce n2: peak busbw 92.1 GB/s (737 Gb/s) at 8 GiB, 8-byte time
    21.3 us`` (the peak by metrics.peak_busbw; the time of the smallest message, out of place)."""
    record = record if isinstance(record, dict) else {}
    if record.get("error"):
        return "%s %s: failed: %s" % (collective, label, str(record["error"])[:300])
    rows = [r for r in record.get("rows") or [] if isinstance(r, dict)]
    peak = metrics.peak_busbw(rows)
    if peak is None:
        return "%s %s: no result" % (collective, label)
    # the smallest message that moved bytes (nccl-tests prints 0-byte rows where a size does not divide)
    sized = [r for r in rows if (r.get("size_bytes") or 0) > 0] or rows
    smallest = min(sized, key=lambda r: r.get("size_bytes") or 0)
    time_us = (smallest.get("out_of_place") or {}).get("time_us")
    time_text = "{}-byte time {}".format(smallest.get("size_bytes"),
                                         "%.1f us" % time_us if time_us is not None else "not measured")
    if (record.get("ranks") or 2) < 2:
        return "%s %s: one rank, no bandwidth between ranks; %s" % (collective, label, time_text)
    at = max((r for r in rows if (r.get("out_of_place") or {}).get("busbw_gbps") == peak
              or (r.get("in_place") or {}).get("busbw_gbps") == peak), key=lambda r: r.get("size_bytes") or 0)
    return "{} {}: peak busbw {:.1f} GB/s ({:.0f} Gb/s) at {:,} B, {}".format(
        collective, label, peak, peak * metrics.BITS_PER_BYTE, at.get("size_bytes") or 0, time_text)


def setting_errors(mapping, variable):
    if mapping is None:
        return ""
    if not isinstance(mapping, dict):
        return "%s must be a mapping of NAME: value, got %r" % (variable, mapping)
    problems = []
    for name, value in mapping.items():
        if not _NAME.match(str(name)):
            problems.append("name %r is not letters, digits and underscores" % (name,))
        if isinstance(value, (dict, list)) or _CONTROL.search(str(value)):
            problems.append("value of %s holds a newline, another control character or a structure: %r"
                            % (name, value))
    if not problems:
        return ""
    return "%s is not accepted (its items become NAME=VALUE lines of generated files): %s" % (
        variable, "; ".join(problems))


class FilterModule(object):
    def filters(self):
        return {"json_records": json_records, "last_json_record": last_json_record, "json_object": json_object,
                "setting_errors": setting_errors,
                # the run directory's names (module_utils/run_dir.py): nccl -> collectives; sft, n2 -> sft-n2
                "recorded_phases": recorded_phases, "telemetry_label": run_dir.telemetry_label,
                "collective_line": collective_line,
                # NCCL's version and network lines in a launcher's output, per host (module_utils/nccl_output.py)
                "loaded_nccl": nccl_output.loaded_nccl}
