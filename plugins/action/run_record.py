# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of spectrumx.h200_benchmark.run_record: writes one record of the run directory on the
controller, from the task's structured data, through module_utils/run_dir.py (documentation in
plugins/modules/run_record.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import run_dir as contract
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json

# plugins/action/ -> the collection's root (a checkout, or the installed collection)
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(
            argument_spec={
                "run_dir": {"type": "path", "required": True},
                "record": {"type": "str", "required": True, "choices": list(contract.RECORDS)},
                "data": {"type": "dict", "required": True},
                "label": {"type": "str"},
                "collective": {"type": "str"},
            }
        )
        try:
            content = contract.build(
                args["record"], args["data"], collection_version=contract.collection_version(COLLECTION_ROOT),
                now=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            )
            path = contract.path_of(args["run_dir"], args["record"], args["data"], args["label"], args["collective"])
        except (contract.RunRecordError, KeyError, TypeError, ValueError) as exc:
            raise AnsibleActionFail("run_record %s: %s" % (args["record"], exc)) from exc
        result.update(changed=not self._task.check_mode, path=path, record=content)
        if self._task.check_mode:
            return result
        if args["record"] == "preflight_failure" and os.path.exists(path):
            # preflight got to write the node's own checks before it failed: those say more
            result.update(changed=False, kept=path)
            return result
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if args["record"] == "phase":  # one line each, appended as the phase ends
            with open(path, "a") as handle:
                handle.write(strict_json.dumps(content, sort_keys=True) + "\n")
        else:
            with open(path + ".tmp", "w") as handle:
                handle.write(strict_json.dumps(content, indent=2, sort_keys=True) + "\n")
            os.replace(path + ".tmp", path)
        return result
