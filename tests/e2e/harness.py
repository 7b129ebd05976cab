"""Helpers of the end-to-end tests: run a playbook on the virtual cluster through ansible-runner and read
its event stream; the virtual cluster's settings. Tests assert on events and files, never on screen text.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventory" / "virtual.yml"
BENCHMARK_VARS = REPO / "tests" / "virtual_cluster" / "benchmark_vars.yml"
E2E_PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
SSH_PORT = 44222


@dataclass
class PlaybookRun:
    """One playbook run: ansible-runner's status, rc and event list, and how long it took."""

    rc: int
    status: str
    events: list[dict[str, Any]]
    seconds: float

    def results(self, event: str, task: str | None = None) -> list[dict[str, Any]]:
        """The event_data of events of one kind (``runner_on_ok``, ``runner_on_failed``, ...), by task name."""
        found = []
        for ev in self.events:
            data = ev.get("event_data", {})
            if ev.get("event") == event and (task is None or data.get("task") == task):
                found.append(data)
        return found

    def hosts_contacted(self) -> set[str]:
        """Every host an event names (task results, unreachable, per-host starts)."""
        return {ev["event_data"]["host"] for ev in self.events if ev.get("event_data", {}).get("host")}

    def failure_messages(self) -> list[str]:
        """Messages of failed tasks and failed loop items."""
        return [str(d.get("res", {}).get("msg", ""))
                for d in self.results("runner_on_failed") + self.results("runner_item_on_failed")]


def alias_map() -> dict[str, str]:
    """The one alias map, as the playbooks read it."""
    data = yaml.safe_load((REPO / "inventory" / "group_vars" / "all" / "cluster.yml").read_text())
    return dict(sorted(data["h200_node_aliases"].items()))


def runner_kwargs(playbook: Path, tmp_path: Path, extravars: dict[str, Any] | None = None,
                  timeout: int = 1500, tags: str | None = None) -> dict[str, Any]:
    """Arguments of ansible_runner.run/run_async for a playbook on the virtual cluster (repository root)."""
    private = tmp_path / f"runner-{playbook.stem}-{time.monotonic_ns()}"
    private.mkdir(parents=True)
    venv_bin = str(Path(sys.executable).parent)
    envvars = {
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return {"private_data_dir": str(private), "project_dir": str(REPO), "playbook": str(playbook),
            "inventory": str(INVENTORY), "extravars": extravars or {}, "envvars": envvars, "quiet": True,
            "timeout": timeout, "tags": tags}


def run_playbook(playbook: Path, tmp_path: Path, extravars: dict[str, Any] | None = None,
                 timeout: int = 1500, tags: str | None = None) -> PlaybookRun:
    """Run a playbook on the virtual cluster through ansible-runner and wait for it."""
    start = time.monotonic()
    runner = ansible_runner.run(**runner_kwargs(playbook, tmp_path, extravars, timeout, tags))
    return PlaybookRun(rc=runner.rc, status=runner.status, events=list(runner.events),
                       seconds=time.monotonic() - start)


def benchmark_vars(results_dir: Path, **overrides: Any) -> dict[str, Any]:
    """The virtual cluster's benchmark settings (as make demo passes them), results under results_dir."""
    extravars = yaml.safe_load(BENCHMARK_VARS.read_text())
    extravars["h200_results_dir"] = str(results_dir)
    extravars.update(overrides)
    return extravars


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=120)


def bring_up() -> None:
    """make cluster-up (idempotent: starts what is stopped, changes nothing otherwise), then the node_aliases
    role of site.yml: Docker rewrites a container's /etc/hosts at every start, where a real node keeps the
    block the role wrote across reboots."""
    steps = (["make", "cluster-up"],
             [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY),
              str(REPO / "playbooks" / "site.yml"), "--tags", "node_aliases"])
    for argv in steps:
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1800,
                              env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")})
        if proc.returncode != 0:
            pytest.fail(f"{' '.join(argv)} failed (rc {proc.returncode}):\n"
                        f"{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
