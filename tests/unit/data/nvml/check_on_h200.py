"""Run node_facts' gathering and preflight, and the sampler with its summary, on the lent H200 with real
commands (no test doubles), printing the results as JSON. How the real-hardware check was done; not used
by the product or the unit tests."""

import importlib.util
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "plugins", "module_utils", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
    return proc.returncode, proc.stdout, proc.stderr


nf, tm = load("node_facts"), load("telemetry")
out = {"environment": nf.gather_environment(run, "/", sys.executable),
       "preflight": nf.run_preflight(run, "/", expected_gpus=1, min_driver="570.0", min_free_gb=10)}
samples = "/tmp/check_telemetry.jsonl"
sampler = os.path.join(ROOT, "files", "h200_workload", "telemetry.py")
proc = tm.spawn_detached([sys.executable, sampler, "--output", samples, "--interval", "0.5"], samples + ".log")
time.sleep(3)
open(samples + ".stop", "w").close()
proc.wait(timeout=30)
with open(samples) as handle:
    out["telemetry_summary"] = tm.summarize(tm.read_jsonl(handle.read()))
print(json.dumps(out, indent=1))
