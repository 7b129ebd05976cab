"""Run an Ansible module's main() in-process and return its result (community.general style)."""

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result.get("msg"))
        self.result = result
        self.failed = failed


def _exit_json(self, **kwargs):
    raise ModuleExit(kwargs, failed=False)


def _fail_json(self, **kwargs):
    raise ModuleExit(kwargs, failed=True)


def run_module(monkeypatch, main, args, check_mode=False):
    """``(failed, result)`` of ``main()`` with ``args``; results must be JSON-serialisable like real ones."""
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(ModuleExit) as exc:
        main()
    json.dumps(exc.value.result)
    return exc.value.failed, exc.value.result
