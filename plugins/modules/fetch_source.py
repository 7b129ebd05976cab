#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fetch_source
short_description: Fetch the SFT data or model once, checked, and check a model folder
description:
  - O(kind=alpaca) brings the Stanford Alpaca JSON from O(source) (an http(s) URL, or a local path of a site
    mirror) to O(dest), verifies O(checksum) and that the file is Alpaca-format JSON; an existing O(dest) with
    the right checksum is reused (a cache between runs).
  - O(kind=model) brings a Hugging Face model (config, tokenizer, safetensors weights) of id O(model) at
    O(revision) from O(endpoint) (the hub, or a mirror serving its API) to the folder O(dest), checking each
    weight file against the sha256 the hub lists; a complete earlier fetch of the same id and revision is
    reused.
  - O(kind=model_check) only checks that the folder O(dest) holds a complete Hugging Face-format model
    (config, tokenizer, every weight file at its size); it changes nothing.
  - Downloads are written to a temporary name beside the target and renamed only once checked, so a
    half-downloaded file is never used. Failures name O(variable), the input that chose the source.
  - In check mode nothing is downloaded; O(kind=model_check) runs.
version_added: 0.3.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  kind:
    description: What to do.
    type: str
    required: true
    choices: [alpaca, model, model_check]
  dest:
    description: The file (alpaca) or folder (model, model_check).
    type: path
    required: true
  source:
    description: URL or local path of the Alpaca JSON (O(kind=alpaca)).
    type: str
  checksum:
    description: Expected checksum of the Alpaca JSON, C(sha256:HEX) or C(git-sha1:HEX) (the git blob id).
    type: str
  model:
    description: Hugging Face id (owner/name) of the model (O(kind=model)).
    type: str
  endpoint:
    description: The hub's URL, or a mirror's.
    type: str
    default: https://huggingface.co
  revision:
    description: Branch, tag or commit of the model's repository.
    type: str
    default: main
  token:
    description: Hugging Face token, sent only to O(endpoint) as a bearer token; never logged or returned.
    type: str
  variable:
    description: The input named in failure messages.
    type: str
    default: source
  timeout:
    description: Seconds to wait for a server.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Fetch the Stanford Alpaca JSON on the control node
  spectrumx.h200_benchmark.fetch_source:
    kind: alpaca
    source: https://raw.githubusercontent.com/tatsu-lab/stanford_alpaca/761dc5bfbdeeffa89b8bff5d038781a4055f796a/alpaca_data.json
    checksum: git-sha1:3779ddbc040543ab1834ef216c983d6fcc06cc9a
    dest: /var/cache/h200/alpaca_data.json
    variable: h200_sft_alpaca_url

- name: Fetch Llama-2 7B
  spectrumx.h200_benchmark.fetch_source:
    kind: model
    model: meta-llama/Llama-2-7b-hf
    dest: /var/cache/h200/models--meta-llama--Llama-2-7b-hf
    token: "{{ h200_hf_token }}"
    variable: model
  no_log: true
"""

RETURN = r"""
path:
  description: The file or folder.
  returned: always
  type: str
sha256:
  description: sha256 of the Alpaca JSON.
  returned: kind=alpaca
  type: str
records:
  description: Records in the Alpaca JSON.
  returned: kind=alpaca
  type: int
commit:
  description: The repository commit the hub resolved the revision to.
  returned: kind=model
  type: str
files:
  description: Files fetched.
  returned: kind=model
  type: int
problems:
  description: What the model folder lacks (empty when complete).
  returned: kind=model_check
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import sources


def main():
    module = AnsibleModule(
        argument_spec={
            "kind": {"type": "str", "required": True, "choices": ["alpaca", "model", "model_check"]},
            "dest": {"type": "path", "required": True},
            "source": {"type": "str"},
            "checksum": {"type": "str"},
            "model": {"type": "str"},
            "endpoint": {"type": "str", "default": "https://huggingface.co"},
            "revision": {"type": "str", "default": "main"},
            "token": {"type": "str", "no_log": True},
            "variable": {"type": "str", "default": "source"},
            "timeout": {"type": "int", "default": 60},
        },
        required_if=[("kind", "alpaca", ["source"]), ("kind", "model", ["model"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["kind"] == "model_check":
        problems = sources.model_problems(p["dest"])
        if problems:
            module.fail_json(msg="%s: %s is not a complete Hugging Face-format model: %s" % (
                p["variable"], p["dest"], "; ".join(problems)), path=p["dest"], problems=problems)
        module.exit_json(changed=False, path=p["dest"], problems=[])
    if module.check_mode:
        module.exit_json(changed=False, path=p["dest"], msg="check mode: nothing fetched")
    try:
        if p["kind"] == "alpaca":
            result = sources.fetch_alpaca(p["source"], p["dest"], p["checksum"] or None, p["variable"], p["timeout"])
        else:
            result = sources.fetch_hub_model(p["model"], p["dest"], p["endpoint"], p["revision"], p["token"] or None,
                                             p["variable"], p["timeout"])
    except sources.SourceError as exc:
        module.fail_json(msg=str(exc), path=p["dest"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
