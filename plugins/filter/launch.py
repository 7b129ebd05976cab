# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that build launch command lines (logic and tests: module_utils/launch.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import launch


def launch_argv(launcher, hosts, ranks_per_node, **kwargs):
    """The argv prefix that runs a Python module on ``hosts`` (``launch.python_module``); its name follows."""
    try:
        return launch.python_module(launcher, list(hosts), ranks_per_node, **kwargs)
    except launch.LaunchError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def nccl_tests_launcher(launcher, hosts, ranks_per_node, gpus_per_node=0, ssh_port=22, env_names=(),
                        srun_options=None):
    """The launcher in front of an nccl-tests binary: none on one node (one process drives every GPU with -g),
    srun under Slurm, mpirun under PDSH."""
    try:
        if len(hosts) == 1:
            return []
        if launcher == "slurm":
            return launch.srun(list(hosts), ranks_per_node, gpus_per_node, options=srun_options)
        return launch.mpirun(list(hosts), ranks_per_node, ssh_port, list(env_names))
    except launch.LaunchError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule(object):
    def filters(self):
        return {"launch_argv": launch_argv, "nccl_tests_launcher": nccl_tests_launcher,
                "srun_options_error": launch.srun_options_error}
