"""The owners' workflow with real weights and the real Alpaca format on the virtual cluster, offline.

A test double of the Hugging Face hub (tests/hub_mirror_double.py: the hub's listing and resolve paths as static
files) and an Alpaca-format JSON are served by a plain HTTP server on the control host, reachable by the
containers at the h200-virtual network's gateway. The model is the ``tiny`` Llama shape saved in Hugging Face
format by benchmarks/h200/save_hf_checkpoint.py (random weights, a trained BPE tokenizer). The server answers
only requests that carry the test's Hugging Face token, as a gated repository does, so a run that fetched the
model proves the token was used; every file of the run is then searched for the token's value.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
from harness import REPO, PlaybookRun, benchmark_vars, docker, runner_kwargs

sys.path.insert(0, str(REPO / "tests"))
from hub_mirror_double import publish_model

BENCHMARK = REPO / "playbooks" / "benchmark.yml"
GATEWAY = "172.30.201.254"  # the control host on h200-virtual (tests/virtual_cluster/up.yml)
NODE_DIR = "/var/tmp/h200_benchmark"
HOSTS = ["hgx-0001", "hgx-0002"]
MODEL = "test-org/tiny-llama"
MODEL_NODE = "test-org/tiny-llama-node"  # a second id: fetched by the nodes themselves, never copied
RECORDS = 300


class GatedHub(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; the hub's paths only with ``Authorization: Bearer <token>`` (401 otherwise)."""

    token = ""
    hub_requests: list[str] = []

    def do_GET(self) -> None:
        if self.path.startswith(("/api/", "/test-org/")):
            GatedHub.hub_requests.append(self.path)
            if self.headers.get("Authorization") != "Bearer " + self.token:
                self.send_error(401, "gated repository: a token is needed")
                return
        super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The hub double and the Alpaca files on http://GATEWAY:PORT; yields their URLs, checksum and token."""
    root = tmp_path_factory.mktemp("www")
    spec = importlib.util.spec_from_file_location("save_hf_checkpoint", REPO / "benchmarks/h200/save_hf_checkpoint.py")
    saver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(saver)
    checkpoint = tmp_path_factory.mktemp("ckpt") / "tiny-llama"
    saved = saver.save("tiny", checkpoint, vocab=1000, records=RECORDS, seed=0, shard_size="5GB")
    for model in (MODEL, MODEL_NODE):
        publish_model(root, checkpoint, model)
    from h200_workload import data  # saver put files/ on sys.path

    alpaca = root / "alpaca_data.json"
    alpaca.write_text(json.dumps(data.synth_records(RECORDS, 7), indent=1))
    (root / "broken.json").write_text(alpaca.read_text()[:-200])  # cut off: not JSON
    GatedHub.token = "hf_test" + secrets.token_hex(16)
    httpd = http.server.ThreadingHTTPServer(("0.0.0.0", 0), functools.partial(GatedHub, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://{GATEWAY}:{httpd.server_address[1]}"
    yield {"base": base, "alpaca": base + "/alpaca_data.json", "broken": base + "/broken.json",
           "checksum": "sha256:" + hashlib.sha256(alpaca.read_bytes()).hexdigest(), "token": GatedHub.token,
           "n_params": saved["n_params"]}
    httpd.shutdown()


def run_with(tmp_path: Path, extravars: dict[str, Any], env: dict[str, str] | None = None,
             cmdline: str | None = None) -> PlaybookRun:
    kwargs = runner_kwargs(BENCHMARK, tmp_path, extravars)
    kwargs["envvars"].update(env or {})
    if cmdline:
        kwargs["cmdline"] = cmdline
    start = time.monotonic()
    runner = ansible_runner.run(**kwargs)
    return PlaybookRun(rc=runner.rc, status=runner.status, events=list(runner.events), seconds=time.monotonic() - start)


def real_vars(tmp_path: Path, served: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    settings = {"nodes": "2", "phases": "sft,report", "model": MODEL, "h200_model_hub_endpoint": served["base"],
                "h200_sft_data_source": "alpaca", "h200_sft_alpaca_url": served["alpaca"],
                "h200_sft_alpaca_checksum": served["checksum"], "h200_fetch_cache_dir": str(tmp_path / "cache")}
    return benchmark_vars(tmp_path / "results", **{**settings, **overrides})


def node_state(host: str) -> str:
    """Every path under the node's scratch folder with its size and modification time."""
    return docker("exec", host, "sh", "-c", f"find {NODE_DIR} -printf '%p %s %T@\\n' 2>/dev/null | sort").stdout


def files_holding(token: str, *folders: Path) -> list[str]:
    return [str(p) for folder in folders for p in folder.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]


def ansible_output(tmp_path: Path) -> list[Path]:
    """What Ansible printed and emitted through ansible-runner: stdout and every event. (Not the runner's own
    record of the environment it was given, where the test put HF_TOKEN.)"""
    return [p.parent for p in tmp_path.rglob("stdout") if p.is_file()]


def token_leaks(token: str, tmp_path: Path, *folders: Path) -> list[str]:
    folders_out = ansible_output(tmp_path)
    outputs = [p for folder in folders_out for p in [folder / "stdout", *(folder / "job_events").glob("*")]]
    assert outputs and any((folder / "job_events").is_dir() for folder in folders_out)
    return [str(p) for p in outputs if token.encode() in p.read_bytes()] + files_holding(token, *folders)


def nodes_holding(token: str) -> list[str]:
    found = []
    for host in HOSTS:
        proc = subprocess.run(["docker", "exec", host, "grep", "-rlF", token, NODE_DIR, "/tmp", "/root"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode in (0, 1), proc.stderr  # 1: nothing found
        found += [f"{host}:{line}" for line in proc.stdout.splitlines()]
    return found


def check_sft(tmp_path: Path, run: PlaybookRun, model: str, n_params: int) -> Path:
    assert run.rc == 0, run.failure_messages()
    (run_dir,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]
    folder = f"{NODE_DIR}/models/models--{model.replace('/', '--')}"
    assert json.loads((run_dir / "run.json").read_text())["sft_inputs"]["model_path"] == folder
    summary = json.loads((run_dir / "sft" / "n2" / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["world_size"] == 2 and summary["zero_stage"] == 3, summary["error"]
    assert summary["model_source"] == f"pretrained:{folder}"
    # the model's own tokenizer (its folder, vocabulary hash appended), and every Alpaca record was read
    assert summary["data"]["tokenizer"].startswith(folder + "@") and summary["data"]["records"] == RECORDS
    assert summary["data"]["source"] == f"{NODE_DIR}/data/alpaca_data.json"
    assert summary["n_params"] == n_params  # the checkpoint's, with its vocabulary
    for host in HOSTS:  # present on every node, with the fetch's manifest
        listing = docker("exec", host, "ls", "-a", folder).stdout.split()
        assert {"config.json", "model.safetensors", "tokenizer.json", ".h200-model.json"} <= set(listing), listing
    return run_dir


def test_hub_model_fetched_on_the_master_and_alpaca(prepared: dict[str, str], served: dict[str, Any],
                                                     tmp_path: Path) -> None:
    """model=<hub id> fetched once on the control node with HF_TOKEN and copied; Alpaca from its URL."""
    GatedHub.hub_requests.clear()
    run = run_with(tmp_path, real_vars(tmp_path, served), env={"HF_TOKEN": served["token"]})
    run_dir = check_sft(tmp_path, run, MODEL, served["n_params"])
    assert GatedHub.hub_requests, "the model was not fetched from the hub double"
    cache = tmp_path / "cache" / "models" / "models--test-org--tiny-llama"
    assert (cache / "model.safetensors").is_file() and not list(cache.parent.glob(".*partial*"))
    # the token reached the hub (the double refuses requests without it) and no file of the run holds it
    assert token_leaks(served["token"], tmp_path, run_dir, tmp_path / "cache") == []
    assert nodes_holding(served["token"]) == []


def test_hub_model_fetched_by_each_node_with_a_vault_token(prepared: dict[str, str], served: dict[str, Any],
                                                            tmp_path: Path) -> None:
    """h200_model_fetch=node: every node fetches the model itself; the token comes from an Ansible Vault file."""
    from ansible.constants import DEFAULT_VAULT_ID_MATCH
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = tmp_path / "vault-pass"
    password.write_text(secrets.token_hex(8))
    vault = VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(password.read_bytes()))])
    secret_vars = tmp_path / "secrets.yml"
    secret_vars.write_bytes(vault.encrypt(f"h200_hf_token: {served['token']}\n"))
    for host in HOSTS:  # a cluster left up by an earlier session holds the nodes' own fetch: start without it
        docker("exec", host, "rm", "-rf", f"{NODE_DIR}/models/models--{MODEL_NODE.replace('/', '--')}")
    GatedHub.hub_requests.clear()
    run = run_with(tmp_path, real_vars(tmp_path, served, model=MODEL_NODE, h200_model_fetch="node"),
                   env={"HF_TOKEN": ""}, cmdline=f"--vault-password-file {password} -e @{secret_vars}")
    run_dir = check_sft(tmp_path, run, MODEL_NODE, served["n_params"])
    # each of the two nodes asked for the listing; the control node fetched no model
    assert len([r for r in GatedHub.hub_requests if r.startswith(f"/api/models/{MODEL_NODE}/")]) == 2
    assert not (tmp_path / "cache" / "models").exists()
    assert token_leaks(served["token"], tmp_path, run_dir) == []
    assert nodes_holding(served["token"]) == []


@pytest.mark.parametrize(("case", "overrides", "message"), [
    ("unreachable", {"h200_sft_alpaca_url": f"http://{GATEWAY}:1/alpaca_data.json"},
     f"h200_sft_alpaca_url: http://{GATEWAY}:1/alpaca_data.json could not be read: unreachable"),
    ("checksum", {"h200_sft_alpaca_checksum": "sha256:" + "0" * 64}, "not sha256:" + "0" * 64),
    ("malformed", {"h200_sft_alpaca_url": "broken", "h200_sft_alpaca_checksum": ""}, "broken.json is not valid JSON"),
    ("model_id", {"model": "meta llama/Llama-2-7b-hf"}, "model=meta llama/Llama-2-7b-hf is not accepted"),
])
def test_bad_sources_fail_before_any_node(cluster: dict[str, str], served: dict[str, Any], tmp_path: Path,
                                          case: str, overrides: dict[str, Any], message: str) -> None:
    if overrides.get("h200_sft_alpaca_url") == "broken":
        overrides = dict(overrides, h200_sft_alpaca_url=served["broken"])
    before = {host: node_state(host) for host in HOSTS}
    run = run_with(tmp_path, real_vars(tmp_path, served, **overrides), env={"HF_TOKEN": served["token"]})
    assert run.rc != 0
    messages = " ".join(run.failure_messages())
    assert message in messages, messages
    if case != "model_id":
        assert "preflight failed on the control node, no node was touched" in messages
    assert run.hosts_contacted() <= {"localhost"}, run.hosts_contacted()
    assert {host: node_state(host) for host in HOSTS} == before  # nothing on a node changed
    results = tmp_path / "results"
    assert not results.exists() or not any(results.iterdir())  # no run directory either
    cached = tmp_path / "cache" / "alpaca"
    assert not cached.exists() or not [p for p in cached.rglob("*") if p.is_file()]  # nothing half-downloaded kept
