"""The publish journal: steps survive a new process (a new Journal on the same file), one holder per key."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.errors import Unavailable
from registry.publish.journal import (
    CREATED,
    FILES_UPLOADED,
    PUBLISHED,
    STARTED,
    Journal,
    PublishInProgress,
)


def test_steps_are_committed_and_read_back_by_another_journal(tmp_path: Path) -> None:
    journal = Journal.in_home(tmp_path)
    assert journal.path == tmp_path / "publish" / "journal.sqlite"
    assert journal.get("k") is None
    entry = journal.start("k", previous_id=7)
    assert (entry.state, entry.deposition_id, entry.previous_id) == (STARTED, None, 7)

    journal.created("k", 42, "41")
    reread = Journal.in_home(tmp_path).get("k")  # as a fresh process would see it
    assert reread is not None and (reread.state, reread.deposition_id, reread.concept_id) == (
        CREATED,
        42,
        "41",
    )

    journal.file_uploaded("k", "a.bin", "0" * 32, 3)
    journal.file_uploaded("k", "a.bin", "1" * 32, 4)  # uploaded again: the last upload counts
    journal.file_uploaded("k", "b.txt", "2" * 32, 5)
    journal.file_removed("k", "b.txt")
    journal.advance("k", FILES_UPLOADED)
    entry2 = Journal.in_home(tmp_path).get("k")
    assert entry2 is not None and entry2.state == FILES_UPLOADED
    assert {n: (f.md5, f.size) for n, f in entry2.files.items()} == {"a.bin": ("1" * 32, 4)}

    journal.start("k")  # starting a key again keeps what it did
    journal.published("k", {"doi": "10.5072/zenodo.42"})
    done = Journal.in_home(tmp_path).get("k")
    assert done is not None and done.state == PUBLISHED and done.published == {"doi": "10.5072/zenodo.42"}
    assert done.previous_id == 7

    journal.created("k", 43, "41")  # a new deposition for the key forgets the old one's files
    again = journal.get("k")
    assert again is not None and again.files == {} and again.deposition_id == 43


def test_unknown_state_is_refused(tmp_path: Path) -> None:
    journal = Journal.in_home(tmp_path)
    journal.start("k")
    with pytest.raises(ValueError):
        journal.advance("k", "half-done")
    entry = journal.get("k")
    assert entry is not None and entry.state == STARTED


def test_a_second_holder_of_the_same_key_is_refused(tmp_path: Path) -> None:
    first = Journal.in_home(tmp_path)
    second = Journal(first.path, lock_timeout_s=0.05)
    with first.lock("iri#1"):
        with pytest.raises(PublishInProgress) as refused, second.lock("iri#1"):
            pass
        assert refused.value.to_dict()["code"] == "publish_in_progress"
        with second.lock("iri#2"):  # other keys are free
            pass
    with second.lock("iri#1"):  # released with the block
        pass


def test_an_unwritable_home_is_unavailable_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(Unavailable) as failed:
        Journal.in_home(blocker)
    assert "publish journal" in failed.value.message
