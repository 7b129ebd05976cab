#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: node_facts
short_description: Environment record and preflight checks of a benchmark node
description:
  - C(environment) - kernel, OS, NVIDIA driver and the CUDA version it supports, CUDA toolkit (nvcc),
    NCCL (header, library file, the one nccl_build installed in O(nccl_home), the network plugins
    C(libnccl-net*.so) found, and the one torch loads), OFED/DOCA (C(ofed_info -s)), Slurm,
    torch/DeepSpeed/transformers/flash-attn versions of the workload's O(python), GPU models and
    VBIOS, RDMA devices with firmware, NIC drivers and firmware (C(ethtool -i)). Anything missing
    is C(not present), with the reason in C(environment.absent).
  - C(preflight) - checks with status C(pass), C(fail) or C(absent) - C(gpus) (count against
    O(expected_gpus)), C(driver) (at least O(min_driver)), C(nics) (link state of O(interfaces) and
    RDMA ports), C(nccl_conf) (O(nccl_conf_path) present with O(nccl_conf_keys)), C(clocks) (no
    hardware or thermal slowdown), C(ecc) (enabled, no volatile uncorrectable errors), C(free_disk); then C(python) (the
    interpreter was found) and C(packages) (the pins, imported; see O(package_pins)).
  - The module does not fail when a check fails; C(preflight.ok) says whether the node passed, so
    the play can name every failing node. Logic in C(module_utils/node_facts.py).
version_added: 0.1.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  gather:
    description: What to gather.
    type: list
    elements: str
    choices: [environment, preflight]
    default: [environment, preflight]
  python:
    description:
      - The workload's Python interpreter (h200_python), asked for its package versions.
      - Empty - the interpreter named by the conda role's record at O(env_record); returned as C(python).
    type: path
  env_record:
    description:
      - The record the conda role writes (C(python), the environment's interpreter, and C(pins)); the benchmark role
        passes its C(h200_env_record_path). Unset - no record is read.
    type: path
  package_pins:
    description:
      - Distribution name to version that the interpreter must hold (a local label such as C(+cu121) matches);
        torch, deepspeed, transformers and flash-attn among them are also imported (check C(packages)).
      - Empty - the pins of the conda role's record; none there - the check is C(skipped).
    type: dict
    default: {}
  nccl_home:
    description: Where nccl_build installed NCCL (C(/opt/nccl/<version>)); its version is recorded as C(nccl_built).
    type: path
  interfaces:
    description: RoCE network interfaces (link state, driver and firmware).
    type: list
    elements: str
    default: []
  ib_devices:
    description: RDMA devices whose ports must be ACTIVE; by default all, when no interface is given.
    type: list
    elements: str
    default: []
  expected_gpus:
    description: GPUs the node must have.
    type: int
    default: 8
  min_driver:
    description: Lowest accepted NVIDIA driver version.
    type: str
    default: "535.0"
  nccl_conf_path:
    description: NCCL configuration file written by the C(roce_qos) role.
    type: path
    default: /etc/nccl.conf
  nccl_conf_keys:
    description: Keys that O(nccl_conf_path) must set.
    type: list
    elements: str
    default: []
  disk_path:
    description: Path whose file system must have O(min_free_gb) free.
    type: path
    default: /
  min_free_gb:
    description: Free space needed on O(disk_path), in GB (10^9 bytes).
    type: float
    default: 50.0
  fail_on_absent:
    description: Whether a check whose hardware is absent makes C(preflight.ok) false (true on the real cluster).
    type: bool
    default: true
notes:
  - Check mode is supported (the module only reads). Commands run with C(LC_ALL=C).
"""

EXAMPLES = r"""
- name: Environment record and preflight of every selected node
  spectrumx.h200_benchmark.node_facts:
    python: /opt/conda/envs/h200/bin/python
    interfaces: [eth2, eth3]
    expected_gpus: 8
    min_driver: "570.0"
    nccl_conf_keys: [NCCL_IB_HCA, NCCL_IB_TC, NCCL_IB_GID_INDEX]
    disk_path: /var/tmp
    min_free_gb: 100
  register: __node_facts
"""

RETURN = r"""
environment:
  description: The environment record; every missing value is the string C(not present).
  returned: when C(environment) is gathered
  type: dict
  sample:
    kernel: 6.8.0-60-generic
    os: Ubuntu 24.04.3 LTS
    driver: 580.159.04
    cuda_driver_api: "13.0"
    cuda_toolkit: 13.0.88
    gpus: [{index: 0, model: NVIDIA H200, vbios: 96.00.A5.00.1A, pci_bus_id: "00000000:00:06.0", memory_mib: 143771}]
    nccl_header: not present
    nccl_library: 2.28.9
    nccl_built: 2.28.9
    nccl_net_plugin: not present
    ofed: not present
    slurm: 22.05.8
    python_packages: {torch: 2.11.0, deepspeed: 0.19.8, transformers: 5.17.0, flash-attn: not present}
    rdma_devices: []
    nics: []
    absent: [{what: ofed, reason: "ofed_info: not found"}]
preflight:
  description: C({ok, checks}); each check is C({name, status, detail}) with status pass, fail, absent or skipped.
  returned: when C(preflight) is gathered
  type: dict
python:
  description: The interpreter the benchmark runs on this node (O(python), else the conda role's record), or null.
  returned: always
  type: str
  sample: /opt/miniconda3/envs/h200-bench/bin/python
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import node_facts as nf

_NAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather=dict(
                type="list", elements="str", choices=["environment", "preflight"], default=["environment", "preflight"]
            ),
            python=dict(type="path"),
            env_record=dict(type="path"),
            package_pins=dict(type="dict", default={}),
            nccl_home=dict(type="path"),
            interfaces=dict(type="list", elements="str", default=[]),
            ib_devices=dict(type="list", elements="str", default=[]),
            expected_gpus=dict(type="int", default=8),
            min_driver=dict(type="str", default="535.0"),
            nccl_conf_path=dict(type="path", default="/etc/nccl.conf"),
            nccl_conf_keys=dict(type="list", elements="str", default=[], no_log=False),  # key names, not secrets
            disk_path=dict(type="path", default="/"),
            min_free_gb=dict(type="float", default=50.0),
            fail_on_absent=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for option in ("interfaces", "ib_devices"):
        bad = [n for n in params[option] if not _NAME.match(n)]
        if bad:
            module.fail_json(
                msg="%s: %s are not device names (letters, digits, _ . : @ -), e.g. eth2 or mlx5_0"
                % (option, ", ".join(repr(b) for b in bad))
            )
    if params["expected_gpus"] < 0:
        module.fail_json(msg="expected_gpus must be 0 or more, got %d" % params["expected_gpus"])
    if params["min_free_gb"] < 0:
        module.fail_json(msg="min_free_gb must be 0 or more, got %s" % params["min_free_gb"])
    try:
        nf.version_tuple(params["min_driver"])
    except nf.NodeFactsError as exc:
        module.fail_json(msg="min_driver: %s" % exc)

    def run(argv):
        # handle_exceptions=False: a missing program raises OSError, which node_facts reports as absent.
        return module.run_command(argv, environ_update={"LC_ALL": "C"}, handle_exceptions=False)

    resolved = nf.resolve_python("/", params["python"], params["env_record"])
    pins, pins_source = resolved["pins"], "the conda role record %s" % params["env_record"]
    if params["package_pins"]:
        pins, pins_source = params["package_pins"], "h200_package_pins"
    result = dict(changed=False, python=resolved["path"])
    env = nf.gather_environment(run, "/", resolved["path"], params["interfaces"], params["nccl_home"], pins)
    env["python"] = {"path": resolved["path"] or nf.NOT_PRESENT, "source": resolved["source"] or resolved["error"]}
    if "environment" in params["gather"]:
        result["environment"] = env
    if "preflight" in params["gather"]:
        result["preflight"] = nf.run_preflight(
            run,
            "/",
            expected_gpus=params["expected_gpus"],
            min_driver=params["min_driver"],
            interfaces=params["interfaces"],
            ib_devices=params["ib_devices"],
            nccl_conf_path=params["nccl_conf_path"],
            nccl_conf_keys=params["nccl_conf_keys"],
            disk_path=params["disk_path"],
            min_free_gb=params["min_free_gb"],
            fail_on_absent=params["fail_on_absent"],
        )
        extra = [nf.check_python(resolved), nf.check_packages(env, pins, pins_source)]
        result["preflight"]["checks"] += extra
        result["preflight"]["ok"] = result["preflight"]["ok"] and not any(c["status"] == "fail" for c in extra)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
