# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Launch command lines, built in one place: srun (Slurm), the DeepSpeed launcher over PDSH, mpirun (nccl-tests
between nodes under PDSH) and torch.distributed.run (one node). Each returns an argv list: nothing is joined into
a shell string, so no value a user typed is parsed by a shell. The filter ``launch_argv`` exposes them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# -e h200_srun_options: {partition: gpu, account: ops, time: "02:00:00", reservation: acceptance, exclusive: true}
SRUN_OPTIONS = ("account", "constraint", "exclusive", "partition", "qos", "reservation", "time")
_SRUN_VALUE = re.compile(r"^[A-Za-z0-9_.:,+@%=/-]+$")


class LaunchError(ValueError):
    """A launch setting that is not accepted."""


def srun_options_error(options, variable="h200_srun_options"):
    """'' when ``options`` is acceptable, else a message naming the variable, the item and the accepted keys."""
    if options in (None, {}):
        return ""
    if not isinstance(options, dict):
        return "%s must be a mapping of %s, got %r" % (variable, ", ".join(SRUN_OPTIONS), options)
    problems = []
    for key, value in sorted(options.items(), key=lambda kv: str(kv[0])):
        if key not in SRUN_OPTIONS:
            problems.append("%r is not one of %s" % (key, ", ".join(SRUN_OPTIONS)))
        elif key == "exclusive":
            if not isinstance(value, bool):
                problems.append("exclusive must be true or false, got %r" % (value,))
        elif not isinstance(value, (str, int)) or isinstance(value, bool) or not _SRUN_VALUE.match(str(value)):
            problems.append("%s=%r is not a single word of letters, digits and _.:,+@%%=/-" % (key, value))
    return "%s is not accepted: %s" % (variable, "; ".join(problems)) if problems else ""


def _srun_option_args(options):
    error = srun_options_error(options)
    if error:
        raise LaunchError(error)
    args = []
    for key in SRUN_OPTIONS:
        value = (options or {}).get(key)
        if key == "exclusive":
            args += ["--exclusive"] if value else []
        elif value not in (None, ""):
            args.append("--%s=%s" % (key, value))
    return args


def srun(hosts, ranks_per_node, gpus_per_node=0, job_name=None, options=None):
    """``srun -N n --nodelist=a,b --ntasks-per-node=r --label [--job-name] [--gpus-per-node=g] [site options]``."""
    argv = ["srun", "-N", str(len(hosts)), "--nodelist=" + ",".join(hosts),
            "--ntasks-per-node=%d" % int(ranks_per_node), "--label"]
    if job_name:
        argv.append("--job-name=" + job_name)
    if int(gpus_per_node or 0) > 0:
        argv.append("--gpus-per-node=%d" % int(gpus_per_node))
    return argv + _srun_option_args(options)


def mpirun(hosts, ranks_per_node, ssh_port, env_names):
    """mpirun over SSH on the inventory's port; only the variables named with -x reach the other nodes' ranks."""
    argv = ["mpirun", "--allow-run-as-root", "-np", str(len(hosts) * int(ranks_per_node)),
            "-H", ",".join("%s:%d" % (host, int(ranks_per_node)) for host in hosts),
            "--mca", "plm_rsh_args", "-p %d" % int(ssh_port), "--tag-output"]
    for name in sorted(env_names):
        argv += ["-x", name]
    return argv


def deepspeed(hosts, ranks_per_node, master_port, hostfile=None, ssh_port=22, master_addr=None, python="python3"):
    """The DeepSpeed launcher, run by the environment's interpreter (``python -m deepspeed.launcher.runner``, what
    the ``deepspeed`` script does; over PDSH it starts the ranks with that same interpreter): between nodes with a
    hostfile (SSH on the inventory's port, the launching node as master); on one node with --num_gpus. Followed
    by --module and the module's name."""
    runner = [python, "-m", "deepspeed.launcher.runner"]
    if len(hosts) > 1:
        if not hostfile:
            raise LaunchError("the DeepSpeed launcher needs a hostfile between nodes")
        argv = [*runner, "--hostfile", hostfile, "--ssh_port", str(int(ssh_port)),
                "--master_addr", master_addr or hosts[0]]
    else:
        argv = [*runner, "--num_gpus", str(int(ranks_per_node))]
    return [*argv, "--master_port", str(int(master_port)), "--module"]


def torchrun(python, ranks_per_node):
    """``python -m torch.distributed.run --standalone --nproc-per-node r -m``: one node, no launcher daemon."""
    return [python, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(int(ranks_per_node)), "-m"]


def python_module(launcher, hosts, ranks_per_node, gpus_per_node=0, python="python3", master_port=29500,
                  hostfile=None, ssh_port=22, job_name=None, srun_options=None, one_node="deepspeed"):
    """The argv prefix that runs a Python module (its name follows) on ``hosts``: under Slurm, srun of the
    node's interpreter with -m; under PDSH, the DeepSpeed launcher (or, on one node with ``one_node`` torchrun,
    torch.distributed.run)."""
    if launcher == "slurm":
        return [*srun(hosts, ranks_per_node, gpus_per_node, job_name, srun_options), python, "-m"]
    if launcher != "pdsh":
        raise LaunchError("launcher %r is not one of slurm, pdsh" % (launcher,))
    if len(hosts) == 1 and one_node == "torchrun":
        return torchrun(python, ranks_per_node)
    return deepspeed(hosts, ranks_per_node, master_port, hostfile, ssh_port, python=python)
