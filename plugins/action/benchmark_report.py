# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of spectrumx.h200_benchmark.benchmark_report: runs on the controller only.

The documentation is in plugins/modules/benchmark_report.py; the work in plugins/plugin_utils/report.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("run_dir", "line_rate_gbps", "targets", "results_root", "weak_tolerance"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(
            argument_spec={
                "run_dir": {"type": "path", "required": True},
                "line_rate_gbps": {"type": "float", "default": 800.0},
                "targets": {"type": "dict", "default": {}},
                "results_root": {"type": "path"},
                "weak_tolerance": {"type": "float", "default": 0.1},
            }
        )
        run_dir = args["run_dir"]
        results_root = args["results_root"] or os.path.dirname(os.path.normpath(run_dir))
        if not 0 <= args["weak_tolerance"] < 1:
            raise AnsibleActionFail("weak_tolerance must be at least 0 and below 1, got %s" % args["weak_tolerance"])
        try:
            if self._task.check_mode:
                summary = report.build_summary(
                    run_dir, args["line_rate_gbps"], args["targets"], results_root, args["weak_tolerance"]
                )[0]
                summary["plots"] = []
            else:
                summary = report.write_report(
                    run_dir, args["line_rate_gbps"], args["targets"], results_root, args["weak_tolerance"]
                )
        except report.ReportError as exc:
            raise AnsibleActionFail(str(exc)) from exc
        result.update(
            changed=not self._task.check_mode,
            report=os.path.join(run_dir, "report.md"),
            summary_path=os.path.join(run_dir, "summary.json"),
            plots=[os.path.join(run_dir, p) for p in summary["plots"]],
            targets=summary["targets"],
            scaling=summary["scaling"],
            latency_us=summary["latency_us"],
            sft=summary["sft"],
        )
        return result
