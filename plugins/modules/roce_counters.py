#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: roce_counters
short_description: Snapshot RoCE/InfiniBand counters, and their change since an earlier snapshot
description:
  - Reads every counter under C(/sys/class/infiniband/*/ports/*/counters) and C(hw_counters)
    (port data and packets, errors, CNPs sent and handled, ECN-marked RoCE packets,
    out-of-sequence, retransmits, ...) and, for the given O(interfaces), the C(ethtool -S) counters
    that match O(ethtool_patterns) (pause/PFC frames, ECN, discards).
  - With O(before) (the C(readings) of an earlier snapshot) it also returns the change, with counter
    wrap and reset detection, and totals over all ports. Logic in C(module_utils/roce_counters.py).
  - A counter that does not exist is listed in C(absent), never reported as 0; so is a counter file that
    cannot be read or does not hold a non-negative integer (the reason names the file).
  - Bytes that are not UTF-8 in a sysfs file or in the C(ethtool -S) output are replaced and named, with
    the file or the command, in C(input_warnings).
version_added: 0.1.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  sysfs_root:
    description: Root under which C(sys/class/infiniband) is read (tests point it at recorded trees).
    type: path
    default: /
  interfaces:
    description: Network interfaces whose C(ethtool -S) counters are read (the RoCE ports, e.g. C([eth2, eth3])).
    type: list
    elements: str
    default: []
  ethtool_patterns:
    description: Substrings of the C(ethtool -S) counter names to keep.
    type: list
    elements: str
    default: [pause, pfc, ecn, cnp, out_of_sequence, out_of_buffer, discard]
  before:
    description: The C(readings) returned by an earlier snapshot; when given, C(delta) and C(totals) are returned.
    type: dict
notes:
  - Check mode is supported (the module only reads).
"""

EXAMPLES = r"""
- name: Counters before the collective phase
  spectrumx.h200_benchmark.roce_counters:
    interfaces: [eth2, eth3]
  register: __counters_before

- name: Counters after it, with the change
  spectrumx.h200_benchmark.roce_counters:
    interfaces: [eth2, eth3]
    before: "{{ __counters_before.readings }}"
  register: __counters_after
"""

RETURN = r"""
readings:
  # not "values": Jinja would resolve item.values to the dict method when the key is missing
  description: Counter values, keyed C(DEVICE/PORT/counters|hw_counters/NAME) or C(ethtool/IFACE/NAME).
  returned: always
  type: dict
  sample: {"mlx5_0/1/hw_counters/np_cnp_sent": 15, "ethtool/eth2/rx_prio3_pause": 160}
ports:
  description: RDMA ports with state, physical state, link layer and rate.
  returned: always
  type: list
  elements: dict
absent:
  description: What could not be read, with why (C({what, reason})).
  returned: always
  type: list
  elements: dict
input_warnings:
  description: Damage read around, naming the file or command, e.g. bytes that are not UTF-8 (replaced).
  returned: always
  type: list
  elements: str
  version_added: 0.1.0
delta:
  description: After minus before per counter; null where the counter was reset or saturated.
  returned: when O(before) is given
  type: dict
wrapped:
  description: Counters that wrapped at 2^32 (their delta accounts for it).
  returned: when O(before) is given
  type: list
  elements: str
reset:
  description: Counters that went down without a wrap (reset); their delta is null.
  returned: when O(before) is given
  type: list
  elements: str
totals:
  description:
    - Sums over all ports - tx_bytes and rx_bytes (port_xmit_data and port_rcv_data x 4), rx_errors,
      tx_discards, link_downed, ecn_marked_packets, cnp_sent, cnp_handled, out_of_sequence,
      packet_seq_err, retransmits, local_ack_timeout_err, out_of_buffer, pause_frames.
    - Each is null (and in C(absent)) when no port has that counter.
  returned: when O(before) is given
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_counters as rc

_INTERFACE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysfs_root=dict(type="path", default="/"),
            interfaces=dict(type="list", elements="str", default=[]),
            ethtool_patterns=dict(type="list", elements="str", default=list(rc.DEFAULT_ETHTOOL_PATTERNS)),
            before=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    bad = [i for i in params["interfaces"] if not _INTERFACE.match(i)]
    if bad:
        module.fail_json(
            msg="interfaces %s are not network interface names (letters, digits, _ . : @ -, "
            "at most 15 characters, e.g. eth2 or ens1f0np0)" % ", ".join(repr(b) for b in bad)
        )
    snapshot = rc.read_sysfs(params["sysfs_root"])
    values, absent, warnings = snapshot["values"], snapshot["absent"], snapshot["input_warnings"]
    if params["interfaces"]:
        ethtool = module.get_bin_path("ethtool")
        for iface in params["interfaces"]:
            if not ethtool:
                absent.append({"what": "ethtool/%s" % iface, "reason": "ethtool is not installed"})
                continue
            # bytes (encoding=None): decoded here, so that what is not UTF-8 is replaced and named
            code, out, err = module.run_command([ethtool, "-S", iface], environ_update={"LC_ALL": "C"}, encoding=None)
            what = "ethtool -S %s" % iface
            out, err = rc.decode_text(out, what, warnings), rc.decode_text(err, what + " (stderr)", warnings)
            if code != 0:
                absent.append({"what": "ethtool/%s" % iface, "reason": (err or out).strip() or "exit status %d" % code})
                continue
            values.update(rc.select_ethtool(rc.parse_ethtool_stats(out), iface, params["ethtool_patterns"]))
    result = dict(changed=False, readings=values, ports=snapshot["ports"], absent=absent, input_warnings=warnings)
    if params["before"] is not None:
        try:
            change = rc.diff(params["before"], values)
        except rc.CounterError as exc:
            module.fail_json(msg="before: %s" % exc)
        totals, totals_absent = rc.totals(change["delta"])
        result.update(
            delta=change["delta"],
            wrapped=change["wrapped"],
            reset=change["reset"],
            saturated=change["saturated"],
            totals=totals,
        )
        result["absent"] = absent + change["absent"] + totals_absent
    module.exit_json(**result)


if __name__ == "__main__":
    main()
