# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing of nccl-tests results: the text table every version prints, and the ``-J`` JSON file.

Pure functions, used by the ``nccl_tests`` module on nodes and by tests on the controller, and
``run_to_file``, which runs the test with its output streamed to a file.

The text parser is driven by the table header rather than by fixed positions, because the header
changed over the years (the print formats are in nccl-tests ``src/common.cu`` / ``src/util.cu``):

* up to 2.12: ``size count type redop time algbw busbw error ...`` (no ``root``; ``error`` is the
  largest numeric deviation such as ``1e-06``, not a count of wrong elements);
* 2.13 onwards: ``size count type redop root time algbw busbw #wrong ...``; ``N/A`` where the
  result was not checked (``-c 0``, and the in-place half of alltoall);
* 2.17 onwards: ``# nccl-tests version X nccl-headers=N nccl-library=N`` and
  ``# Collective test starting: NAME`` before the table; optional per-iteration
  (``i_min i_max i_p99 i_cv%``) and ``timestamp`` columns.

Lines are read as they come from launchers: Slurm ``srun --label`` prefixes (`` 0: ``), Open MPI
``--tag-output`` prefixes (``[1,0]<stdout>:``), NCCL INFO/WARN lines between rows, and outputs cut
off by a crash (``complete`` is then false).

Damaged and hostile outputs are read, never trusted: bytes that are not UTF-8 are replaced (and named
in ``input_warnings`` with the file's path); whatever makes the result unfit to stand for the run (no
closing line, no rows, several result tables, a negative ``#wrong``, fewer ranks than launched) is a
reason in ``problems``, and ``complete`` is true only when there is none. Every number returned is
finite or None, so a result is always strict JSON.

With ``NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=TUNING`` NCCL's rank 0 logs the algorithm and protocol it chose for
each collective call (``AllReduce: 8 Bytes -> Algo RING proto LL channel{Lo..Hi}={0..0}``, NCCL
``src/enqueue.cc``); each row gets them as ``algo``/``proto`` (None where nothing was logged, as for
send/recv, which NCCL does not tune). The bytes NCCL logs are count x type size: the whole buffer for
all_reduce, one rank's part for all_gather and reduce_scatter.

Units are those nccl-tests prints: time in microseconds, bandwidths in GB/s (10^9 bytes/s).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import os
import re
import signal
import subprocess

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import metrics
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json

# A launcher prefix in front of a line: srun --label (" 0: ") or Open MPI --tag-output ("[1,0]<stdout>:").
_LAUNCHER_PREFIX = re.compile(r"^(?:\s*\d+: ?|\[\d+,\d+\]<std(?:out|err)>: ?)")
_TIME_COLUMNS = ("time", "cputime")
_WRONG_COLUMNS = ("#wrong", "wrong")
_ERROR_COLUMNS = ("error",)
_NCCL_TESTS_VERSION = re.compile(r"#\s*nccl-tests version (\S+) nccl-headers=(\d+) nccl-library=(\d+)")
_NCCL_VERSION_LINE = re.compile(r"NCCL version (\d+\.\d+\.\d+)(\S*)")
_TEST_NAME = re.compile(r"#\s*Collective test starting:\s*(\S+)")
_AVG_BUSBW = re.compile(r"Avg bus bandwidth\s*:\s*(\S+)")
_OUT_OF_BOUNDS = re.compile(r"Out of bounds values\s*:\s*(\d+)\s*(OK|FAILED)?")
_RANK_LINE = re.compile(r"#\s*Rank\s+(\d+)\s+(?:Group\s+(\d+)\s+)?Pid\s+(\d+)\s+on\s+(\S+)\s+device\s+(\d+)")
_CONFIG_LINE = re.compile(r"#\s*nThread\s")
_FAILURE_LINE = re.compile(
    r"(Test (?:\w+ )?failure|NCCL WARN|NCCL failure|Segmentation fault|Aborted|CANCELLED|srun: error)"
)
_MAX_FAILURE_LINES = 20
_TUNING_LINE = re.compile(r"NCCL INFO (\w+): (\d+) Bytes -> Algo (\S+) proto (\S+)")
_PREFIX = r"(?:\s*\d+: ?|\[\d+,\d+\]<std(?:out|err)>: ?)"
# The "# nThread ..." line is ~200 characters; _config's lazy pattern is quadratic on a hostile long line.
_MAX_CONFIG_LINE = 4096
_CUT_OFF = "output cut off before the Avg bus bandwidth line"
# A number longer than this is damage (int() of over 4,300 digits raises ValueError on Python 3.11).
_MAX_DIGITS = 30


def _nccl_log_segment(text):
    """A pattern for one NCCL log line ("host:pid:tid [dev] NCCL INFO ..."), with the launcher prefixes around
    it. NCCL writes to the same stream as the table, also between a row's first columns and its timings
    (nccl-tests prints the row's start, then runs the size), so the line is cut out wherever it starts, e.g.
    "sum      -1vm:30102:30102 [0] NCCL INFO ..." (H200, NCCL 2.28.9: tests/unit/data/nccl/h200x2_*_tuning.log).
    The host names come from the "# Rank" lines, because a row's last cell runs into the host name."""
    hosts = sorted({m.group(4) for m in _RANK_LINE.finditer(text)}, key=len, reverse=True)
    host = "(?:%s)" % "|".join(re.escape(h) for h in hosts) if hosts else r"(?<!\S)[^\s:]+"
    return re.compile(r"(?m)(?:^%s)?%s:\d+:\d+ \[\d+\] NCCL [A-Z]+ [^\n]*(?:\n%s?|$)" % (_PREFIX, host, _PREFIX))


class NcclOutputError(ValueError):
    """The input is not an nccl-tests output this parser can read (the message names the file)."""


def _name(path):
    return path if path else "nccl-tests output"


def decode_output(data, path=None):
    """``(text, input_warnings)``: ``data`` (bytes or str) as text, bytes that are not UTF-8 replaced by U+FFFD.

    A warning naming ``path`` says so, also for text that already holds U+FFFD (read elsewhere with
    ``errors="replace"``) or lone surrogates (read with ``surrogateescape``): the numbers near them may be damaged.
    """
    warnings = []
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8"), warnings
        except UnicodeDecodeError as exc:
            warnings.append("%s: bytes that are not UTF-8 replaced (the first at byte %d)" % (_name(path), exc.start))
            return bytes(data).decode("utf-8", "replace"), warnings
    if not isinstance(data, str):
        raise NcclOutputError("%s: nccl-tests output must be text, got %s" % (_name(path), type(data).__name__))
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        # lone surrogates would make the result unwritable as UTF-8 JSON later
        data = data.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if "\ufffd" in data:
        warnings.append("%s: holds replaced bytes (U+FFFD): it was not valid UTF-8" % _name(path))
    return data, warnings


def nccl_version_from_code(code):
    """``22606`` -> ``"2.26.6"`` (``NCCL_VERSION_CODE``: major*10000 + minor*100 + patch since 2.9,
    major*1000 + minor*100 + patch before). None when ``code`` is not a version code."""
    code = _int_or_none(code)
    if code is None or code < 0:
        return None
    if code >= 20900:
        return "%d.%d.%d" % (code // 10000, (code % 10000) // 100, code % 100)
    return "%d.%d.%d" % (code // 1000, (code % 1000) // 100, code % 100)


def _number(text):
    """A float from a table cell, or None for N/A, nan and inf (nccl-tests prints them for 0-byte rows)."""
    if text is None:
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _count(text):
    """The ``#wrong`` cell: an integer count (printed with %g, so ``1e+06`` is possible) or None for N/A."""
    value = _number(text)
    return None if value is None else round(value)


def strip_launcher_prefix(line):
    """Remove an srun ``--label`` or Open MPI ``--tag-output`` prefix from one output line."""
    return _LAUNCHER_PREFIX.sub("", line, count=1)


def _parse_header(tokens):
    """Column layout from the header tokens after ``#``: (prefix names, names of one half), or None.

    The out-of-place half starts at the first ``time`` column and the in-place half at the second;
    both halves have the same columns, and a trailing ``timestamp`` label is not a data column.
    """
    time_positions = [i for i, tok in enumerate(tokens) if tok in _TIME_COLUMNS]
    if len(time_positions) < 2:
        return None
    first, second = time_positions[0], time_positions[1]
    half = tokens[first:second]
    return tokens[:first], half


def _scaled(value, scale):
    """``value * scale``, None when either is None or the product overflows to inf."""
    if value is None:
        return None
    product = value * scale
    return product if math.isfinite(product) else None


def _place(values, names, time_scale):
    """One half of a row (out-of-place or in-place) as the contract's dict."""
    cells = dict(zip(names, values))
    time_key = next((k for k in _TIME_COLUMNS if k in cells), None)
    result = {
        "time_us": _scaled(_number(cells.get(time_key)), time_scale),
        "algbw_gbps": _number(cells.get("algbw")),
        "busbw_gbps": _number(cells.get("busbw")),
        "wrong": None,
    }
    wrong_key = next((k for k in _WRONG_COLUMNS if k in cells), None)
    if wrong_key is not None:
        result["wrong"] = _count(cells[wrong_key])
    error_key = next((k for k in _ERROR_COLUMNS if k in cells), None)
    if error_key is not None:
        # Before 2.13 the column is the largest deviation, not a count; keep it under its own name.
        result["max_error"] = _number(cells[error_key])
    return result


def _int_or_none(text):
    if isinstance(text, bool) or (isinstance(text, str) and len(text.strip()) > _MAX_DIGITS):
        return None
    try:
        return int(text)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf) of a damaged JSON number
        return None


def _config(line):
    """``# nThread 1 nGpus 8 minBytes 8 ... validation: 1 graph: 0`` -> dict of the integer settings."""
    config = {}
    for key, value in re.findall(r"([A-Za-z][A-Za-z ]*?):?\s+(-?\d+)(?:\(\w+\))?", line.lstrip("# ")):
        if _int_or_none(value) is not None:
            config[key.strip().replace(" ", "_")] = _int_or_none(value)
    return config


def _has_busbw(place):
    return place is not None and place["busbw_gbps"] is not None


def _reject_negative_wrong(rows, problems):
    """A negative ``#wrong`` is damage, not a count: it becomes None (so it cannot cancel another row's
    wrong elements in ``wrong_total``) and is named in ``problems``."""
    for row in rows:
        for side in ("out_of_place", "in_place"):
            place = row[side]
            if place is not None and place["wrong"] is not None and place["wrong"] < 0:
                problems.append(
                    "the %s #wrong of the %s-byte row is %d, not a count of wrong elements"
                    % (side.replace("_", "-"), row["size_bytes"], place["wrong"])
                )
                place["wrong"] = None


def _summary(rows, result):
    """Fill ``peak_busbw_gbps`` (metrics.peak_busbw, the project's one rule) and ``wrong_total`` from the rows."""
    _reject_negative_wrong(rows, result["problems"])
    result["peak_busbw_gbps"] = metrics.peak_busbw(
        [{half: row[half] if _has_busbw(row[half]) else {} for half in ("out_of_place", "in_place")} for row in rows])
    wrongs = [
        place["wrong"]
        for row in rows
        for place in (row["out_of_place"], row["in_place"])
        if place is not None and place["wrong"] is not None
    ]
    # null (not 0) when nothing was checked: 0 would claim a verified result.
    result["wrong_total"] = sum(wrongs) if wrongs else None
    return result


def _finish(result, closing_seen, cut_off=_CUT_OFF):
    """The result as returned: a missing closing line is a problem; ``complete`` only without problems;
    every number finite."""
    if not closing_seen:
        result["problems"].append(cut_off)
    result["complete"] = not result["problems"]
    return strict_json.finite(result)


def mark_incomplete(result, reason):
    """Add ``reason`` to the result's ``problems``: it no longer stands for a complete run."""
    result["problems"].append(reason)
    result["complete"] = False
    return result


def check_expected_ranks(result, expected_ranks):
    """Mark the result incomplete when it shows a number of ranks other than ``expected_ranks`` (None: no check),
    e.g. a launch that started fewer tasks, or tasks that did not join one communicator."""
    if expected_ranks is not None and result["ranks"] != expected_ranks:
        mark_incomplete(
            result,
            "%d ranks expected, %d found in the output's '# Rank' lines (or the JSON's devices)"
            % (expected_ranks, result["ranks"]),
        )
    return result


def _empty_result():
    return {
        "tool": "nccl-tests",
        "test": None,
        "rows": [],
        "avg_busbw_gbps": None,
        "peak_busbw_gbps": None,
        "wrong_total": None,
        "out_of_bounds_count": None,
        "out_of_bounds_ok": None,
        "complete": False,
        "nccl_version": None,
        "nccl_tests_version": None,
        "ranks": 0,
        "hosts": [],
        "config": {},
        "failures": [],
        "problems": [],
        "input_warnings": [],
    }


def parse_nccl_text(text, path=None):
    """Parse the text output of one nccl-tests run (``text``: str, or bytes as read from ``path``).

    Returns ``{"tool", "test", "rows", "avg_busbw_gbps", "peak_busbw_gbps", "wrong_total",
    "out_of_bounds_count", "out_of_bounds_ok", "complete", "nccl_version", "nccl_tests_version",
    "ranks", "hosts", "config", "failures", "problems", "input_warnings"}``. ``complete`` is true only when
    the closing ``Avg bus bandwidth`` line was printed and nothing is in ``problems``; a run cut off by a
    crash keeps the rows printed before it. Several result tables (one per task when nccl-tests was built
    without MPI) keep the first table's rows and are a problem. Raises NcclOutputError, naming ``path``,
    when ``text`` is neither str nor bytes.
    """
    text, input_warnings = decode_output(text, path)
    result = _empty_result()
    result["input_warnings"] = input_warnings
    layout = None
    time_scale = 1.0
    rows = result["rows"]
    ranks = set()
    closing_seen = False
    tables = 0
    table_of_source = {}  # launcher prefix ("0:", "[1,0]<stdout>:", "") -> index of its latest table
    tuning = {}  # bytes -> (algo, proto): the first choice logged for that size
    segment = _nccl_log_segment(text)
    nccl_lines = [m.group(0).strip() for m in segment.finditer(text)]
    text = segment.sub("", text)
    for line in nccl_lines:
        match = _TUNING_LINE.search(line)
        if match:
            tuning.setdefault(_int_or_none(match.group(2)), (match.group(3), match.group(4)))
        elif _FAILURE_LINE.search(line) and len(result["failures"]) < _MAX_FAILURE_LINES:
            result["failures"].append(strip_launcher_prefix(line))
        match = _NCCL_VERSION_LINE.search(line)
        if match and result["nccl_version"] is None:
            result["nccl_version"] = match.group(1)
    for raw in text.splitlines():
        prefix_match = _LAUNCHER_PREFIX.match(raw)
        source = prefix_match.group(0).strip() if prefix_match else ""
        line = strip_launcher_prefix(raw.rstrip("\r"))
        stripped = line.strip()
        if not stripped:
            continue
        # Only the first table is read: the lines of another task's table are not this run's results.
        in_first_table = table_of_source.get(source, 0) == 0
        if _FAILURE_LINE.search(stripped) and len(result["failures"]) < _MAX_FAILURE_LINES:
            result["failures"].append(stripped)
        match = _NCCL_TESTS_VERSION.search(stripped)
        if match:
            result["nccl_tests_version"] = match.group(1)
            result["nccl_version"] = nccl_version_from_code(match.group(3))
            continue
        match = _NCCL_VERSION_LINE.search(stripped)
        if match and result["nccl_version"] is None:
            result["nccl_version"] = match.group(1)
            continue
        if stripped.startswith("#") or "Avg bus bandwidth" in stripped or "Out of bounds values" in stripped:
            match = _TEST_NAME.search(stripped)
            if match:
                result["test"] = match.group(1)
                continue
            match = _RANK_LINE.search(stripped)
            if match:
                if _int_or_none(match.group(1)) is not None:
                    ranks.add(_int_or_none(match.group(1)))
                if match.group(4) not in result["hosts"]:
                    result["hosts"].append(match.group(4))
                continue
            if _CONFIG_LINE.match(stripped):
                if len(stripped) <= _MAX_CONFIG_LINE and not result["config"]:
                    result["config"] = _config(stripped)
                continue
            match = _AVG_BUSBW.search(stripped)
            if match:
                if in_first_table and not closing_seen:
                    result["avg_busbw_gbps"] = _number(match.group(1))
                    closing_seen = True
                continue
            match = _OUT_OF_BOUNDS.search(stripped)
            if match:
                if in_first_table and result["out_of_bounds_count"] is None:
                    result["out_of_bounds_count"] = _int_or_none(match.group(1))
                    result["out_of_bounds_ok"] = result["out_of_bounds_count"] == 0
                continue
            tokens = stripped.lstrip("#").split()
            if "size" in tokens and "count" in tokens:
                header = _parse_header(tokens)
                if header is not None:
                    tables += 1
                    table_of_source[source] = tables - 1
                    layout = layout or header
            elif layout is not None and "(B)" in tokens and tables == 1:
                time_scale = 1000.0 if "(ms)" in tokens else 1.0
            continue
        if layout is None or not in_first_table:
            continue
        tokens = stripped.split()
        prefix, half = layout
        width = len(prefix) + 2 * len(half)
        if len(tokens) < width or not tokens[0].isdigit():
            continue  # NCCL INFO lines, a row cut off mid-line, anything else between rows
        head = dict(zip(prefix, tokens[: len(prefix)]))
        rows.append(
            {
                "size_bytes": _int_or_none(head.get("size")),
                "count": _int_or_none(head.get("count")),
                "dtype": head.get("type"),
                "redop": head.get("redop"),
                "root": _int_or_none(head.get("root")),
                "out_of_place": _place(tokens[len(prefix) : len(prefix) + len(half)], half, time_scale),
                "in_place": _place(tokens[len(prefix) + len(half) : width], half, time_scale),
            }
        )
    result["ranks"] = len(ranks)
    _attach_tuning(rows, tuning, result["ranks"])
    if tables > 1:
        result["problems"].append(
            "%d result tables in one output, one per task (nccl-tests built without MPI runs every task as a "
            "test of its own): only the first table's rows are kept" % tables
        )
    if not rows:
        result["problems"].append(
            "a result table header but no result rows"
            if tables
            else "no result table (no '#  size  count  type ...' header line): nccl-tests printed no results"
        )
    return _finish(_summary(rows, result), closing_seen)


def _attach_tuning(rows, tuning, ranks):
    """Give each row the algorithm and protocol NCCL logged for its size (whole buffer, or one rank's part)."""
    for row in rows:
        size = row["size_bytes"]
        choice = None
        if size is not None:
            choice = tuning.get(size) or (tuning.get(size // ranks) if ranks and size % ranks == 0 else None)
        row["algo"], row["proto"] = choice if choice else (None, None)


def _json_number(value):
    """nccl-tests writes doubles with %lf and NaN as the string "nan"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            value = float(value)
        except OverflowError:  # an integer too large for a float
            return None
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _number(value)
    return None


def _json_bool(value):
    """nccl-tests writes booleans as the strings "true"/"false" (jsonBool goes through jsonStr)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _json_count(value):
    """A count written as a JSON number (or numeric string); None when it is none."""
    number = _json_number(value)
    return None if number is None else round(number)


def _json_text(value):
    return value if isinstance(value, str) else None


def _json_list(data, key, problems, name):
    """``data[key]`` when it is a list; anything else but null is named in ``problems``."""
    value = data.get(key)
    if value is None or isinstance(value, list):
        return value or []
    problems.append("%s: '%s' is %s, not a list" % (name, key, type(value).__name__))
    return []


def _json_config_value(value):
    """A config setting as a scalar: booleans from their strings; a list or object is not a setting."""
    if _json_bool(value) is not None:
        return _json_bool(value)
    if isinstance(value, (dict, list)):
        return None
    if isinstance(value, float):
        return _json_number(value)
    return value


def _json_place(place):
    if not isinstance(place, dict):
        return None
    time_value = place.get("time", place.get("cpu_time"))
    return {
        "time_us": _json_number(time_value),
        "algbw_gbps": _json_number(place.get("alg_bw")),
        "busbw_gbps": _json_number(place.get("bus_bw")),
        "wrong": _json_count(place.get("nwrong")),
    }


def _json_version(data, result, name):
    code = data.get("nccl_version")
    if code is None:
        return
    result["nccl_version"] = nccl_version_from_code(code)
    if result["nccl_version"] is None:
        result["input_warnings"].append("%s: nccl_version %r is not an NCCL version code" % (name, code))


def parse_nccl_json(text, path=None):
    """Parse the file nccl-tests writes with ``-J FILE`` (2.18 onwards; format in ``src/util.cu``).

    ``text`` is str, or bytes as read from ``path``. Returns the same keys as :func:`parse_nccl_text`. A file
    cut off by a crash is not valid JSON: the result then has ``complete: false``, no rows, and the decoding
    error, naming ``path``, in ``failures`` and ``problems``. A field of the wrong type is left out (a row that
    is not an object is a problem); NaN and infinities become None. Raises NcclOutputError, naming ``path``,
    when the input is neither str nor bytes or the JSON is not an object.
    """
    name = _name(path)
    text, input_warnings = decode_output(text, path)
    result = _empty_result()
    result["input_warnings"] = input_warnings
    problems = result["problems"]
    try:
        # NaN, Infinity and -Infinity (which Python's json reads by default) are no numbers here.
        data = json.loads(text, parse_constant=lambda constant: None)
    except (ValueError, RecursionError) as exc:
        reason = "%s: nccl-tests JSON output is not complete JSON: %s" % (name, exc)
        result["failures"].append(reason)
        problems.append(reason)
        return strict_json.finite(result)
    if not isinstance(data, dict):
        raise NcclOutputError("%s: nccl-tests JSON output must be an object, got %s" % (name, type(data).__name__))
    _json_version(data, result, name)
    args = _json_list(data, "args", problems, name)
    if args:
        result["test"] = str(args[0]).rsplit("/", 1)[-1]
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    # The device list is top-level in some versions and inside "config" in others (file version 3).
    devices = _json_list(data, "devices", problems, name) or _json_list(config, "devices", problems, name)
    result["config"] = dict((k, _json_config_value(v)) for k, v in config.items() if k != "devices")
    result["ranks"] = len(devices)
    for device in devices:
        host = _json_text(device.get("hostname")) if isinstance(device, dict) else None
        if host and host not in result["hosts"]:
            result["hosts"].append(host)
    for number, item in enumerate(_json_list(data, "results", problems, name)):
        if not isinstance(item, dict):
            problems.append("%s: result %d is %s, not an object: left out" % (name, number, type(item).__name__))
            continue
        result["rows"].append(
            {
                "size_bytes": _int_or_none(item.get("size")),
                "count": _int_or_none(item.get("count")),
                "dtype": _json_text(item.get("type")),
                "redop": _json_text(item.get("redop")),
                "root": _int_or_none(str(item.get("root", "")).strip()),
                "out_of_place": _json_place(item.get("out_of_place")),
                "in_place": _json_place(item.get("in_place")),
                "algo": None,  # NCCL logs its choice to the text output only
                "proto": None,
            }
        )
    bounds = data.get("out_of_bounds")
    count = _json_count(bounds.get("count")) if isinstance(bounds, dict) else None
    if count is not None and count < 0:
        problems.append("%s: out-of-bounds count %d is not a count" % (name, count))
    elif count is not None:
        result["out_of_bounds_count"] = count
        okay = _json_bool(bounds.get("okay"))
        result["out_of_bounds_ok"] = okay if okay is not None else count == 0
    average = data.get("average_bus_bandwidth")
    if isinstance(average, dict):
        result["avg_busbw_gbps"] = _json_number(average.get("bandwidth"))
    for error in _json_list(data, "errors", problems, name):
        if str(error).strip():
            result["failures"].append(str(error).strip())
    if not result["rows"]:
        problems.append("%s: no results in the JSON output" % name)
    return _finish(
        _summary(result["rows"], result), isinstance(average, dict), "%s: no average_bus_bandwidth (cut off?)" % name
    )


def run_to_file(argv, environ, chdir, timeout, output_path):
    """Run ``argv`` with stdout and stderr written to ``output_path`` (created, never overwritten) as
    they come; returns ``(rc, timed_out)``.

    Not ``AnsibleModule.run_command``: that keeps the output in memory until the end, and a
    benchmark that runs for an hour and crashes must leave its output on disk. On timeout the
    launcher and everything it started (its own process group) get SIGTERM, then SIGKILL.
    """
    with open(output_path, "x") as output:
        proc = subprocess.Popen(
            argv,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=chdir,
            env=environ,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            return proc.returncode, True


# -- which NCCL a workload's ranks loaded --------------------------------------------------------------
# NCCL's own lines at NCCL_DEBUG=INFO, each prefixed ``host:pid:tid [cudaDev] NCCL INFO `` (src/debug.cc), every
# rank printing them at communicator init (src/init.cc showVersion; src/plugin/net.cc): the version line
# ``NCCL version 2.28.9+cuda13.0``, the network (``Assigned NET plugin IB to comm`` since 2.24, ``Using network
# IB`` before) and an external plugin (``Successfully loaded external network plugin /path/libnccl-net.so``).
_NCCL_INFO = re.compile(r"(?P<host>[A-Za-z0-9][A-Za-z0-9_.-]*):(?P<pid>\d+):\d+ \[\d+\] NCCL INFO (?P<what>.*)$")
_LOADED = (
    ("version", re.compile(r"^NCCL version (\S+)")),
    ("network", re.compile(r"^Assigned NET plugin (\S+) to comm")),
    ("network", re.compile(r"^Using network (\S+)")),
    ("external_plugin", re.compile(r"^Successfully loaded external network plugin (\S+)")),
    ("external_plugin", re.compile(r"^NET/Plugin: Loaded net plugin (.+?) \(v\d+\)")),
)


def loaded_nccl(text):
    """Per host, what NCCL's own INFO lines in a launcher's output say the ranks loaded: ``{host: {"version",
    "network", "external_plugin", "processes"}}`` (each value the distinct strings seen, sorted; processes the
    number of distinct pids that printed a version line). Hosts as NCCL names them (gethostname up to the
    first dot). Empty when no rank logged at INFO (NCCL_DEBUG unset, or no NCCL: a CPU run)."""
    seen = {}
    for raw in (text or "").splitlines():
        match = _NCCL_INFO.search(raw)
        if not match:
            continue
        empty = {"version": set(), "network": set(), "external_plugin": set(), "pids": set()}
        host = seen.setdefault(match.group("host"), empty)
        for key, pattern in _LOADED:
            found = pattern.match(match.group("what").strip())
            if found:
                host[key].add(found.group(1))
                if key == "version":
                    host["pids"].add(match.group("pid"))
    return dict((name, {"version": sorted(v["version"]), "network": sorted(v["network"]),
                        "external_plugin": sorted(v["external_plugin"]), "processes": len(v["pids"])})
                for name, v in sorted(seen.items()) if v["version"] or v["network"] or v["external_plugin"])
