"""The aggregate callback, loaded through Ansible's own plugin loader and fed result objects."""

import json
import os
from pathlib import Path

import pytest
from ansible.executor.stats import AggregateStats
from ansible.inventory.host import Host
from ansible.plugins.loader import callback_loader, init_plugin_loader

COLLECTIONS = Path(__file__).resolve().parents[3] / ".cache" / "collections"
NAME = "spectrumx.h200_benchmark.benchmark_recorder"
# Ansible's collection finder must own the ansible_collections namespace before any test module imports
# from it (pytest imports every test module before running one), or the loader cannot find the plugin.
init_plugin_loader([str(COLLECTIONS)])


class FakeTask:
    """The part of ansible.playbook.task.Task that callbacks read."""

    def __init__(self, name, action="ansible.builtin.command", no_log=False, tags=()):
        self.name, self.action, self.no_log, self.tags = name, action, no_log, list(tags)
        self._uuid = "uuid-" + name

    def get_name(self):
        return self.name


class FakeResult:
    """The part of a task result (CallbackTaskResult) that callbacks read."""

    def __init__(self, host, task, result):
        self.host, self.task, self._result = Host(host), task, result


@pytest.fixture(scope="module")
def loader():
    return callback_loader


def make_callback(loader, run_dir=None, max_text=None):
    plugin = loader.get(NAME)
    assert plugin is not None, "callback not found by the plugin loader"
    direct = {}
    if run_dir is not None:
        direct["run_dir"] = str(run_dir)
    if max_text is not None:
        direct["max_text"] = max_text
    plugin.set_options(direct=direct)
    return plugin


def read_events(run_dir):
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_declared_as_aggregate_needing_enablement(loader):
    plugin = make_callback(loader)
    assert plugin.CALLBACK_TYPE == "aggregate"
    assert plugin.CALLBACK_NEEDS_ENABLED is True
    assert plugin.get_option("max_text") == 2000


def test_events_wait_for_run_dir_fact_then_flush_in_order(loader, tmp_path):
    plugin = make_callback(loader)
    select = FakeTask("Validate nodes", action="ansible.builtin.fail")
    plugin.v2_playbook_on_task_start(select, False)
    plugin.v2_runner_on_skipped(FakeResult("localhost", select, {"skip_reason": "Conditional result was False"}))
    assert not (tmp_path / "events.jsonl").exists()
    fact = FakeTask("Remember the run directory", action="ansible.builtin.set_fact")
    plugin.v2_runner_on_ok(FakeResult("localhost", fact, {"ansible_facts": {"h200_run_dir": str(tmp_path)}}))
    events = read_events(tmp_path)
    assert [(e["task"], e["status"]) for e in events] == [
        ("Validate nodes", "skipped"),
        ("Remember the run directory", "ok"),
    ]
    assert events[0]["skip_reason"] == "Conditional result was False"
    assert events[0]["duration_s"] is not None and events[0]["duration_s"] >= 0
    # Written as it arrives: the next result is on disk before the playbook ends.
    plugin.v2_runner_on_ok(FakeResult("hgx-0001", FakeTask("Preflight"), {"changed": True, "rc": 0}))
    last = read_events(tmp_path)[-1]
    assert (last["host"], last["status"], last["changed"], last["rc"]) == ("hgx-0001", "ok", True, 0)


def test_failed_unreachable_and_ignored_are_recorded(loader, tmp_path):
    plugin = make_callback(loader, run_dir=tmp_path)
    task = FakeTask("Run all_reduce_perf")
    plugin.v2_runner_on_failed(FakeResult("hgx-0002", task, {"rc": 2, "msg": "non-zero return code"}))
    plugin.v2_runner_on_failed(FakeResult("hgx-0003", task, {"rc": 1, "msg": "tolerated"}), ignore_errors=True)
    plugin.v2_runner_on_unreachable(FakeResult("hgx-0004", task, {"msg": "ssh: connect to host port 44222"}))
    events = read_events(tmp_path)
    assert [(e["host"], e["status"], e["ignore_errors"]) for e in events] == [
        ("hgx-0002", "failed", False),
        ("hgx-0003", "failed", True),
        ("hgx-0004", "unreachable", False),
    ]
    assert events[2]["msg"] == "ssh: connect to host port 44222"


@pytest.mark.parametrize(
    ("no_log", "result"),
    [(True, {"msg": "password=hunter2"}), (False, {"msg": "password=hunter2", "_ansible_no_log": True})],
)
def test_no_log_results_are_censored(loader, tmp_path, no_log, result):
    plugin = make_callback(loader, run_dir=tmp_path)
    plugin.v2_runner_on_ok(FakeResult("hgx-0001", FakeTask("Write munge key", no_log=no_log), result))
    text = (tmp_path / "events.jsonl").read_text()
    assert "hunter2" not in text
    assert "no_log: true" in json.loads(text)["censored"]


def test_long_output_keeps_its_tail(loader, tmp_path):
    plugin = make_callback(loader, run_dir=tmp_path, max_text=10)
    plugin.v2_runner_on_ok(FakeResult("hgx-0001", FakeTask("Launch"), {"stdout": "x" * 50 + "final line"}))
    stdout = read_events(tmp_path)[0]["stdout"]
    assert stdout.endswith("final line") and "(50 characters cut)" in stdout


def test_summary_written_with_failed_and_unreachable_hosts(loader, tmp_path):
    plugin = make_callback(loader, run_dir=tmp_path)
    stats = AggregateStats()
    stats.increment("ok", "hgx-0001")
    stats.increment("ok", "hgx-0002")
    stats.increment("failures", "hgx-0002")
    stats.increment("dark", "hgx-0003")
    plugin.v2_playbook_on_stats(stats)
    summary = json.loads((tmp_path / "callback_summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["failed_hosts"] == ["hgx-0002"]
    assert summary["unreachable_hosts"] == ["hgx-0003"]
    assert summary["hosts"]["hgx-0001"]["ok"] == 1 and summary["hosts"]["hgx-0001"]["failures"] == 0
    assert summary["run_dir"] == str(tmp_path)
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))


def test_clean_play_summary_is_ok(loader, tmp_path):
    plugin = make_callback(loader, run_dir=tmp_path)
    stats = AggregateStats()
    stats.increment("ok", "localhost")
    plugin.v2_playbook_on_stats(stats)
    assert json.loads((tmp_path / "callback_summary.json").read_text())["status"] == "ok"


def test_no_run_dir_writes_nothing_and_warns(loader, tmp_path, monkeypatch):
    plugin = make_callback(loader)
    warnings = []
    monkeypatch.setattr(plugin._display, "warning", warnings.append)
    monkeypatch.chdir(tmp_path)
    plugin.v2_runner_on_ok(FakeResult("localhost", FakeTask("Anything"), {}))
    plugin.v2_playbook_on_stats(AggregateStats())
    assert list(tmp_path.iterdir()) == []
    assert warnings and "h200_run_dir never set" in warnings[0]


def test_events_are_strict_json_when_a_result_holds_nan(loader, tmp_path):
    plugin = make_callback(loader, run_dir=tmp_path)
    result = {"msg": {"util": float("nan"), "w": [float("inf"), 1.5]}}  # e.g. a debug task showing a figure
    plugin.v2_runner_on_ok(FakeResult("hgx-0001", FakeTask("Show", action="ansible.builtin.debug"), result))
    text = (tmp_path / "events.jsonl").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text.splitlines()[-1])["msg"] == {"util": None, "w": [None, 1.5]}
