"""registry.files.write_atomic: whole files only, private from the first byte, no litter."""

from __future__ import annotations

import multiprocessing as mp
import os
import stat
from pathlib import Path

import pytest

from registry.files import write_atomic


def test_replaces_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "CURRENT"
    write_atomic(target, "gen-1\n")
    write_atomic(target, b"gen-2\n")
    assert target.read_text() == "gen-2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]


def test_private_file_is_0600(tmp_path: Path) -> None:
    target = tmp_path / "site.yaml"
    write_atomic(target, "secret: x\n", private=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "held.json"
    write_atomic(target, "{}")

    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_atomic(target, '{"new": 1}')
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["held.json"]


def _writer(path: str, letter: str) -> None:
    for _ in range(200):
        write_atomic(Path(path), letter * 65536, durable=False)


def test_racing_processes_never_mix_their_files(tmp_path: Path) -> None:
    # With one shared temporary name (as before), two writers could interleave into one file.
    target = tmp_path / "cache.json"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(target), c)) for c in "ab"]
    for p in procs:
        p.start()
    seen = set()
    while any(p.is_alive() for p in procs):
        if target.exists():
            text = target.read_text()
            seen.add((len(text), len(set(text))))
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert seen <= {(65536, 1)}
    assert len(set(target.read_text())) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]
