"""Bulk import: folders, mixed good and bad files, dry runs, all-or-nothing, re-imports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry.errors import RdfSyntaxError, ValidationFailed
from registry.identity import local_operator
from registry.services.importer import AbortImport
from registry.validation.bundle import terminology_files
from registry.wiring import Registry
from tests.conftest import EXAMPLE, RESEARCHER
from tests.registry.services.test_records import dataset

ME = local_operator("tester")


def corpus(tmp: Path) -> Path:
    folder = tmp / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(EXAMPLE, folder / "consortium.ttl")
    (folder / "sub" / "good.ttl").write_text(dataset(name="extra"))
    (folder / "sub" / "broken.ttl").write_text(
        '@prefix dct: <http://purl.org/dc/terms/> .\n<a> dct:title "x" \n'
    )
    (folder / "sub" / "invalid.ttl").write_text(
        dataset(name="bad").replace('dct:title "Sickle cell cohort"@en ;', "")
    )
    (folder / "notes.txt").write_text("ignored: not RDF")
    return folder


def test_folder_import_continues_past_bad_records(reg: Registry, tmp_path: Path) -> None:
    seen: list[int] = []
    summary = reg.importer.run(ME, [corpus(tmp_path)], progress=lambda s, d, t: seen.append(d))
    assert summary.imported == 24 + 2  # example catalogue + good dataset and its organisation
    assert summary.rejected == 2
    errors = {type(i.error) for i in summary.rejections}
    assert errors == {RdfSyntaxError, ValidationFailed}
    broken = next(i for i in summary.rejections if isinstance(i.error, RdfSyntaxError))
    assert "broken.ttl:3" in broken.error.message  # type: ignore[union-attr]
    assert seen == [1, 2, 3, 4]
    assert reg.store.get("https://w3id.org/fairgrid/dataset/bad") is None


def test_all_or_nothing_stores_nothing_on_any_rejection(reg: Registry, tmp_path: Path) -> None:
    with pytest.raises(AbortImport):
        reg.importer.run(ME, [corpus(tmp_path)], all_or_nothing=True)
    assert reg.store.count() == 0
    summary = reg.importer.run(ME, [EXAMPLE], all_or_nothing=True)
    assert summary.imported == 24 and reg.store.count() == 24


def test_dry_run_validates_only(reg: Registry, tmp_path: Path) -> None:
    summary = reg.importer.run(ME, [corpus(tmp_path)], dry_run=True)
    assert summary.valid == 26 and summary.rejected == 2
    assert reg.store.count() == 0


def test_reimport_counts_unchanged_and_updated(reg: Registry, tmp_path: Path) -> None:
    reg.importer.run(ME, [EXAMPLE, *terminology_files()])
    again = reg.importer.run(ME, [EXAMPLE])
    assert (again.imported, again.updated, again.unchanged, again.rejected) == (0, 0, 24, 0)
    changed = tmp_path / "changed.ttl"
    changed.write_text(
        EXAMPLE.read_text().replace("Example Hematology Consortium catalogue", "Renamed catalogue")
    )
    third = reg.importer.run(ME, [changed])
    assert third.updated == 1 and third.unchanged == 23


def test_cross_file_references_validate(reg: Registry, tmp_path: Path) -> None:
    """A dataset in one file may point at an organisation described in another file of the import."""
    text = dataset(name="split")
    ds_part, org_part = text.split("<https://w3id.org/fairgrid/organization/test-org> a")
    (tmp_path / "a.ttl").write_text(ds_part)
    prefixes = text.split("<https://w3id.org/fairgrid/dataset/")[0]
    (tmp_path / "b.ttl").write_text(
        prefixes + "<https://w3id.org/fairgrid/organization/test-org> a" + org_part
    )
    summary = reg.importer.run(ME, [tmp_path / "a.ttl", tmp_path / "b.ttl"])
    assert summary.rejected == 0, [i.error.message for i in summary.rejections if i.error]


def test_import_needs_curator(reg: Registry) -> None:
    from registry.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        reg.importer.run(RESEARCHER, [EXAMPLE])


def test_large_files_stream_through_a_temporary_store(reg: Registry, tmp_path: Path) -> None:
    """Above the threshold a file is split from an on-disk store; the records are the same."""
    from registry.config import Settings
    from registry.io.generate import PREFIXES, documents
    from registry.wiring import open_registry

    big = tmp_path / "big.ttl"
    lines = PREFIXES.count("\n")  # each generated document starts with the prefixes
    big.write_text(
        EXAMPLE.read_text() + "\n".join(d.split("\n", lines)[lines] for d in documents(30, prefix="s"))
    )
    prefixes = next(documents(1)).split("\n", lines)[:lines]
    big.write_text("\n".join(prefixes) + "\n" + big.read_text())
    streamed = reg.importer
    streamed.stream_threshold = 0
    streamed.batch_size = 20
    a = streamed.run(ME, [big])
    other = open_registry(Settings(home=tmp_path / "other"))
    try:
        b = other.importer.run(ME, [big])
        assert (a.imported, a.rejected) == (b.imported, b.rejected)
        assert a.rejected == 0 and a.imported > 24 + 90
        ours = {r.iri: r.revision.content_hash for r in reg.store.iter_latest() if r.revision}
        theirs = {r.iri: r.revision.content_hash for r in other.store.iter_latest() if r.revision}
        assert ours == theirs
    finally:
        other.close()
    broken = tmp_path / "broken.ttl"
    text = big.read_text()
    broken.write_text(text[: text.index("dct:title", 5000) + 5])  # cut inside a statement
    c = streamed.run(ME, [broken])
    assert c.rejected == 1 and "broken.ttl" in c.rejections[0].where


def test_summary_keeps_counts_and_rejections_not_every_record(reg: Registry, tmp_path: Path) -> None:
    """A bulk import must not hold one result per record (a million records, a million results)."""
    summary = reg.importer.run(ME, [corpus(tmp_path)])
    assert (summary.imported, summary.rejected) == (26, 2)
    assert summary.items == [] and len(summary.rejections) == 2
    listed = reg.importer.run(ME, [corpus(tmp_path / "again")], dry_run=True, keep_items=True)
    assert len(listed.items) == listed.valid + listed.rejected == 26 + 2


def test_forward_references_validate_across_batches(reg: Registry, tmp_path: Path) -> None:
    """Each batch looks up the import's own record types it points at (kept on disk, not in memory)."""
    text = dataset(name="later")
    ds_part, org_part = text.split("<https://w3id.org/fairgrid/organization/test-org> a")
    prefixes = text.split("<https://w3id.org/fairgrid/dataset/")[0]
    (tmp_path / "a.ttl").write_text(ds_part)
    (tmp_path / "b.ttl").write_text(EXAMPLE.read_text())
    (tmp_path / "c.ttl").write_text(
        prefixes + "<https://w3id.org/fairgrid/organization/test-org> a" + org_part
    )
    reg.importer.batch_size = 1
    summary = reg.importer.run(ME, [tmp_path / "a.ttl", tmp_path / "b.ttl", tmp_path / "c.ttl"])
    assert summary.rejected == 0, [i.error.message for i in summary.rejections if i.error]
    assert summary.imported == 1 + 24 + 1


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
@pytest.mark.parametrize("suffix", [".ttl", ".nt", ".jsonld", ".rdf"])
def test_a_byte_order_mark_does_not_refuse_the_file(
    reg: Registry, tmp_path: Path, suffix: str, streamed: bool
) -> None:
    """Notepad and Excel's "UTF-8" start a file with a byte order mark: the file is still UTF-8 RDF."""
    import pyoxigraph as ox

    from registry.rdf import EXTENSIONS

    doc = ox.serialize(ox.parse(path=str(EXAMPLE), format=ox.RdfFormat.TURTLE), format=EXTENSIONS[suffix])
    f = tmp_path / f"bom{suffix}"
    f.write_bytes(BOM + doc)
    if streamed:
        reg.importer.stream_threshold = 0
    summary = reg.importer.run(ME, [f])
    assert (summary.imported, summary.rejected) == (24, 0), [str(i.error) for i in summary.rejections]


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_a_file_saved_as_utf16_is_refused_saying_so(
    reg: Registry, tmp_path: Path, streamed: bool, encoding: str, name: str
) -> None:
    """Notepad's "Unicode" is UTF-16: the refusal names it and says how to save the file instead."""
    f = tmp_path / "wide.ttl"
    f.write_bytes(EXAMPLE.read_text("utf-8").encode(encoding))  # Python writes the byte order mark
    if streamed:
        reg.importer.stream_threshold = 0
    summary = reg.importer.run(ME, [f])
    assert summary.imported == 0 and summary.rejected == 1
    error = summary.rejections[0].error
    assert isinstance(error, RdfSyntaxError) and f"the text is {name}" in error.message
    assert "save the file as UTF-8" in (error.hint or "")
    assert reg.store.count() == 0
