"""kill -9 in the middle of a publish, then a retry in a new process: exactly one deposition, published once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from registry.publish.journal import FILES_UPLOADED, METADATA_SET, PUBLISHED, Journal
from tests.conftest import REPO
from tests.registry.publish.conftest import LocalZenodo

KEY = "https://w3id.org/fairgrid/model/crash#1"


def _command(zenodo: LocalZenodo, home: Path, files: list[Path], *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "tests.registry.publish.publish_worker",
        zenodo.url, zenodo.token, str(home), KEY, *map(str, files), *extra,
    ]  # fmt: skip


def _files(folder: Path) -> list[Path]:
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(os.urandom(200_000))
    (folder / "model-card.md").write_text("# A model\n")
    return sorted(folder.iterdir())


@contextmanager
def _stopped_at(step: str, zenodo: LocalZenodo, home: Path, files: list[Path], tmp: Path) -> Iterator[None]:
    """A publishing process stopped at `step` for the block, then killed with SIGKILL."""
    marker = tmp / f"reached-{step}"
    proc = subprocess.Popen(
        _command(zenodo, home, files, "--stop-at", step, "--marker", str(marker)),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # a start-up wait on a busy machine, not an assertion on time
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail(f"the publishing process exited ({proc.returncode}) before reaching {step}")
            if time.monotonic() > deadline:
                pytest.fail(f"the publishing process never reached {step}")
            time.sleep(0.02)
        yield
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _retry(zenodo: LocalZenodo, home: Path, files: list[Path]) -> tuple[dict[str, object], str]:
    done = subprocess.run(
        _command(zenodo, home, files), cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_killed_between_upload_and_publish_then_published_once(
    local_zenodo: LocalZenodo, tmp_path: Path
) -> None:
    home, files = tmp_path / "home", _files(tmp_path / "pkg")
    with _stopped_at(FILES_UPLOADED, local_zenodo, home, files, tmp_path):
        # while the first process holds the key, a second one is refused and changes nothing
        second = subprocess.run(
            _command(local_zenodo, home, files, "--lock-timeout", "0.2"),
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert second.returncode == 1 and "publish_in_progress" in second.stderr
    entry = Journal.in_home(home).get(f"{local_zenodo.url} {KEY}")
    assert entry is not None and entry.state == FILES_UPLOADED and entry.deposition_id is not None
    assert set(entry.files) == {"model-card.md", "model.safetensors"}
    state = local_zenodo.state()
    assert (state["depositions"], state["published"], state["files"]) == (1, 0, 2)

    published, log = _retry(local_zenodo, home, files)
    assert published["deposition_id"] == entry.deposition_id
    assert f"resuming deposition {entry.deposition_id}" in log and "uploading" not in log
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (1, 1)
    assert state["concepts"] == {str(c): [entry.deposition_id] for c in [entry.concept_id]}
    after = Journal.in_home(home).get(f"{local_zenodo.url} {KEY}")
    assert after is not None and after.state == PUBLISHED


def test_killed_after_publish_before_the_journal_knew(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    home, files = tmp_path / "home", _files(tmp_path / "pkg")
    with _stopped_at("published", local_zenodo, home, files, tmp_path):
        pass
    entry = Journal.in_home(home).get(f"{local_zenodo.url} {KEY}")
    assert entry is not None and entry.state == METADATA_SET and entry.published is None
    assert local_zenodo.state()["published"] == 1  # Zenodo did publish

    published, log = _retry(local_zenodo, home, files)
    assert "already published this deposition" in log and "publishing" not in log.splitlines()
    assert published["deposition_id"] == entry.deposition_id
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (1, 1)
    # and from now on the journal answers
    again, log2 = _retry(local_zenodo, home, files)
    assert again == published and "already published" in log2


def test_killed_before_the_journal_knew_the_deposition(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    home, files = tmp_path / "home", _files(tmp_path / "pkg")
    with _stopped_at("deposition-made", local_zenodo, home, files, tmp_path):
        pass
    entry = Journal.in_home(home).get(f"{local_zenodo.url} {KEY}")
    assert entry is not None and entry.deposition_id is None  # Zenodo made a draft the journal never saw
    assert local_zenodo.state()["depositions"] == 1

    published, log = _retry(local_zenodo, home, files)
    assert "adopting draft" in log and "creating a deposition" not in log
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (1, 1)
    assert published["deposition_id"] == state["concepts"][next(iter(state["concepts"]))][0]
