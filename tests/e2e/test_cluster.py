"""The virtual cluster's transport, scheduler and launchers, as the real cluster uses them."""

from __future__ import annotations

import json
from pathlib import Path

from harness import E2E_PLAYBOOKS, SSH_PORT, run_playbook


def test_ssh_44222_slurm_and_pdsh(cluster: dict[str, str], tmp_path: Path) -> None:
    run = run_playbook(E2E_PLAYBOOKS / "transport.yml", tmp_path, timeout=300)
    assert run.rc == 0, run.failure_messages()
    hosts = set(cluster.values())

    pinged = {d["host"] for d in run.results("runner_on_ok", "Ping") if d["res"].get("ping") == "pong"}
    assert pinged == hosts

    # SSH_CONNECTION = client address, client port, server address, server port (as the node saw it)
    task = "Read the SSH connection as the node sees it"
    ssh = {d["host"]: d["res"]["stdout"].split() for d in run.results("runner_on_ok", task)}
    assert set(ssh) == hosts
    assert {fields[3] for fields in ssh.values()} == {str(SSH_PORT)}

    (srun,) = run.results("runner_on_ok", "Run hostname on every node through Slurm")
    assert sorted(srun["res"]["stdout_lines"]) == sorted(hosts)

    # the aliases resolve through the block the node_aliases role wrote (Docker's DNS knows no alias here)
    (pdsh,) = run.results("runner_on_ok", "Run hostname on every alias through pdsh")
    seen = dict(line.split(": ", 1) for line in pdsh["res"]["stdout_lines"])
    assert seen == cluster  # every alias answered with its own host name
    blocks = {d["host"]: d["res"]["stdout_lines"] for d in run.results("runner_on_ok", "Read the node aliases block")}
    assert set(blocks) == hosts
    for host, lines in blocks.items():
        assert lines[0] == "# BEGIN spectrumx.h200_benchmark node aliases (node_aliases role)", (host, lines)
        assert lines[-1] == "# END spectrumx.h200_benchmark node aliases (node_aliases role)", (host, lines)
        assert {line.split()[2]: line.split()[1] for line in lines[1:-1]} == cluster, (host, lines)
    resolved = {d["host"]: d["res"]["stdout"].split() for d in run.results("runner_on_ok", "Resolve an alias")}
    assert set(resolved) == hosts
    assert all(fields[0] == "172.30.201.9" and "node008" in fields for fields in resolved.values()), resolved

    # The twin supplies no port between the nodes: an SSH that does not name 44222 is refused, so every
    # launcher the benchmark passes it to (PDSH and the DeepSpeed launcher, mpirun) must pass it itself.
    (no_port,) = run.results("runner_on_ok", "SSH to another node without naming the port")
    assert no_port["res"]["rc"] == 255 and "port 22: Connection refused" in no_port["res"]["stderr"], no_port["res"]


def test_srun_and_deepspeed_launcher_allreduce(prepared: dict[str, str], tmp_path: Path) -> None:
    run = run_playbook(E2E_PLAYBOOKS / "launchers.yml", tmp_path, timeout=600)
    assert run.rc == 0, run.failure_messages()
    first_two = set(list(prepared.values())[:2])
    for task in ("All-reduce through srun", "All-reduce through the DeepSpeed launcher"):
        (result,) = run.results("runner_on_ok", task)
        lines = [json.loads(line[line.index("{"):]) for line in result["res"]["stdout_lines"] if '"rank"' in line]
        assert sorted(r["rank"] for r in lines) == [0, 1], task
        assert {r["host"] for r in lines} == first_two, task
        assert all(r["world_size"] == 2 and r["sum"] == r["expected"] == 3.0 for r in lines), lines
