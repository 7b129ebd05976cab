"""Shared set-up of the plugin tests.

The collection is loaded through Ansible's own finder before any test module imports it, whatever order the
files are collected in (the callback and report tests need the finder; a plain import first would leave the
collection's metadata unloaded). This folder is on sys.path for its conftest, so the subfolders that mirror
plugins/ import module_harness too.
"""

from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[3] / ".cache" / "collections")])
