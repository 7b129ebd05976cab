"""Test doubles shared by the sampler and gpu_telemetry tests (test code only; never shipped)."""

import json
import os
import stat
import time

NVML = os.path.join(os.path.dirname(__file__), "..", "data", "nvml")


def recorded_command(name):
    """The argv that recorded ``name`` on the H200 (tests/unit/data/nvml/record_on_h200.sh)."""
    with open(os.path.join(NVML, "record_on_h200.sh")) as handle:
        for line in handle:
            if line.startswith("rec %s " % name):
                return line.split()[2:]
    raise AssertionError("record_on_h200.sh records no %s" % name)


def nvidia_smi_sampler_env(tmp_path):
    """An environment (PATH, PYTHONPATH) with pynvml unimportable and a test double of nvidia-smi that answers
    the sampler's two questions only: the recorded sampler query with its H200 output, and the GPU list; any
    other query fails as nvidia-smi does on a field it does not know."""
    bin_dir = tmp_path / "nvidia_smi_test_double"
    bin_dir.mkdir()
    query = recorded_command("query_gpu_sampler")[1:]  # after the program name
    double = bin_dir / "nvidia-smi"
    double.write_text(
        "#!/bin/sh\n# test double of nvidia-smi: outputs recorded on the H200, for the questions recorded\n"
        'case "$*" in\n'
        '  "--query-gpu=index,name,uuid --format=csv,noheader,nounits")\n'
        '    echo "0, NVIDIA H200, GPU-00000000-0000-0000-0000-000000000000";;\n'
        '  "%s") cat "%s";;\n'
        '  *) echo "test double: not a recorded query: $*" >&2; exit 2;;\n'
        "esac\n" % (" ".join(query), os.path.join(NVML, "h200_commands", "query_gpu_sampler.txt"))
    )
    double.chmod(double.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "pynvml.py").write_text("raise ImportError('pynvml test double: no NVML here')\n")
    return {"PATH": "%s:/usr/bin:/bin" % bin_dir, "PYTHONPATH": str(tmp_path)}


def wait_for_records(path, enough, timeout=120.0):
    """The sampler's records once ``enough(records)`` holds: readiness is read from the output, not guessed
    from a sleep (the handlers are installed before the start record is written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as handle:
                text = handle.read()
            # a line still being written (no newline yet) is not a record yet
            records = [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]
            if enough(records):
                return records
        time.sleep(0.05)
    raise AssertionError("the sampler did not write the awaited records within %s s: %s" % (timeout, path))


def samples_of(records):
    return [r for r in records if r["record"] == "sample"]
