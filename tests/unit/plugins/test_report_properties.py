"""Property test (issue 16): a real run directory with one file damaged at random (cut short, bits flipped, a value
swapped for another type or NaN) always gives a report, and summary.json is strict JSON."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from ansible.plugins.loader import init_plugin_loader
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[3]
init_plugin_loader([str(ROOT / ".cache" / "collections")])
configuration.set_hypothesis_home_dir(str(ROOT / ".cache" / "hypothesis"))  # not packed by the collection build

from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report  # noqa: E402

RUN = Path(__file__).resolve().parents[1] / "data" / "results" / "20261129-230906-n1-g1-2"
FILES = sorted(str(p.relative_to(RUN)) for p in RUN.rglob("*") if p.is_file())
SWAPS = [None, "x", [], {}, True, -1, float("nan"), float("inf"), 1e308]


def _swap(value, path, replacement):
    """value with the item at path (a list of keys/indexes, taken modulo) replaced."""
    if not path or not isinstance(value, (dict, list)) or not value:
        return replacement
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[path[0] % len(keys)]
    value[key] = _swap(value[key], path[1:], replacement)
    return value


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), how=st.sampled_from(["cut", "flip", "swap"]), where=st.integers(0, 10**6),
       path=st.lists(st.integers(0, 50), min_size=1, max_size=4), swap=st.sampled_from(SWAPS))
def test_one_damaged_file_never_costs_the_report(name, how, where, path, swap):
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / RUN.name
        shutil.copytree(RUN, run)
        target = run / name
        raw = target.read_bytes()
        if how == "cut":
            raw = raw[: where % (len(raw) + 1)]
        elif how == "flip":
            position = where % max(len(raw), 1)
            raw = raw[:position] + bytes([raw[position] ^ (1 << (where % 8))]) + raw[position + 1:] if raw else raw
        else:
            lines = raw.decode().splitlines()
            index = where % len(lines)
            try:
                lines[index] = json.dumps(_swap(json.loads(lines[index]), path, swap))
            except ValueError:  # a pretty-printed file: swap inside the whole document
                lines = [json.dumps(_swap(json.loads(raw.decode()), path, swap))]
            raw = "\n".join(lines).encode()
        target.write_bytes(raw)
        report.write_report(str(run), line_rate_gbps=800)
        summary = json.loads((run / "summary.json").read_text())
        json.dumps(summary, allow_nan=False)
        assert os.path.getsize(run / "report.md") > 0
