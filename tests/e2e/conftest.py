"""End-to-end tests against the virtual cluster (docs/virtual-cluster.md): fixtures.

The session fixture ``cluster`` brings the eight containers up (``make cluster-up``, idempotent); the
helpers that run playbooks through ansible-runner are in harness.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import REPO, alias_map, bring_up, run_playbook


@pytest.fixture(scope="session")
def cluster() -> Iterator[dict[str, str]]:
    """The virtual cluster, up; yields the alias map. Left running for the next session (make cluster-down)."""
    bring_up()
    yield alias_map()


@pytest.fixture(scope="session")
def prepared(cluster: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The cluster after site.yml (the six roles; hardware-only parts report "not present"), as the real
    cluster is prepared before it is benchmarked."""
    site = REPO / "playbooks" / "site.yml"
    assert site.is_file(), f"{site} does not exist yet: the benchmark runs on a cluster prepared by it"
    run = run_playbook(site, tmp_path_factory.mktemp("site"), {}, timeout=1800)
    assert run.rc == 0, run.failure_messages()
    return cluster


@pytest.fixture
def healthy_cluster(prepared: dict[str, str]) -> Iterator[dict[str, str]]:
    """The prepared cluster, brought back to eight healthy nodes after a test that stops or kills one."""
    yield prepared
    bring_up()
