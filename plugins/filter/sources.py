# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the SFT model and data inputs (logic and tests: module_utils/sources.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import sources


class FilterModule(object):
    def filters(self):
        return {
            # "shape", "path" or "hub" (None when not accepted)
            "model_kind": sources.model_kind,
            # every message that rejects model, h200_sft_data_source and their settings (empty list: accepted)
            "source_errors": sources.source_errors,
            # models--owner--name: a hub model's folder in a cache
            "hub_cache_name": sources.hub_cache_name,
            # where model, tokenizer and data live on every node
            "sft_paths": sources.sft_paths,
        }
