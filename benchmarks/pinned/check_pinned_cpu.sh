#!/usr/bin/env bash
# The workload's CPU tests under the owners' pinned versions (requirements/workload-pinned.txt).
#
# Usage: benchmarks/pinned/check_pinned_cpu.sh [--fresh]
#   Builds (or, with --fresh, rebuilds) a virtual environment at $PINNED_VENV (default /tmp/pinned, outside
#   the repository: torch 2.3.1 from PyPI is the CUDA 12.1 build, about 3.3 GB with its nvidia-* wheels),
#   runs `pytest tests/unit/workload` in it, and writes to benchmarks/results/pinned/:
#     pinned_cpu_check.json   date, versions (a subset of pip freeze), pytest counts and skip reasons,
#                             the attention kernel `--attention auto` picks on CUDA under this set
#     pinned_cpu_check.log    the pytest output
#     pip_freeze.txt          the whole `pip freeze --all` of the environment
# Exits with pytest's status. CPU only: CUDA 12.5 and the GPU kernels are not exercised.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
venv=${PINNED_VENV:-/tmp/pinned}
out=$repo/benchmarks/results/pinned
requirements=$repo/requirements/workload-pinned.txt
export LC_ALL=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1

if [ "${1:-}" = "--fresh" ]; then
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install -q)
"${pip[@]}" --upgrade pip wheel setuptools
# torch first: DeepSpeed's sdist imports it at build time (no build isolation, no prebuilt ops)
"${pip[@]}" "$(grep -E '^torch==' "$requirements")"
DS_BUILD_OPS=0 "${pip[@]}" --no-build-isolation -r "$requirements" "$(grep -E '^pytest==' "$repo/requirements/dev.txt")"

mkdir -p "$out"
"$venv/bin/python" -m pip freeze --all >"$out/pip_freeze.txt"
junit=$(mktemp --suffix=.xml)
trap 'rm -f "$junit"' EXIT
cd "$repo"
status=0
PYTHONPATH=files "$venv/bin/python" -m pytest -v -rs -p no:cacheprovider --junitxml="$junit" tests/unit/workload \
  >"$out/pinned_cpu_check.log" 2>&1 || status=$?
tail -n 3 "$out/pinned_cpu_check.log"

PYTHONPATH=files DS_ACCELERATOR=cpu "$venv/bin/python" - "$junit" "$out" "$status" <<'EOF'
"""Write pinned_cpu_check.json from the junit XML, pip freeze and the installed packages."""
import datetime
import json
import os
import platform
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import torch
from h200_workload import attention

junit, out, status = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
suite = ET.parse(junit).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
cases = suite.findall("testcase")
skipped = [{"test": f"{case.get('classname')}::{case.get('name')}", "reason": case.find("skipped").get("message")}
           for case in cases if case.find("skipped") is not None]
failed = [f"{case.get('classname')}::{case.get('name')}" for case in cases
          if case.find("failure") is not None or case.find("error") is not None]
names = ("torch", "deepspeed", "transformers", "tokenizers", "safetensors", "huggingface-hub", "numpy", "pydantic",
         "accelerate", "flash-attn", "pytest")
versions = {}
for name in names:
    try:
        versions[name] = version(name)
    except Exception:  # not installed
        versions[name] = None
kernel, why = attention.choose("auto", "cuda", 4096)
result = {
    "check": "pytest tests/unit/workload on CPU under requirements/workload-pinned.txt",
    "command": "benchmarks/pinned/check_pinned_cpu.sh",
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "host": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()},
    "versions": versions,
    "torch_cuda_build": torch.version.cuda,
    "cuda_available": torch.cuda.is_available(),
    "pytest": {"exit_status": status, "tests": len(cases), "passed": len(cases) - len(skipped) - len(failed),
               "failed": len(failed), "skipped": len(skipped), "duration_s": round(float(suite.get("time")), 1),
               "failed_tests": failed, "skipped_tests": skipped},
    "attention_auto_on_cuda_without_flash_attn": {"kernel": kernel, "reason": why},
    "not_checked": "CUDA 12.5 (no GPU here; the wheel is the CUDA 12.1 build), GPU kernels (flash_attention_2, "
                   "fused AdamW, NCCL, Liger), DeepSpeed 0.14.0 itself (its CPU accelerator needs Intel extensions)",
}
(out / "pinned_cpu_check.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
print({k: v for k, v in result["pytest"].items() if not k.endswith("_tests")})
EOF
exit "$status"
