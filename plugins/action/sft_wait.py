# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of spectrumx.h200_benchmark.sft_wait: waits for the background SFT job on the launching node
and prints one progress line per poll (documentation in plugins/modules/sft_wait.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.spectrumx.h200_benchmark.plugins.filter.run_records import last_json_record

display = Display()


def progress_line(label, metrics, total_steps, finished):
    """``SFT n2: step 3/23, 26,934 tokens/s (13,467 per GPU), loss 9.8, ETA 400 s`` from the last metrics record."""
    if not isinstance(metrics, dict) or "step" not in metrics:
        line = "SFT %s: starting (no step finished yet)" % label
    else:
        try:
            step = int(metrics["step"])
            eta = max(0, total_steps - step) * float(metrics.get("step_time_s") or 0)
            line = "SFT %s: step %d/%d, %s tokens/s (%s per GPU), loss %.4g, ETA %d s" % (
                label, step, total_steps, "{:,.0f}".format(float(metrics.get("tokens_per_s") or 0)),
                "{:,.0f}".format(float(metrics.get("tokens_per_s_per_gpu") or 0)), float(metrics.get("loss")), eta)
        except (TypeError, ValueError):
            line = "SFT %s: unreadable metrics line %r" % (label, metrics)
    return line + (", finished" if finished else "")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(
            argument_spec={
                "jid": {"type": "str", "required": True},
                "metrics_path": {"type": "str", "required": True},
                "total_steps": {"type": "int", "required": True},
                "interval": {"type": "float", "default": 30.0},
                "first_interval": {"type": "float", "default": 5.0},
                "timeout": {"type": "float", "required": True},
                "label": {"type": "str", "default": "SFT"},
            }
        )
        async_dir = self._remote_expand_user(self.get_shell_option("async_dir", default="~/.ansible_async"))
        deadline = time.time() + args["timeout"]
        wait = args["first_interval"]
        polls = 0
        status = {}
        while True:
            time.sleep(max(0.0, min(wait, deadline - time.time())))
            polls += 1
            status = self._execute_module(module_name="ansible.legacy.async_status", task_vars=task_vars,
                                          module_args={"jid": args["jid"], "_async_dir": async_dir})
            tail = self._execute_module(module_name="ansible.legacy.command", task_vars=task_vars,
                                        module_args={"argv": ["tail", "-n", "2", args["metrics_path"]]})
            finished = bool(status.get("finished"))
            # two lines read: the last one may be half-written while the job runs
            display.display(progress_line(args["label"], last_json_record(tail.get("stdout", "")),
                                          args["total_steps"], finished))
            if finished or status.get("failed") or time.time() >= deadline:
                break
            wait = args["interval"]
        # A job that ended with an error is returned (job_rc), not failed here: the caller names the failed node.
        # (Not "rc": Ansible fails any task whose result has a non-zero rc.)
        result.update(changed=False, finished=bool(status.get("finished")), job_rc=status.get("rc"),
                      msg=status.get("msg", ""), polls=polls, timed_out=not status.get("finished"))
        return result
