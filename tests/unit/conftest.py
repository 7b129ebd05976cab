"""Make the collection importable as ``ansible_collections.spectrumx.h200_benchmark`` in unit tests.

``make setup`` links the checkout at .cache/collections/ansible_collections/spectrumx/h200_benchmark;
the link is made here too when absent, so the unit suite also runs from a fresh clone.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "spectrumx", "h200_benchmark")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.relpath(ROOT, os.path.dirname(LINK)), LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# ansible-core's plugin loader replaces sys.intern with a patch object; torch.compile's polyfills, which
# transformers loads, then refuse it (TypeError: substitute_in_graph expects a function). Loading the polyfills
# first lets one pytest process hold the plugin and the workload tests (tests/run_all.sh still runs them apart).
try:
    import torch._dynamo.polyfills.loader  # noqa: F401
except ImportError:  # a control node without torch runs the plugin tests only
    pass
