#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nccl_tests
short_description: Run an nccl-tests binary, or parse an existing nccl-tests output
description:
  - Run mode (O(binary) given) runs C(LAUNCHER_ARGV... BINARY ARGS...), writing the raw output to
    O(output_path) on the node as it runs, and parses it.
  - Parse mode (O(log_path) and/or O(json_path) given, no O(binary)) only reads an existing output.
  - The text parser reads every nccl-tests table format (with or without the C(root) column, the
    old C(error) column, C(N/A) where not checked, Slurm C(srun --label) and Open MPI
    C(--tag-output) prefixes, NCCL INFO lines between rows, a run cut off by a crash); the JSON
    parser reads the file written with C(-J).
  - Parsing is in C(module_utils/nccl_output.py).
version_added: 0.1.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  log_path:
    description: Existing text output to parse (parse mode).
    type: path
  json_path:
    description:
      - In parse mode, an existing C(-J) JSON file to parse (its rows are used; the text log, if
        also given, adds the versions and failure lines).
      - In run mode, C(-J JSON_PATH) is added to the arguments; the file must not exist yet.
    type: path
  binary:
    description: The nccl-tests binary to run, e.g. C(/opt/nccl-tests/build/all_reduce_perf).
    type: str
  args:
    description: Arguments of the binary, e.g. C([-b, 8, -e, 8G, -f, 2, -g, 1]).
    type: list
    elements: str
    default: []
  launcher_argv:
    description: Launcher prefix, e.g. C([srun, -N, 2, --ntasks-per-node=8, --label]) or C([mpirun, -np, 16]).
    type: list
    elements: str
    default: []
  env:
    description: Environment variables added for the run (e.g. C(NCCL_ALGO=Ring)).
    type: dict
    default: {}
  chdir:
    description: Directory to run in.
    type: path
  timeout:
    description: Seconds before the run is stopped (SIGTERM to its process group, then SIGKILL).
    type: int
    default: 3600
  output_path:
    description: Where the raw output is written as it runs (run mode; must not exist yet).
    type: path
  fail_on_wrong:
    description: In run mode, fail when nccl-tests counted wrong elements or out-of-bounds values.
    type: bool
    default: true
  expected_ranks:
    description:
      - Number of ranks the launch should have joined in one test (nodes x tasks per node x GPUs per task).
      - When the output shows another number of ranks (its C(# Rank) lines, or the devices of the JSON
        file), the result is not C(complete) and C(problems) names both numbers.
    type: int
    version_added: 0.1.0
notes:
  - Check mode is supported; in run mode nothing is run and the result says so (C(skipped)).
  - In run mode the module fails when the run exits non-zero, is not C(complete) (cut off, no rows,
    several result tables, another number of ranks than O(expected_ranks); each reason is in
    C(problems)), or (O(fail_on_wrong)) reports wrong results; the parsed fields are returned with the failure.
  - Bytes that are not UTF-8 in the outputs are replaced and named in C(input_warnings); every error
    message names the file it is about.
  - The C(env) list nccl-tests writes into its JSON file is not returned.
"""

EXAMPLES = r"""
- name: All-reduce across 2 nodes through Slurm, ring only, raw output kept on the node
  spectrumx.h200_benchmark.nccl_tests:
    binary: /opt/nccl-tests/build/all_reduce_perf
    args: [-b, "8", -e, 8G, -f, "2", -g, "1", -c, "1"]
    launcher_argv: [srun, -N, "2", --ntasks-per-node=8, --gpus-per-node=8, --label]
    env:
      NCCL_ALGO: Ring
    output_path: /var/tmp/h200_benchmark/all_reduce_n2.log
    timeout: 1800
  register: __all_reduce

- name: Parse an output saved earlier
  spectrumx.h200_benchmark.nccl_tests:
    log_path: /var/tmp/h200_benchmark/all_reduce_n2.log
"""

RETURN = r"""
rows:
  description: One entry per message size (GB/s are 10^9 bytes/s; C(wrong) null where not checked).
  returned: always
  type: list
  elements: dict
  sample:
    - size_bytes: 8589934592
      count: 2147483648
      dtype: float
      redop: sum
      root: -1
      out_of_place: {time_us: 179148.0, algbw_gbps: 47.95, busbw_gbps: 89.9, wrong: null}
      in_place: {time_us: 180166.0, algbw_gbps: 47.68, busbw_gbps: 89.4, wrong: null}
avg_busbw_gbps:
  description: The C(Avg bus bandwidth) nccl-tests printed; null when the output has none.
  returned: always
  type: float
peak_busbw_gbps:
  description: Largest busbw of any row, out-of-place or in-place; null without rows.
  returned: always
  type: float
wrong_total:
  description: Sum of C(#wrong) over all rows; null when nothing was checked (C(-c 0)).
  returned: always
  type: int
out_of_bounds_ok:
  description: False when nccl-tests printed C(Out of bounds values N FAILED); null when not printed.
  returned: always
  type: bool
complete:
  description: True when the closing C(Avg bus bandwidth) line (or JSON summary) is there and C(problems) is empty.
  returned: always
  type: bool
problems:
  description:
    - Why the result does not stand for one whole run, each reason a sentence - output cut off before the
      closing line, no result rows (a run that exited 0 included), several result tables in one output
      (one per task of an nccl-tests built without MPI; only the first table's rows are kept), a negative
      C(#wrong) (left out of C(wrong_total)), another number of ranks than O(expected_ranks), JSON that
      does not decode (naming the file).
    - Empty exactly when C(complete) is true.
  returned: always
  type: list
  elements: str
  version_added: 0.1.0
input_warnings:
  description: Damage to the outputs that was read around, naming the file, e.g. bytes that are not UTF-8 (replaced).
  returned: always
  type: list
  elements: str
  version_added: 0.1.0
nccl_version:
  description: NCCL library version, from the C(# nccl-tests version) header, C(NCCL version) line or JSON.
  returned: always
  type: str
nccl_tests_version:
  description: nccl-tests version when printed (2.17 onwards).
  returned: always
  type: str
test:
  description: The test name (e.g. C(all_reduce_perf)).
  returned: always
  type: str
ranks:
  description: Number of ranks listed under C(Using devices).
  returned: always
  type: int
hosts:
  description: Hosts listed under C(Using devices).
  returned: always
  type: list
  elements: str
failures:
  description: Failure lines seen (C(Test ... failure), C(NCCL WARN), ...), at most 20.
  returned: always
  type: list
  elements: str
rc:
  description: Exit status of the run.
  returned: run mode
  type: int
timed_out:
  description: Whether the run was stopped by O(timeout).
  returned: run mode
  type: bool
cmd:
  description: The command run.
  returned: run mode
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import nccl_output


def _read(module, path, what):
    """The file's bytes: the parser decodes them, replacing (and reporting) what is not UTF-8."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s %s: %s" % (what, path, exc))


def _parse(module, parse, path, what):
    try:
        return parse(_read(module, path, what), path)
    except nccl_output.NcclOutputError as exc:
        module.fail_json(msg="cannot parse %s: %s" % (what, exc))


def parse_files(module, log_path, json_path, expected_ranks=None):
    """Rows from the JSON file when there is one, everything else from the text log; problems of both."""
    text_result = _parse(module, nccl_output.parse_nccl_text, log_path, "log_path") if log_path else None
    if not json_path:
        return nccl_output.check_expected_ranks(text_result, expected_ranks)
    result = _parse(module, nccl_output.parse_nccl_json, json_path, "json_path")
    if text_result is not None:
        for key in ("nccl_tests_version", "test"):
            result[key] = result[key] or text_result[key]
        for key in ("failures", "input_warnings"):
            result[key] = text_result[key] + result[key]
        # the text is the same run's output: its damage (several tables, cut off) is the result's too
        for reason in text_result["problems"]:
            nccl_output.mark_incomplete(result, "%s: %s" % (log_path, reason))
    return nccl_output.check_expected_ranks(result, expected_ranks)


def run_test(module, argv, env, chdir, timeout, output_path):
    """Run argv with its output going to output_path as it comes; returns (rc, timed_out)."""
    environ = dict(os.environ)
    environ.update(dict((str(k), str(v)) for k, v in env.items()))
    environ["LC_ALL"] = "C"
    try:
        return nccl_output.run_to_file(argv, environ, chdir, timeout, output_path)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot run %s: %s" % (" ".join(argv), exc), cmd=argv)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log_path=dict(type="path"),
            json_path=dict(type="path"),
            binary=dict(type="str"),
            args=dict(type="list", elements="str", default=[]),
            launcher_argv=dict(type="list", elements="str", default=[]),
            env=dict(type="dict", default={}),
            chdir=dict(type="path"),
            timeout=dict(type="int", default=3600),
            output_path=dict(type="path"),
            fail_on_wrong=dict(type="bool", default=True),
            expected_ranks=dict(type="int"),
        ),
        mutually_exclusive=[("log_path", "binary")],
        required_one_of=[("log_path", "json_path", "binary")],
        required_by={"binary": ("output_path",)},
        supports_check_mode=True,
    )
    params = module.params
    if params["expected_ranks"] is not None and params["expected_ranks"] < 1:
        module.fail_json(msg="expected_ranks must be a positive number of ranks, got %d" % params["expected_ranks"])
    if not params["binary"]:
        result = parse_files(module, params["log_path"], params["json_path"], params["expected_ranks"])
        module.exit_json(changed=False, **result)

    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, got %d" % params["timeout"])
    if not params["binary"].strip():
        module.fail_json(msg="binary must name an nccl-tests binary such as all_reduce_perf, got an empty string")
    for name in ("output_path", "json_path"):
        if params[name] and os.path.exists(params[name]):
            module.fail_json(
                msg="%s %s already exists; results are never overwritten: give a new path" % (name, params[name])
            )
    if params["chdir"] and not os.path.isdir(params["chdir"]):
        module.fail_json(msg="chdir %s is not a directory" % params["chdir"])
    argv = [*list(params["launcher_argv"]), params["binary"], *list(params["args"])]
    if params["json_path"]:
        argv += ["-J", params["json_path"]]
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, cmd=argv, msg="check mode: nccl-tests not run")

    rc, timed_out = run_test(module, argv, params["env"], params["chdir"], params["timeout"], params["output_path"])
    json_path = params["json_path"] if params["json_path"] and os.path.exists(params["json_path"]) else None
    result = parse_files(module, params["output_path"], json_path, params["expected_ranks"])
    result["test"] = result["test"] or os.path.basename(params["binary"])
    result.update(rc=rc, timed_out=timed_out, cmd=argv, changed=True)
    problems = []
    if timed_out:
        problems.append("stopped after the timeout of %d s" % params["timeout"])
    if rc != 0:
        problems.append("exit status %d" % rc)
    problems.extend(result["problems"])
    if not result["rows"] and result["failures"]:
        # the reason a run printed no results is usually its first failure line (CUDA, NCCL, srun)
        problems.append("first failure line: %s" % result["failures"][0])
    if params["fail_on_wrong"] and (result["wrong_total"] or result["out_of_bounds_ok"] is False):
        problems.append(
            "wrong results: %s wrong elements, out-of-bounds check %s"
            % (result["wrong_total"], "FAILED" if result["out_of_bounds_ok"] is False else "OK")
        )
    if problems:
        module.fail_json(
            msg="%s: %s (raw output in %s)" % (result["test"], "; ".join(problems), params["output_path"]), **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
