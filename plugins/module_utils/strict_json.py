# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Strict JSON for every file the collection writes on the controller: NaN and infinities become null (other
readers refuse them), and json.dumps runs with allow_nan=False so that nothing else slips through."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math


def finite(value):
    """value with every non-finite float replaced by None (dicts and lists walked, tuples made lists)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def dumps(value, **kwargs):
    """json.dumps of finite(value) with allow_nan=False."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)
