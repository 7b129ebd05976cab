"""End-to-end tests against the virtual cluster (docs/virtual-cluster.md): fixtures.

The session fixture ``cluster`` brings the eight containers up (``make cluster-up``, idempotent); the
helpers that run playbooks through ansible-runner are in harness.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import alias_map, bring_up


@pytest.fixture(scope="session")
def cluster() -> Iterator[dict[str, str]]:
    """The virtual cluster, up; yields the alias map. Left running for the next session (make cluster-down)."""
    bring_up()
    yield alias_map()


@pytest.fixture
def healthy_cluster(cluster: dict[str, str]) -> Iterator[dict[str, str]]:
    """The cluster, and brought back to eight healthy nodes after a test that stops or kills one."""
    yield cluster
    bring_up()
