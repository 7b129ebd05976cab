#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: json_record
short_description: Write structured data as a JSON file on a node
description:
  - Writes O(data) as indented, key-sorted, strict JSON (no NaN or Infinity) to O(dest), replacing the file
    atomically, and only when its content changes. The roles' records on the nodes (the conda role's package
    record, nccl_build's build record) are written with it, so no task builds JSON text in Jinja.
  - Supports check mode and diff mode.
version_added: 0.2.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
extends_documentation_fragment:
  - ansible.builtin.files
options:
  dest:
    description: The file to write.
    type: path
    required: true
  data:
    description: The data to write (a mapping or a list).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Write the build record
  spectrumx.h200_benchmark.json_record:
    dest: /opt/nccl/2.26.2/.build-record
    data: {version: 2.26.2, prefix: /opt/nccl/2.26.2}
    owner: root
    group: root
    mode: "0644"
"""

RETURN = r"""
dest:
  description: The file written.
  returned: always
  type: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json


def main():
    module = AnsibleModule(
        argument_spec={"dest": {"type": "path", "required": True}, "data": {"type": "raw", "required": True}},
        add_file_common_args=True,
        supports_check_mode=True,
    )
    dest, data = module.params["dest"], module.params["data"]
    if not isinstance(data, (dict, list)):
        module.fail_json(msg="data must be a mapping or a list, got %s" % type(data).__name__)
    try:
        text = strict_json.dumps(data, indent=2, sort_keys=True) + "\n"
    except (TypeError, ValueError) as exc:
        module.fail_json(msg="data cannot be written as JSON: %s" % exc)
    old = None
    if os.path.exists(dest):
        with open(dest) as handle:
            old = handle.read()
    changed = old != text
    diff = {"before": old or "", "after": text, "before_header": dest, "after_header": dest}
    if changed and not module.check_mode:
        directory = os.path.dirname(dest) or "."
        if not os.path.isdir(directory):
            module.fail_json(msg="the folder of dest does not exist: %s" % directory)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".json_record.")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        module.atomic_move(tmp, dest)
    file_args = module.load_file_common_arguments(module.params, path=dest)
    if not module.check_mode or os.path.exists(dest):
        changed = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(changed=changed, dest=dest, diff=diff if changed else {})


if __name__ == "__main__":
    main()
