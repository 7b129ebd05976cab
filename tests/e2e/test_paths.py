"""The paths of benchmark.yml, site.yml and verify.yml that a healthy full run does not take, each asserted by
its effect on phases.jsonl, the result files and the report: the weak-node search, a node whose SFT data is
damaged under h200_preflight_failure=continue (and the configuration left with too few nodes), a collective
that runs past its timeout and an SFT run past its own, what site.yml leaves on the nodes, and verify.yml's
table for a prepared node and for a node whose prolog was made writable.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import REPO, docker, run_playbook
from test_benchmark import load_json, load_jsonl, run_benchmark

NODE_DIR = "/var/tmp/h200_benchmark"  # h200_node_dir (roles/benchmark/defaults/main.yml)


def phase_records(run_dir: Path) -> list[tuple[str, int, str]]:
    """(phase, nodes, status) of phases.jsonl, in the order they ended."""
    return [(p["phase"], p["nodes"], p["status"]) for p in load_jsonl(run_dir / "phases.jsonl")]


def report_rows(run_dir: Path, section: str) -> list[list[str]]:
    """The cells of the Markdown table under ``## section`` of report.md (header and rule left out)."""
    lines = (run_dir / "report.md").read_text().splitlines()
    start = lines.index("## " + section)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [row for row in rows[2:]]


def node_processes(host: str, pattern: str) -> list[str]:
    """Command lines of the processes on a node whose command line holds pattern (pgrep -f -a)."""
    out = subprocess.run(["docker", "exec", host, "pgrep", "-a", "-f", "--", pattern],
                         capture_output=True, text=True, timeout=60)
    return [line for line in out.stdout.splitlines() if line.strip()]


def test_weak_node_search(prepared: dict[str, str], tmp_path: Path) -> None:
    """phases=weak on 4 nodes: all_reduce on each node alone, then on the disjoint pairs in alias order; one
    weak phase over the 4 nodes, no collective or SFT phase, and every result in the report's table."""
    run, run_dir = run_benchmark(tmp_path, "4", phases="weak,report")
    assert run.rc == 0, run.failure_messages()
    hosts = list(prepared.values())[:4]
    assert phase_records(run_dir) == [("preflight", 4, "ok"), ("weak", 4, "ok")]
    (weak,) = [p for p in load_jsonl(run_dir / "phases.jsonl") if p["phase"] == "weak"]
    assert weak["hosts"] == hosts and not weak["reason"]
    runs = {"node-" + h: [h] for h in hosts}
    runs.update({"pair-%s-%s" % tuple(pair): pair for pair in (hosts[0:2], hosts[2:4])})  # alias order
    labels = sorted(runs)
    assert sorted(p.name for p in (run_dir / "nccl" / "weak").iterdir()) == labels
    for label, ran_on in runs.items():
        result = load_json(run_dir / "nccl" / "weak" / label / "all_reduce.json")
        pair = len(ran_on) == 2
        assert result["tool"] == "torch.distributed" and result["nodes"] == len(ran_on), result
        assert result["hosts"] == ran_on and result["rows"], result
        for row in result["rows"]:
            # busbw = algbw x 2(n-1)/n: one rank moves nothing between ranks, two ranks move algbw
            busbw, algbw = row["out_of_place"]["busbw_gbps"], row["out_of_place"]["algbw_gbps"]
            assert busbw == pytest.approx(algbw if pair else 0.0, rel=1e-3, abs=1e-9), (label, row)
    assert not list((run_dir / "sft").iterdir()) and not list((run_dir / "nccl").glob("n*"))
    summary = load_json(run_dir / "summary.json")
    assert sorted(w["label"] for w in summary["weak_node"]) == labels
    for w in summary["weak_node"]:
        assert w["reason"] is None and w["peak_busbw_gbps"] is not None, w
        # a pair is compared with the line rate, a node alone is not
        assert (w["line_rate_fraction"] is not None) == w["label"].startswith("pair-"), w
    table = report_rows(run_dir, "Weak node search")
    assert sorted(row[0] for row in table) == labels and {row[1] for row in table} == {"all_reduce"}
    assert "SFT was not run." in (run_dir / "report.md").read_text()


@pytest.fixture
def damaged_data_on_victim() -> Iterator[tuple[str, int]]:
    """The Alpaca file of a record count no other test uses, cut off in the middle on hgx-0002 only (the
    workload writes synthetic records only where the file is missing): (host, records)."""
    host, records = "hgx-0002", 997
    path = f"{NODE_DIR}/data/alpaca_synth-{records}.json"
    docker("exec", host, "sh", "-c", f"mkdir -p {NODE_DIR}/data && printf '[{{\"instruction\": \"cut' > {path}")
    yield host, records
    docker("exec", host, "rm", "-f", path)


def test_damaged_data_under_preflight_continue(prepared: dict[str, str], damaged_data_on_victim: tuple[str, int],
                                               tmp_path: Path) -> None:
    """nodes=1,2 with h200_preflight_failure=continue and the SFT data damaged on hgx-0002: preflight fails that
    node with the data error, the 1-node configuration runs on hgx-0001, the 2-node one is recorded skipped with
    the reason, the report shows both, and the run does not exit 0."""
    victim, records = damaged_data_on_victim
    master = next(iter(prepared.values()))
    run, run_dir = run_benchmark(tmp_path, "1,2", h200_preflight_failure="continue", h200_sft_synth_records=records)
    assert run.rc != 0, "a run whose preflight failed on a node exited 0"
    assert phase_records(run_dir) == [("preflight", 2, "failed"), ("collectives", 1, "ok"), ("sft", 1, "ok"),
                                      ("collectives", 2, "skipped"), ("sft", 2, "skipped")]
    records_by_phase = {(p["phase"], p["nodes"]): p for p in load_jsonl(run_dir / "phases.jsonl")}
    preflight_reason = records_by_phase[("preflight", 2)]["reason"]
    assert preflight_reason.startswith(f"{victim}: SFT model or data failed: "), preflight_reason
    assert "alpaca_synth-%d.json" % records in preflight_reason, preflight_reason
    assert master not in preflight_reason
    for phase in ("collectives", "sft"):
        assert records_by_phase[(phase, 2)]["reason"] == f"only 1 nodes passed preflight: {master}"
    assert load_json(run_dir / "sft" / "n1" / "summary.json")["status"] == "ok"
    assert not (run_dir / "sft" / "n2").exists() and not (run_dir / "nccl" / "n2").exists()
    # the failure names the node and why; the preflight record of the node says it failed
    assert any(f"preflight, 2 nodes, {victim}: SFT model or data failed" in m for m in run.failure_messages()), \
        run.failure_messages()
    assert load_json(run_dir / "preflight" / f"{victim}.json")["ok"] is False
    assert load_json(run_dir / "preflight" / f"{master}.json")["ok"] is True
    summary = load_json(run_dir / "summary.json")
    assert summary["verdict"]["verdict"] == "FAIL", summary["verdict"]
    phases = {(row[0], row[1]): row for row in report_rows(run_dir, "Phases")}
    assert phases[("preflight", "2")][2] == "failed" and victim in phases[("preflight", "2")][3]
    for phase in ("collectives", "sft"):
        assert phases[(phase, "2 (n2)")][2:4] == ["skipped", f"only 1 nodes passed preflight: {master}"], phases
        assert phases[(phase, "1 (n1)")][2] == "ok", phases
    preflight = {row[0]: row for row in report_rows(run_dir, "Preflight")}
    assert preflight[victim][1] == "no" and "alpaca_synth-%d.json" % records in preflight[victim][2], preflight


def test_collective_and_sft_past_their_timeouts(prepared: dict[str, str], tmp_path: Path) -> None:
    """Through PDSH on 2 nodes, a collective that runs past h200_collectives_timeout and an SFT run past
    h200_sft_timeout (each far longer than its limit): both phases are recorded failed with the limit named, the
    report marks them, the run does not exit 0, and nothing of either is left running on either node (the ranks
    the DeepSpeed launcher started over SSH outlive the launcher: the role ends them)."""
    hosts = list(prepared.values())[:2]
    run, run_dir = run_benchmark(
        tmp_path, "2", launcher="pdsh", h200_collectives=["all_reduce"], h200_collectives_timeout=10,
        # 1,000 iterations of each size up to 256 MiB: minutes of memory copies, never done in 10 s
        h200_torch_collectives_args=["--max-bytes", "256M", "--factor", "4", "--iters", "1000"],
        h200_sft_steps=100000, h200_sft_timeout=60)
    assert run.rc != 0, "a run with two failed phases exited 0"
    assert phase_records(run_dir) == [("preflight", 2, "ok"), ("collectives", 2, "failed"), ("sft", 2, "failed")]
    records = {p["phase"]: p for p in load_jsonl(run_dir / "phases.jsonl")}
    assert records["collectives"]["reason"].startswith(
        "all_reduce (n2): Task failed: Timed out after 10 second(s). (h200_collectives_timeout)"), records
    assert "SFT n2 did not finish within h200_sft_timeout=60 s" in records["sft"]["reason"], records["sft"]
    result = load_json(run_dir / "nccl" / "n2" / "all_reduce.json")  # the failure, written into the result
    assert result["error"] == records["collectives"]["reason"] and not result["rows"], result
    # the SFT run got into training before the limit: its steps were fetched, short of the 100,000 asked
    steps = [r["step"] for r in load_jsonl(run_dir / "sft" / "n2" / "metrics.jsonl") if "step" in r]
    assert steps and max(steps) < 100000
    phases = {(row[0], row[1]): row for row in report_rows(run_dir, "Phases")}
    assert phases[("collectives", "2 (n2)")][2] == "failed" and phases[("sft", "2 (n2)")][2] == "failed", phases
    assert "h200_sft_timeout=60" in phases[("sft", "2 (n2)")][3]
    collectives = report_rows(run_dir, "Collectives")
    assert [row[0] for row in collectives] == ["all_reduce"] and "h200_collectives_timeout" in collectives[0][6]
    assert load_json(run_dir / "summary.json")["verdict"]["verdict"] == "FAIL"
    # a limit that leaves the benchmark running would load the nodes under every phase after it
    left = {host: node_processes(host, "h200_workload[.](collectives|sft)") for host in hosts}
    assert left == {host: [] for host in hosts}, left


def site_state(host: str) -> dict[str, Any]:
    """What site.yml leaves on one node, read with the node's own tools (not with the roles' verify tasks)."""
    script = r"""
import json, os, pwd, grp, stat, subprocess
def mode(p):
    s = os.stat(p)
    return [pwd.getpwuid(s.st_uid).pw_name, grp.getgrgid(s.st_gid).gr_name, oct(stat.S_IMODE(s.st_mode))]
def text(p):
    return open(p).read() if os.path.exists(p) else None
env = json.load(open("/var/lib/spectrumx/conda_packages.json"))
probe = subprocess.run([env["env"] + "/bin/python", "-c",
    "import torch, deepspeed, transformers; print('versions', torch.__version__, deepspeed.__version__, "
    "transformers.__version__)"], capture_output=True, text=True)
print(json.dumps({
    "prolog": mode("/etc/slurm/spectrumx_prolog.sh"), "epilog": mode("/etc/slurm/spectrumx_epilog.sh"),
    "hugepages_conf": text("/etc/sysctl.d/60-spectrumx-hugepages.conf"),
    "roce_sysctl": text("/etc/sysctl.d/90-roce-qos.conf"), "nccl_conf": text("/etc/nccl.conf"),
    "roce_unit": os.path.exists("/etc/systemd/system/roce-qos.service"),
    "conda_record": env, "hosts": text("/etc/hosts"),
    # DeepSpeed prints its accelerator warning on stdout at import: the versions are the line of their own
    "imports": [line.split()[1:] for line in probe.stdout.splitlines() if line.startswith("versions ")],
}))
"""
    return json.loads(docker("exec", host, "python3", "-c", script).stdout)


def test_what_site_yml_leaves_on_the_nodes(prepared: dict[str, str]) -> None:
    """site.yml on the virtual cluster: each role's effect on every node, read back with the node's tools and
    Slurm's own view, against the inputs in the inventory and the roles' defaults."""
    inventory = yaml.safe_load((REPO / "inventory" / "virtual.yml").read_text())["all"]["vars"]
    roce = yaml.safe_load((REPO / "roles" / "roce_qos" / "defaults" / "main.yml").read_text())
    pins = dict(p.split("==") for p in inventory["conda_torch_packages"] + inventory["conda_pip_packages"])
    for alias, host in prepared.items():
        state = site_state(host)
        # slurm_prolog: scripts that run as root are root's and written by nobody else
        assert state["prolog"] == ["root", "root", "0o755"] and state["epilog"] == ["root", "root", "0o755"], state
        # hugepages: the reservation persisted (the containers' /proc/sys is read-only: not reserved now)
        assert "vm.nr_hugepages = 1024" in state["hugepages_conf"].splitlines(), state["hugepages_conf"]
        # roce_qos: /etc/nccl.conf from the same DSCP as the NIC (traffic class = DSCP << 2, ECN-capable bit set),
        # the sysctls persisted and the boot unit installed
        nccl_conf = dict(line.split("=", 1) for line in state["nccl_conf"].splitlines() if "=" in line)
        assert nccl_conf["NCCL_IB_TC"] == str(roce["roce_qos_dscp"] * 4 + 2), nccl_conf
        assert "NCCL_IB_HCA" not in nccl_conf  # no RDMA device in a container: not invented
        for key, value in roce["roce_qos_sysctls"].items():
            assert f"{key} = {value}" in state["roce_sysctl"].splitlines() or f"{key}={value}" in state["roce_sysctl"]
        assert state["roce_unit"] is True
        # conda (venv backend): the record names the environment, and its interpreter imports the pinned versions
        record = state["conda_record"]
        assert record["backend"] == "venv" and record["env"] == "/opt/miniconda3/envs/h200-bench", record
        assert record["pins"] == pins, record["pins"]
        (imported,) = state["imports"]
        assert [v.split("+")[0] for v in imported] == [pins["torch"], pins["deepspeed"], pins["transformers"]], imported
        # node_aliases: every alias resolves to its host on every node
        block = state["hosts"].split("# BEGIN spectrumx.h200_benchmark node aliases")[1].split("# END")[0]
        assert alias in block and {line.split()[2] for line in block.splitlines()[1:] if line.split()} == set(prepared)
    # Slurm's own view: the running slurmctld runs the installed prolog at allocation
    config = docker("exec", "hgx-0001", "scontrol", "show", "config").stdout
    settings = dict((key.strip(), value.strip()) for key, value in
                    (line.split("=", 1) for line in config.splitlines() if "=" in line))
    assert settings["Prolog"] == "/etc/slurm/spectrumx_prolog.sh", settings["Prolog"]
    assert settings["Epilog"] == "/etc/slurm/spectrumx_epilog.sh", settings["Epilog"]
    assert "Alloc" in settings["PrologFlags"], settings["PrologFlags"]


def verify_table(run: Any) -> dict[tuple[str, str], str]:
    """{(host, role): result} from verify.yml's per-node table."""
    (table,) = run.results("runner_on_ok", "Per-node table (host x role)")
    lines = table["res"]["msg"]
    roles = lines[0].split()[1:]
    rows = [line.split() for line in lines[1:]]
    return {(cells[0], role): cell for cells in rows for role, cell in zip(roles, cells[1:], strict=True)}


def verify_reasons(run: Any) -> list[str]:
    (reasons,) = run.results("runner_on_ok", "Reasons for every check that did not pass")
    return reasons["res"]["msg"]


@pytest.fixture
def writable_prolog(prepared: dict[str, str]) -> Iterator[str]:
    """The Slurm prolog on hgx-0003 made writable by others (a script that runs as root), put back after."""
    host = "hgx-0003"
    docker("exec", host, "chmod", "0757", "/etc/slurm/spectrumx_prolog.sh")
    yield host
    docker("exec", host, "chmod", "0755", "/etc/slurm/spectrumx_prolog.sh")


def test_verify_reports_each_role_and_a_writable_prolog(prepared: dict[str, str], writable_prolog: str,
                                                       tmp_path: Path) -> None:
    """verify.yml on three prepared nodes, one of whose prolog is writable by others: the table has a row per
    node and a cell per role; absent hardware is "absent" with its reason; that node's slurm_prolog is FAIL
    with the mode named, the others pass their script checks; the play fails naming host/role."""
    hosts = list(prepared.values())[:3]
    run = run_playbook(REPO / "playbooks" / "verify.yml", tmp_path, {"nodes": "3"}, timeout=900)
    assert run.rc != 0, "verify.yml passed with a prolog writable by others"
    table = verify_table(run)
    roles = yaml.safe_load((REPO / "playbooks" / "vars" / "site_roles.yml").read_text())["h200_site_roles_all"]
    assert set(table) == {(h, r) for h in hosts for r in roles}, table
    for host in hosts:
        assert table[(host, "node_aliases")] == "pass"
        # no GPU, NIC, CUDA toolkit or hugepages in a container (and so no CUDA in torch): absent, with the reason
        for role in ("drivers", "hugepages", "roce_qos", "conda", "nccl_build"):
            assert table[(host, role)] == "absent", (host, role, table)
        assert table[(host, "slurm_prolog")] == ("FAIL" if host == writable_prolog else "absent"), table
    reasons = verify_reasons(run)
    assert f"{writable_prolog} slurm_prolog prolog_script fail: /etc/slurm/spectrumx_prolog.sh is root:root 0757, " \
           "expected root:root 0755" in reasons, reasons
    assert not [r for r in reasons if " fail: " in r and not r.startswith(writable_prolog)], reasons
    for host in hosts:
        assert f"{host} drivers gpu_count absent: no usable NVIDIA GPU: nvidia-smi not present" in reasons, reasons
    assert any(m.startswith(f"Checks failed: {writable_prolog}/slurm_prolog ") for m in run.failure_messages()), \
        run.failure_messages()
