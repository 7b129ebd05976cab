"""launch.loaded_library: the file a soname resolves to in this process (what the SFT records for libnccl.so.2)."""

import ctypes
import os

from h200_workload import launch


def test_a_loaded_library_is_named_by_its_file():
    ctypes.CDLL("libz.so.1")  # load it first: RTLD_NOLOAD never loads
    path = launch.loaded_library("libz.so.1", "zlibVersion")
    assert path and os.path.isabs(path) and os.path.basename(path).startswith("libz.so.1")
    assert os.path.realpath(path) == path


def test_a_library_not_loaded_or_a_missing_symbol_is_none():
    assert launch.loaded_library("libnccl-never-loaded.so.9") is None
    assert launch.loaded_library("libz.so.1", "noSuchSymbol") is None
