"""The interpreter the benchmark runs (resolve_python: h200_python, else the conda role's record) and the
pinned-package check, with the real probe run by this test's own interpreter (no double of Python)."""

import json
import subprocess
import sys

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import node_facts as nf

RECORD = "var/lib/spectrumx/conda_packages.json"


def write_record(root, data):
    path = root / RECORD
    path.parent.mkdir(parents=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def run_real(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_the_conda_roles_record_names_the_interpreter_and_pins(tmp_path):
    write_record(tmp_path, {"python": "/opt/miniconda3/envs/h200-bench/bin/python", "pins": {"torch": "2.3.1"}})
    resolved = nf.resolve_python(str(tmp_path), "", "/" + RECORD)
    assert resolved == {"path": "/opt/miniconda3/envs/h200-bench/bin/python",
                        "source": "conda role record /" + RECORD, "pins": {"torch": "2.3.1"}, "error": ""}
    # h200_python wins over the record; the record's pins still apply
    explicit = nf.resolve_python(str(tmp_path), "/usr/bin/python3", "/" + RECORD)
    assert explicit["path"] == "/usr/bin/python3" and explicit["source"] == "h200_python"
    assert explicit["pins"] == {"torch": "2.3.1"}


@pytest.mark.parametrize("content, reason", [
    (None, "/%s (the conda role's record) is absent" % RECORD),
    ("{not json", "/%s is not JSON" % RECORD),
    ({"env": "/opt/x"}, "/%s names no interpreter" % RECORD),
    ({"python": "relative/bin/python"}, "/%s names no interpreter" % RECORD),
])
def test_no_interpreter_fails_the_python_check_and_says_what_to_do(tmp_path, content, reason):
    if content is not None:
        write_record(tmp_path, content)
    resolved = nf.resolve_python(str(tmp_path), "", "/" + RECORD)
    assert resolved["path"] is None
    check = nf.check_python(resolved)
    assert check["status"] == "fail"
    assert reason in check["detail"]
    assert "run playbooks/site.yml (the conda role) on this node, or set h200_python" in check["detail"]


def test_pins_checked_with_the_real_probe(tmp_path):
    installed = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('pyyaml'))"],
                               capture_output=True, text=True, check=True).stdout.strip()
    pins = {"PyYAML": installed, "packaging": "0.0.1", "flash_attn": "2.6.3"}
    env = nf.gather_environment(run_real, str(tmp_path), sys.executable, pins=pins)
    # names compared as PEP 503 normalises them; flash-attn is imported because it is pinned, and fails here
    assert env["python_pinned"]["pyyaml"] == {"pinned": installed, "found": installed}
    assert env["python_pinned"]["flash-attn"] == {"pinned": "2.6.3", "found": nf.NOT_PRESENT}
    assert set(env["python_imports"]) == {"flash_attn"}
    assert env["python_imports"]["flash_attn"].startswith("ModuleNotFoundError")
    check = nf.check_packages(env, pins, "h200_package_pins")
    assert check["status"] == "fail"
    detail = check["detail"]
    assert "packaging: found " in detail and ", pinned 0.0.1" in detail
    assert "flash-attn: not installed, pinned 2.6.3" in detail
    assert "import flash_attn failed: ModuleNotFoundError" in detail
    assert "pyyaml" not in detail.split(" (pins from")[0]  # the matching pin is not a problem
    assert detail.endswith("(pins from h200_package_pins)")


def test_pins_that_hold_pass_and_a_local_label_matches(tmp_path):
    env = {"python_pinned": {"torch": {"pinned": "2.13.0", "found": "2.13.0+cpu"},
                             "deepspeed": {"pinned": "0.19.8", "found": "0.19.8"}},
           "python_imports": {"torch": "", "deepspeed": ""}}
    check = nf.check_packages(env, {"torch": "2.13.0", "deepspeed": "0.19.8"}, "the conda role record /r.json")
    assert check == {"name": "packages", "status": "pass",
                     "detail": "deepspeed 0.19.8, torch 2.13.0+cpu; imported deepspeed, torch "
                               "(pins from the conda role record /r.json)"}


def test_no_pins_is_skipped_not_passed():
    check = nf.check_packages({"python_pinned": {}}, {}, "h200_package_pins")
    assert check["status"] == "skipped" and "no pins to check" in check["detail"]


def test_an_interpreter_that_does_not_answer_fails_the_pins(tmp_path):
    env = nf.gather_environment(run_real, str(tmp_path), str(tmp_path / "missing-python"), pins={"torch": "2.3.1"})
    assert env["python_pinned"] == {}
    check = nf.check_packages(env, {"torch": "2.3.1"}, "h200_package_pins")
    assert check["status"] == "fail" and "did not answer" in check["detail"]


def test_the_module_returns_the_interpreter_and_adds_the_python_and_packages_checks(monkeypatch, tmp_path):
    """node_facts' main(): h200_python with explicit pins (real commands: absent programs are reported absent)."""
    from ansible_collections.spectrumx.h200_benchmark.plugins.modules import node_facts as module
    from module_harness import run_module

    installed = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('pyyaml'))"],
                               capture_output=True, text=True, check=True).stdout.strip()
    args = {"gather": ["preflight"], "python": sys.executable, "package_pins": {"PyYAML": installed},
            "env_record": str(tmp_path / "no-record.json"), "min_free_gb": 0, "fail_on_absent": False,
            "expected_gpus": 0}
    failed, result = run_module(monkeypatch, module.main, args)
    assert not failed and result["python"] == sys.executable and "environment" not in result
    checks = {c["name"]: c for c in result["preflight"]["checks"]}
    assert checks["python"] == {"name": "python", "status": "pass", "detail": "%s (from h200_python)" % sys.executable}
    assert checks["packages"]["status"] == "pass" and checks["packages"]["detail"].endswith(
        "(pins from h200_package_pins)")
    # no h200_python and no record: no interpreter, the python check fails and so does the node
    failed, result = run_module(monkeypatch, module.main, dict(args, python=None, package_pins={},
                                                               gather=["environment", "preflight"]))
    assert not failed and result["python"] is None and result["preflight"]["ok"] is False
    assert result["environment"]["python"]["path"] == "not present"
    assert "no-record.json (the conda role's record) is absent" in result["environment"]["python"]["source"]
    assert {c["name"]: c["status"] for c in result["preflight"]["checks"]}["python"] == "fail"
