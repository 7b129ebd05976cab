# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: benchmark_recorder
type: aggregate
short_description: Record every host's task results and timings into the benchmark run directory
description:
  - Appends one JSON line per task result per host (ok, failed, unreachable, skipped) to
    C(events.jsonl) in the run directory as each result arrives, so nothing is lost when the play dies.
  - Writes C(callback_summary.json) with per-host statistics, including failed and unreachable hosts,
    at the end of the playbook, also when the play failed.
  - The run directory is created by the first play of C(playbooks/benchmark.yml), which sets the fact
    C(h200_run_dir) on localhost; the callback takes it from that result. Results that arrive before
    it is known are kept in memory and written once it is. The O(run_dir) option overrides this.
  - Results of tasks with C(no_log) are written censored.
  - Does nothing for playbooks that never name a run directory.
version_added: 0.1.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
requirements:
  - enable in ansible.cfg with C(callbacks_enabled = spectrumx.h200_benchmark.benchmark_recorder)
options:
  run_dir:
    description: Run directory to write into; when unset, the fact C(h200_run_dir) set by the playbook is used.
    type: path
    env:
      - name: H200_RUN_DIR
    ini:
      - section: benchmark_recorder
        key: run_dir
  max_text:
    description: Longest C(msg), C(stdout) or C(stderr) kept per event; longer text keeps its tail.
    type: int
    default: 2000
    env:
      - name: H200_RECORDER_MAX_TEXT
    ini:
      - section: benchmark_recorder
        key: max_text
"""

import datetime
import os
import time

from ansible.plugins.callback import CallbackBase
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import run_dir as contract
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json

RUN_DIR_FACT = contract.RUN_DIR_FACT
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
# Result keys copied into an event; everything else (slurped file contents, module internals) stays out.
KEPT_KEYS = ("msg", "rc", "stdout", "stderr", "reason", "skip_reason", "attempts", "failed_when_result")


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "spectrumx.h200_benchmark.benchmark_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display=display)
        self._run_dir = None
        self._pending = []
        self._play = None
        self._task_started = {}
        self._started = time.time()
        self._started_iso = _now_iso()

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super(CallbackModule, self).set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        if self.get_option("run_dir"):
            self._run_dir = self.get_option("run_dir")

    # -- writing -----------------------------------------------------------------------------------
    def _write_line(self, event):
        with open(os.path.join(self._run_dir, contract.EVENTS_JSONL), "a") as handle:
            handle.write(strict_json.dumps(event, sort_keys=True, default=str) + "\n")

    def _emit(self, event):
        if self._run_dir is None:
            self._pending.append(event)
            return
        self._write_line(event)

    def _learn_run_dir(self, result):
        """Take the run directory from the playbook's set_fact of h200_run_dir, then flush what waited."""
        if self._run_dir is not None:
            return
        facts = result.get("ansible_facts") or {}
        run_dir = facts.get(RUN_DIR_FACT)
        if not run_dir or not os.path.isdir(run_dir):
            return
        self._run_dir = run_dir
        pending, self._pending = self._pending, []
        for event in pending:
            self._write_line(event)

    def _text(self, value):
        limit = self.get_option("max_text")
        if isinstance(value, str) and limit and len(value) > limit:
            return "...(%d characters cut)...%s" % (len(value) - limit, value[-limit:])
        return value

    def _record(self, result, status, ignore_errors=False):
        task = result.task
        host = result.host.get_name()
        data = result._result if isinstance(result._result, dict) else {}
        censored = bool(data.get("_ansible_no_log")) or (isinstance(task.no_log, bool) and task.no_log)
        if not censored:
            self._learn_run_dir(data)
        started = self._task_started.get(task._uuid)
        event = {
            "time": _now_iso(),
            "play": self._play,
            "task": task.get_name(),
            "action": task.action,
            "tags": sorted(task.tags or []),
            "host": host,
            "status": status,
            "changed": bool(data.get("changed", False)),
            "ignore_errors": bool(ignore_errors),
            "duration_s": None if started is None else round(time.time() - started, 3),
        }
        if censored:
            event["censored"] = CENSORED
        else:
            for key in KEPT_KEYS:
                if key in data:
                    event[key] = self._text(data[key])
        self._emit(event)

    # -- events ------------------------------------------------------------------------------------
    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started[task._uuid] = time.time()

    def v2_playbook_on_handler_task_start(self, task):
        self._task_started[task._uuid] = time.time()

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed", ignore_errors=ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        if self._run_dir is None:
            if self._pending:
                self._display.warning(
                    "benchmark_recorder: no run directory was created (h200_run_dir never set); "
                    "%d task results were not recorded" % len(self._pending)
                )
            return
        hosts = {}
        for host in sorted(stats.processed):
            hosts[host] = stats.summarize(host)
        failed = sorted(h for h, s in hosts.items() if s.get("failures"))
        unreachable = sorted(h for h, s in hosts.items() if s.get("unreachable"))
        summary = {
            "run_dir": self._run_dir,
            "started": self._started_iso,
            "ended": _now_iso(),
            "duration_s": round(time.time() - self._started, 3),
            "status": "failed" if (failed or unreachable) else "ok",
            "failed_hosts": failed,
            "unreachable_hosts": unreachable,
            "hosts": hosts,
        }
        path = os.path.join(self._run_dir, contract.CALLBACK_SUMMARY)
        with open(path + ".tmp", "w") as handle:
            handle.write(strict_json.dumps(summary, indent=2, sort_keys=True))
        os.replace(path + ".tmp", path)
