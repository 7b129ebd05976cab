"""Property tests (issue 16): the real test data, damaged at random, never crashes a reader.

Each reader gets a recorded file cut short, with bits flipped, with bytes inserted, and (JSON files) with a
value swapped for one of another type or for NaN/infinity. It may raise only its documented error (the
nccl-tests reader NcclOutputError, the telemetry reader TelemetryError, the counter diff CounterError), and
whatever it returns must be strict JSON (``json.dumps(result, allow_nan=False)``).
"""

import json
import math
import os
import shutil

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import nccl_output as no
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_counters as rc
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import telemetry as tm
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Hypothesis keeps caches in ./.hypothesis, which the collection build would pack (galaxy.yml build_ignore):
# keep them under .cache/, which git and the build ignore.
configuration.set_hypothesis_home_dir(os.path.join(ROOT, ".cache", "hypothesis"))
DATA = os.path.join(os.path.dirname(__file__), "..", "data")
NCCL = os.path.join(DATA, "nccl")
NVML = os.path.join(DATA, "nvml")
SYSFS = os.path.join(DATA, "sysfs")
NCCL_TEXT = sorted(os.path.join(NCCL, f) for f in os.listdir(NCCL) if f.endswith(".log"))
NCCL_JSON = sorted(os.path.join(NCCL, f) for f in os.listdir(NCCL) if f.endswith(".json"))
TELEMETRY = sorted(os.path.join(NVML, f) for f in os.listdir(NVML) if f.endswith(".jsonl"))
ETHTOOL = sorted(os.path.join(SYSFS, f) for f in os.listdir(SYSFS) if f.startswith("ethtool_"))

# Fast enough for the unit suite (each test well under 5 s); no example database left in the checkout.
FAST = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Bytes worth inserting besides random ones: what breaks a table or a number.
NASTY = [
    b"\xff\xfe",
    b"\xc3",
    b"\n",
    b"\r",
    b"\x00",
    b"-",
    b"nan",
    b"inf",
    b"1e999",
    b"-1e999",
    b"9" * 40,
    b"#  size count type redop root time algbw busbw #wrong time algbw busbw #wrong\n",
    b"# Rank 3 Group 0 Pid 1 on hostx device 0 [0x00] NVIDIA H200\n",
    b"# Avg bus bandwidth : nan\n",
    b'{"record": "sample", "t": NaN}\n',
]


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def strict(result):
    """The result is strict JSON: no NaN, no infinity, nothing that is not JSON."""
    return json.dumps(result, allow_nan=False)


@st.composite
def damaged(draw, data):
    """``data`` with one to three cuts, bit flips or insertions."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert"]))
        if kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        elif kind == "insert":
            at = draw(st.integers(0, len(data)))
            inserted = draw(st.one_of(st.sampled_from(NASTY), st.binary(min_size=1, max_size=12)))
            data = data[:at] + inserted + data[at:]
    return data


def json_paths(node, prefix=()):
    """Every path (a tuple of keys and indexes) in a decoded JSON document, the root included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from json_paths(value, (*prefix, index))


def replaced(doc, path, value):
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return doc


NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf, "nan", "inf", "-nan", 10**400])
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | NOT_FINITE,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


@st.composite
def swapped_json(draw, text, numbers_only=False):
    """A JSON document with one value replaced: by any JSON value (a type swap), or a number by NaN/infinity.

    Written with Python's json defaults, so NaN and Infinity appear as the bare words some writers emit."""
    doc = json.loads(text)
    paths = [p for p in json_paths(doc) if not numbers_only or _is_number(_at(doc, p))]
    if not paths:
        return text
    path = draw(st.sampled_from(paths))
    value = draw(NOT_FINITE if numbers_only else ANY_JSON)
    return json.dumps(replaced(doc, path, value))


def _at(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- nccl-tests ----------------------------------------------------------------------------------
def _parse_nccl(parse, data, path):
    try:
        result = parse(data, path)
    except no.NcclOutputError as exc:
        assert path in str(exc)  # the documented error names the file
        return
    strict(result)
    assert result["complete"] == (not result["problems"])
    wrongs = [
        place["wrong"]
        for row in result["rows"]
        for place in (row["out_of_place"], row["in_place"])
        if place and place["wrong"] is not None
    ]
    assert all(w >= 0 for w in wrongs) and result["wrong_total"] in (None, sum(wrongs))


@FAST
@given(st.sampled_from(NCCL_TEXT).flatmap(lambda path: st.tuples(st.just(path), damaged(read(path)))))
def test_nccl_text_damaged_bytes(case):
    path, data = case
    _parse_nccl(no.parse_nccl_text, data, path)


@FAST
@given(st.sampled_from(NCCL_JSON).flatmap(lambda path: st.tuples(st.just(path), damaged(read(path)))))
def test_nccl_json_damaged_bytes(case):
    path, data = case
    _parse_nccl(no.parse_nccl_json, data, path)


@pytest.mark.parametrize("numbers_only", [False, True], ids=["type_swaps", "nan_injection"])
@FAST
@given(data=st.data())
def test_nccl_json_swapped_values(numbers_only, data):
    path = data.draw(st.sampled_from(NCCL_JSON))
    text = data.draw(swapped_json(read(path).decode(), numbers_only=numbers_only))
    _parse_nccl(no.parse_nccl_json, text, path)


# --- telemetry -----------------------------------------------------------------------------------
def _summarize(data, path):
    try:
        summary = tm.summarize_samples(data, path)
    except tm.TelemetryError as exc:
        assert path in str(exc)
        return None
    strict(summary)
    assert summary["skipped_lines"] in (0, 1)
    return summary


@FAST
@given(st.sampled_from(TELEMETRY).flatmap(lambda path: st.tuples(st.just(path), damaged(read(path)))))
def test_telemetry_damaged_bytes(case):
    path, data = case
    _summarize(data, path)


@st.composite
def swapped_line(draw, path, numbers_only):
    lines = read(path).decode().splitlines()
    at = draw(st.integers(0, len(lines) - 1))
    lines[at] = draw(swapped_json(lines[at], numbers_only=numbers_only)).replace("\n", " ")
    return "\n".join(lines) + "\n"


@FAST
@given(st.sampled_from(TELEMETRY).flatmap(lambda p: st.tuples(st.just(p), swapped_line(p, numbers_only=False))))
def test_telemetry_type_swaps(case):
    path, text = case
    assert _summarize(text, path) is not None  # every line is still JSON: nothing to raise about


@FAST
@given(st.sampled_from(TELEMETRY).flatmap(lambda p: st.tuples(st.just(p), swapped_line(p, numbers_only=True))))
def test_telemetry_nan_injection(case):
    path, text = case
    assert _summarize(text, path) is not None


# --- RoCE counters -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sysfs_copy(tmp_path_factory):
    """A copy of the recorded-shape ConnectX-7 tree whose files the examples damage one at a time."""
    root = str(tmp_path_factory.mktemp("sysfs") / "connectx7")
    shutil.copytree(os.path.join(SYSFS, "connectx7_after"), root)
    files = sorted(
        os.path.join(directory, name)
        for directory, _dirs, names in os.walk(os.path.join(root, "sys"))
        for name in names
        if "/ports/" in directory
    )
    return root, files


def _counters(before, snapshot):
    strict(snapshot)
    assert all(isinstance(v, int) and v >= 0 for v in snapshot["values"].values())
    try:
        change = rc.diff(before, snapshot["values"])
    except rc.CounterError:
        return
    totals, absent = rc.totals(change["delta"])
    strict([change, totals, absent])


@FAST
@given(st.data())
def test_sysfs_counter_files_damaged(sysfs_copy, data):
    root, files = sysfs_copy
    before = rc.read_sysfs(os.path.join(SYSFS, "connectx7_before"))["values"]
    path = data.draw(st.sampled_from(files))
    original = read(path)
    try:
        with open(path, "wb") as handle:
            handle.write(data.draw(damaged(original)))
        _counters(before, rc.read_sysfs(root))
    finally:
        with open(path, "wb") as handle:
            handle.write(original)


@FAST
@given(st.sampled_from(ETHTOOL).flatmap(lambda path: st.tuples(st.just(path), damaged(read(path)))))
def test_ethtool_output_damaged(case):
    path, data = case
    warnings = []
    stats = rc.parse_ethtool_stats(rc.decode_text(data, path, warnings))
    values = rc.select_ethtool(stats, "eth2")
    strict([values, warnings])
    before = rc.select_ethtool(rc.parse_ethtool_stats(read(ETHTOOL[0]).decode()), "eth2")
    _counters(before, {"values": values, "input_warnings": warnings})
