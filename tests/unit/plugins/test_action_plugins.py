"""The controller-side action plugins run by ansible-playbook on localhost, as a playbook uses them: run_record
(records, check mode, refusals), sft_wait (a real background job polled to its end, one line per poll) and
benchmark_report / campaign_report (check mode writes nothing, a bad run directory fails the task by name)."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "unit" / "data" / "results"


def play(tmp_path, tasks, *extra):
    """Run ``tasks`` (YAML text) in one localhost play; returns (rc, stdout+stderr)."""
    book = tmp_path / "play.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n" + textwrap.indent(
        textwrap.dedent(tasks), "    "))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(book), *extra],
                          cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_run_record_writes_records_and_refuses_a_bad_one(tmp_path):
    run = tmp_path / "run"
    rc, out = play(tmp_path, f"""
        - spectrumx.h200_benchmark.run_record:
            run_dir: {run}
            record: phase
            data: {{phase: sft, nodes: "2", status: ok, label: n2, hosts: [a, b]}}
        - spectrumx.h200_benchmark.run_record:
            run_dir: {run}
            record: preflight
            data: {{host: a, ok: true, checks: []}}
        - spectrumx.h200_benchmark.run_record:
            run_dir: {run}
            record: preflight_failure
            data: {{host: a, reason: "unreachable: timed out"}}
        - spectrumx.h200_benchmark.run_record:
            run_dir: {run}
            record: phase
            data: {{phase: sft, nodes: 2, status: done}}
    """)
    assert rc != 0 and "run_record phase: phase status 'done' is not one of ok, failed, skipped" in out
    (line,) = (run / "phases.jsonl").read_text().splitlines()
    assert json.loads(line)["nodes"] == 2 and json.loads(line)["hosts"] == ["a", "b"]
    # the node's own preflight record is kept: the failure record does not overwrite what says more
    assert json.loads((run / "preflight" / "a.json").read_text()) == {"host": "a", "ok": True, "checks": []}


def test_run_record_in_check_mode_writes_nothing(tmp_path):
    run = tmp_path / "run"
    rc, out = play(tmp_path, f"""
        - spectrumx.h200_benchmark.run_record:
            run_dir: {run}
            record: run
            data: {{run_id: r, run_dir: {run}, phases: [sft], hosts: [a]}}
          register: written
        - ansible.builtin.assert:
            that: written.record.collection_version == "{_galaxy_version()}" and written.path == "{run}/run.json"
    """, "--check")
    assert rc == 0, out
    assert not run.exists()


def _galaxy_version():
    for line in (ROOT / "galaxy.yml").read_text().splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("galaxy.yml has no version")


def test_sft_wait_polls_a_real_job_to_its_end(tmp_path):
    """A background job writes three metrics lines a second apart; sft_wait prints one line per poll and
    returns the job's rc."""
    metrics = tmp_path / "metrics.jsonl"
    job = tmp_path / "job.sh"
    line = '{"step": %s, "tokens_per_s": 2000, "tokens_per_s_per_gpu": 1000, "loss": 2.5, "step_time_s": 1.0}'
    job.write_text("for i in 1 2 3; do\n  echo '%s' >> %s\n  sleep 1\ndone\nexit 3\n" % (line % "'$i'", metrics))
    rc, out = play(tmp_path, f"""
        - ansible.builtin.command:
            argv: [sh, {job}]
          async: 60
          poll: 0
          register: job
        - spectrumx.h200_benchmark.sft_wait:
            jid: "{{{{ job.ansible_job_id }}}}"
            metrics_path: {metrics}
            total_steps: 3
            interval: 1
            first_interval: 0.5
            timeout: 60
            label: n1
          register: waited
        - ansible.builtin.assert:
            that: waited.finished and waited.job_rc == 3 and waited.polls >= 2 and not waited.timed_out
    """)
    assert rc == 0, out
    progress = [line for line in out.splitlines() if line.startswith("SFT n1: ")]
    assert len(progress) >= 2 and progress[-1] == (
        "SFT n1: step 3/3, 2,000 tokens/s (1,000 per GPU), loss 2.5, ETA 0 s, finished")


def test_sft_wait_stops_at_its_timeout(tmp_path):
    rc, out = play(tmp_path, f"""
        - ansible.builtin.command:
            argv: [sleep, "30"]
          async: 60
          poll: 0
          register: job
        - spectrumx.h200_benchmark.sft_wait:
            jid: "{{{{ job.ansible_job_id }}}}"
            metrics_path: {tmp_path}/none.jsonl
            total_steps: 3
            interval: 1
            first_interval: 0.5
            timeout: 2
          register: waited
        - ansible.builtin.assert:
            that: waited.timed_out and not waited.finished and waited.job_rc is none
    """)
    assert rc == 0, out
    assert "SFT SFT: starting (no step finished yet)" in out


@pytest.mark.parametrize("action", ["benchmark_report", "campaign_report"])
def test_report_actions_in_check_mode_write_nothing(tmp_path, action):
    results = tmp_path / "results"
    shutil.copytree(DATA, results)
    before = sorted(str(p) for p in results.rglob("*"))
    args = ("run_dir: %s" % (results / "20261129-050000-n2")) if action == "benchmark_report" else (
        "runs: %s" % results)
    rc, out = play(tmp_path, f"""
        - spectrumx.h200_benchmark.{action}:
            {args}
          register: written
        - ansible.builtin.assert:
            that: written.targets | length == 6
    """, "--check")
    assert rc == 0, out
    assert sorted(str(p) for p in results.rglob("*")) == before


def test_report_action_names_what_it_refuses(tmp_path):
    rc, out = play(tmp_path, f"""
        - spectrumx.h200_benchmark.benchmark_report:
            run_dir: {tmp_path}/not-a-run
    """)
    assert rc != 0 and "is not a directory" in out
    rc, out = play(tmp_path, f"""
        - spectrumx.h200_benchmark.benchmark_report:
            run_dir: {DATA / "20261129-050000-n2"}
            weak_tolerance: 1.5
    """)
    assert rc != 0 and "weak_tolerance must be at least 0 and below 1, got 1.5" in out


def test_campaign_report_writes_and_names_what_it_refuses(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(DATA, results)
    rc, out = play(tmp_path, f"""
        - spectrumx.h200_benchmark.campaign_report:
            runs: {results}
          register: written
        - ansible.builtin.assert:
            that: written.changed and written.report == "{results}/campaign.md" and written.runs | length > 0
    """)
    assert rc == 0, out
    assert (results / "campaign.md").stat().st_size > 0
    rc, out = play(tmp_path, f"""
        - spectrumx.h200_benchmark.campaign_report:
            runs: {tmp_path}/no-runs
    """)
    assert rc != 0 and "is not a directory of run directories" in out
