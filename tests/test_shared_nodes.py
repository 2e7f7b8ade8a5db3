"""The locks by which test processes (xdist workers, other runs) take turns on the shared nodes."""

from __future__ import annotations

import pytest

from tests.shared_nodes import OPENSEARCH_URL, node_lock


@pytest.mark.opensearch
def test_opensearch_tests_share_the_node_and_a_restart_waits_for_them() -> None:
    """This test holds the node shared (conftest): others may too, a restart (exclusive) may not."""
    with node_lock(OPENSEARCH_URL, exclusive=False, timeout_s=0.5):
        pass
    with (
        pytest.raises(pytest.fail.Exception, match="held the node"),
        node_lock(OPENSEARCH_URL, exclusive=True, timeout_s=0.5),
    ):
        pass


@pytest.mark.opensearch
@pytest.mark.restarts_opensearch
def test_a_test_that_restarts_opensearch_has_the_node_alone() -> None:
    with (
        pytest.raises(pytest.fail.Exception, match="held the node"),
        node_lock(OPENSEARCH_URL, exclusive=False, timeout_s=0.5),
    ):
        pass
