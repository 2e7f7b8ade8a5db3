"""The files an import reads: the same files, in the same order, as sorting Path.rglob's (strings now,
to keep a 100,000-file import small)."""

from __future__ import annotations

import os
from pathlib import Path

from registry.rdf import EXTENSIONS
from registry.services.importer import rdf_files


def rglob_files(folder: Path) -> list[str]:
    """How the files were listed before: Path objects, sorted."""
    found = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in EXTENSIONS)
    return [str(f) for f in found]


def test_same_files_in_path_order(tmp_path: Path) -> None:
    names = ["a/b.ttl", "a-b/c.ttl", "a.b/d.nt", "A.ttl", "z.TTL", "m/n/o.jsonld", "x.csv", ".hidden.ttl"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "folder.ttl").mkdir()  # a folder named like a file is no file
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "linked.ttl").write_text("")
    os.symlink(outside, tmp_path / "link")  # rglob does not enter symlinked folders; nor does the import
    os.symlink(outside / "linked.ttl", tmp_path / "file-link.ttl")  # a linked file is a file

    listed = rdf_files([tmp_path])

    assert listed == rglob_files(tmp_path)
    assert str(tmp_path / "a" / "b.ttl") in listed and str(tmp_path / "x.csv") not in listed
    assert listed.index(str(tmp_path / "a" / "b.ttl")) < listed.index(str(tmp_path / "a-b" / "c.ttl"))


def test_named_files_are_kept_as_given(tmp_path: Path) -> None:
    f = tmp_path / "one.ttl"
    f.write_text("")
    assert rdf_files([f, tmp_path / "missing.nt"]) == [str(f), str(tmp_path / "missing.nt")]
