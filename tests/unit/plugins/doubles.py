"""Test doubles shared by the sampler and gpu_telemetry tests (test code only; never shipped)."""

import os
import stat

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
