# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of spectrumx.h200_benchmark.campaign_report: one report over every run directory under a
results folder (documentation in plugins/modules/campaign_report.py; the work in plugin_utils/campaign.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import campaign, report


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(
            argument_spec={
                "runs": {"type": "path", "required": True},
                "out": {"type": "path"},
                "line_rate_gbps": {"type": "float", "default": 800.0},
                "targets": {"type": "dict", "default": {}},
                "weak_tolerance": {"type": "float", "default": 0.1},
            }
        )
        out = args["out"] or os.path.join(args["runs"], "campaign.md")
        try:
            if self._task.check_mode:
                summary = campaign.build_campaign(args["runs"], args["line_rate_gbps"], args["targets"],
                                                  args["weak_tolerance"])
            else:
                summary = campaign.write_campaign(args["runs"], out, args["line_rate_gbps"], args["targets"],
                                                  args["weak_tolerance"])
        except report.ReportError as exc:
            raise AnsibleActionFail(str(exc)) from exc
        result.update(changed=not self._task.check_mode, report=out, verdict=summary["verdict"],
                      targets=summary["targets"], runs=[r["run_id"] for r in summary["runs"]],
                      skipped_runs=summary["skipped"])
        return result
