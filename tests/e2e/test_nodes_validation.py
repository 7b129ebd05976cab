"""Bad ``-e nodes`` values are rejected on the control node before any node is contacted.

No time limit is asserted (none is required, and a loaded 2-core machine makes one a race): that no node was
contacted is what shows the rejection came first."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import REPO, run_playbook

BAD_NODES = ["0", "-1", "9", "abc", "2.5", "", "2;touch {marker}"]
PLAYBOOKS = ["benchmark.yml", "site.yml", "verify.yml"]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
@pytest.mark.parametrize("value", BAD_NODES)
def test_bad_nodes_rejected_before_any_node(playbook: str, value: str, tmp_path: Path) -> None:
    path = REPO / "playbooks" / playbook
    assert path.is_file(), f"{path} does not exist yet (it must reject bad nodes values like the others)"
    marker = tmp_path / "x"
    results = tmp_path / "results"
    run = run_playbook(path, tmp_path, {"nodes": value.format(marker=marker), "h200_results_dir": str(results)},
                       timeout=120)
    assert run.rc != 0, f"nodes={value!r} was accepted"
    messages = run.failure_messages()
    assert any("nodes=" in m and "is not accepted" in m for m in messages), messages
    assert run.hosts_contacted() <= {"localhost"}, run.hosts_contacted()
    assert not marker.exists(), "the nodes value reached a shell"
    # nothing was created for a run that was never valid
    assert not results.exists() or not any(results.iterdir())


# The virtual cluster runs 1 rank per node and has no GPU: gpus accepts 1 only there.
BAD_GPUS = ["0", "2", "abc", "2,1", "1;touch {marker}"]


@pytest.mark.parametrize("value", BAD_GPUS)
def test_bad_gpus_rejected_before_any_node(value: str, tmp_path: Path) -> None:
    marker = tmp_path / "x"
    results = tmp_path / "results"
    run = run_playbook(REPO / "playbooks" / "benchmark.yml", tmp_path,
                       {"nodes": "1", "gpus": value.format(marker=marker), "h200_results_dir": str(results)},
                       timeout=120)
    assert run.rc != 0, f"gpus={value!r} was accepted"
    messages = run.failure_messages()
    assert any(m.startswith("gpus=") and "is not accepted" in m and "from 1 to 1" in m for m in messages), messages
    assert run.hosts_contacted() <= {"localhost"}, run.hosts_contacted()
    assert not marker.exists(), "the gpus value reached a shell"
    assert not results.exists() or not any(results.iterdir())


def test_newline_in_a_generated_setting_rejected_before_any_node(tmp_path: Path) -> None:
    """h200_nccl_env becomes .deepspeed_env lines: a newline would add a line of the caller's choosing."""
    results = tmp_path / "results"
    run = run_playbook(REPO / "playbooks" / "benchmark.yml", tmp_path,
                       {"nodes": "1", "h200_results_dir": str(results),
                        "h200_nccl_env": {"NCCL_DEBUG": "WARN\nNCCL_NET_PLUGIN=/tmp/evil.so"}}, timeout=120)
    assert run.rc != 0
    messages = run.failure_messages()
    assert any(m.startswith("h200_nccl_env is not accepted") and "NCCL_DEBUG" in m for m in messages), messages
    assert run.hosts_contacted() <= {"localhost"}, run.hosts_contacted()
    assert not results.exists() or not any(results.iterdir())


# Every other input check of validate.yml: (extra vars, words the one failure message must hold: the input as
# given and the accepted values). Each is refused on the control node before any node is contacted.
BAD_INPUTS = {
    "phases": ({"phases": "nccl,bench"}, ["phases=nccl,bench is not accepted", "nccl, weak, sft, report"]),
    "launcher": ({"launcher": "mpi"}, ["launcher=mpi (slurm, pdsh)"]),
    "preset": ({"preset": "fast"}, ["preset=fast (seed, tuned)"]),
    "preflight_failure": ({"h200_preflight_failure": "ignore"}, ["h200_preflight_failure=ignore (stop, continue)"]),
    "device": ({"h200_device": "tpu"}, ["h200_device=tpu (cuda, cpu)"]),
    "steps": ({"h200_sft_steps": 0}, ["h200_sft_steps=0 is not accepted: give a whole number of at least 1"]),
    "seq_len": ({"h200_sft_seq_len": "8;id"}, ["h200_sft_seq_len=8;id is not accepted", "at least 16"]),
    "omp_threads": ({"h200_sft_omp_threads": "many"}, ["h200_sft_omp_threads=many is not accepted"]),
    "collectives": ({"h200_collectives": ["all_reduce", "broadcast"]},
                    ["h200_collectives=", "is not accepted: give a list of all_reduce, all_gather"]),
    "srun_options": ({"h200_srun_options": {"partition": "gpu --x", "shell": "sh"}},
                     ["h200_srun_options is not accepted", "'shell' is not one of account, constraint"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_rejected_before_any_node(case: str, tmp_path: Path) -> None:
    extra, words = BAD_INPUTS[case]
    results = tmp_path / "results"
    run = run_playbook(REPO / "playbooks" / "benchmark.yml", tmp_path,
                       dict({"nodes": "1", "h200_results_dir": str(results)}, **extra), timeout=120)
    assert run.rc != 0, f"{extra} was accepted"
    messages = run.failure_messages()
    assert any(all(w in m for w in words) for m in messages), messages
    assert run.hosts_contacted() <= {"localhost"}, run.hosts_contacted()
    assert not results.exists() or not any(results.iterdir())
