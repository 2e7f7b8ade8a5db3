"""What a commit concludes from the heads it reads back (`check_committed`), including the case only a
store server that merges racing updates produces: a head written by this commit AND another one."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.errors import StaleRevision, Unavailable
from registry.store.sparql import Row, check_committed
from tests.registry.store.test_conformance import dataset, write

IRI, TRIPLES = dataset("checked", "Checked")
W = write(IRI, TRIPLES, 2, 1)
REV = W.record.revision.revision_iri if W.record.revision else ""
OURS, THEIRS = "urn:fairgrid:tx:ours", "urn:fairgrid:tx:theirs"


def head(commit: str | None, rev: str = REV) -> Row:
    row: Row = {"r": ox.NamedNode(IRI), "rev": ox.NamedNode(rev)}
    if commit is not None:
        row["c"] = ox.NamedNode(commit)
    return row


def test_our_own_commit_on_the_head_is_success() -> None:
    check_committed([W], OURS, [head(OURS)])


@pytest.mark.parametrize(
    "landed",
    [[head(THEIRS)], [head(None)], [], [head(OURS, rev=REV.replace(":2:", ":3:"))]],
    ids=["same-number-other-commit", "no-commit-id", "no-head", "other-revision"],
)
def test_anything_but_our_commit_alone_is_not_success(landed: list[Row]) -> None:
    with pytest.raises((StaleRevision, Unavailable)):
        check_committed([W], OURS, landed)


def test_same_number_written_by_another_commit_is_a_conflict() -> None:
    with pytest.raises(StaleRevision, match="nothing was written"):
        check_committed([W], OURS, [head(THEIRS)])


def test_a_head_written_by_two_commits_is_reported_not_passed() -> None:
    with pytest.raises(Unavailable, match="together with this one") as info:
        check_committed([W], OURS, [head(OURS), head(THEIRS)])
    assert "FAIRGRID_HOME" in info.value.hint
