"""Bulk import of files and folders: validate, split, write in batches, count what happened."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from registry.errors import FairgridError, InputError, UnreadableInput, ValidationFailed
from registry.identity import Identity, Role
from registry.io.known import KnownTypes
from registry.io.split import Draft
from registry.io.stream import stream_split
from registry.model import content_hash
from registry.rdf import EXTENSIONS, format_for_path
from registry.services.records import Checked, RecordService
from registry.store.port import ReleasesMemory, Write

Progress = Callable[[str, int, int], None]  # (what, done, total)


BATCH_TRIPLES = 50_000  # a batch is committed once its records hold this many triples


@dataclass
class ItemResult:
    where: str
    iri: str | None
    status: str  # imported | updated | unchanged | rejected | valid
    error: FairgridError | None = None
    warnings: int = 0


@dataclass
class ImportSummary:
    """What an import did: counts, every rejection, and every record's result only if asked for
    (`keep_items`), so that importing a million records does not keep a million results."""

    dry_run: bool
    keep_items: bool = True
    items: list[ItemResult] = field(default_factory=list)
    rejections: list[ItemResult] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, item: ItemResult) -> None:
        self.counts[item.status] += 1
        if item.status == "rejected":
            self.rejections.append(item)
        if self.keep_items:
            self.items.append(item)

    def count(self, status: str) -> int:
        return self.counts[status]

    @property
    def imported(self) -> int:
        return self.count("imported")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    @property
    def valid(self) -> int:
        return self.count("valid")


class AbortImport(InputError):
    """--all-or-nothing refused the whole import; `causes` are the rejections' own errors (an unreadable
    file among them makes the refusal one of unreadable input, as without --all-or-nothing)."""

    code = "import_aborted"
    hint = "fix the reported records, or drop --all-or-nothing to import the good ones"

    def __init__(self, message: str, causes: list[FairgridError], details: dict[str, object]):
        super().__init__(message, details=details)
        self.causes = causes


def rdf_files(paths: Sequence[Path], empty: list[str] | None = None) -> list[str]:
    """The files to import, in path order, as plain strings: 100,000 Path objects (and the set that
    Path.rglob keeps of everything it yielded) took 74 MB at the peak and kept 42 MB, strings 10 MB.
    Folders that hold no RDF file are appended to `empty` when it is given."""
    out: list[str] = []
    for p in paths:
        if not p.is_dir():
            out.append(str(p))
            continue
        found: list[str] = []
        for folder, _dirs, names in os.walk(p):  # as rglob: symlinked folders are not entered
            for name in names:
                f = os.path.join(folder, name)
                if os.path.splitext(name)[1].lower() in EXTENSIONS and os.path.isfile(f):
                    found.append(f)
        # Path order (part by part): NUL sorts before any character a name can hold
        found.sort(key=lambda f: f.replace(os.sep, "\0"))
        out += found
        if not found and empty is not None:
            empty.append(str(p))
    return out


class Importer:
    def __init__(
        self, records: RecordService, batch_size: int = 250, stream_threshold: int = 16 * 1024 * 1024
    ):
        self.records = records
        self.batch_size = batch_size
        # files larger than this are split through a temporary on-disk store, not in memory
        self.stream_threshold = stream_threshold

    def run(
        self,
        identity: Identity,
        paths: Sequence[Path],
        *,
        dry_run: bool = False,
        all_or_nothing: bool = False,
        progress: Progress | None = None,
        keep_items: bool = False,
        exclusive: bool = False,
    ) -> ImportSummary:
        """Import in batches of `batch_size` records, each validated and committed before the next
        is read, so memory stays flat however many files there are. keep_items: also list every
        record's result in the summary (a validation report wants them; counts are always kept).
        exclusive: the caller declares that nothing else in this process uses the store while the
        import runs (the CLI import, a bench; never a server), so between batches the store may be
        closed and reopened to give back the caches that grow with it."""
        if not dry_run:
            identity.require(Role.CURATOR, action="import records")
        empty: list[str] = []
        files = rdf_files(paths, empty)
        summary = ImportSummary(dry_run=dry_run, keep_items=keep_items)
        for folder in empty:  # as `site load`: a folder given that holds nothing to import is refused
            exts = ", ".join(sorted(EXTENSIONS))
            summary.add(ItemResult(folder, None, "rejected", InputError(
                f"{folder}: no RDF files ({exts}) in this folder or below it", hint="check the path",
            )))  # fmt: skip
        held: list[Write] = []  # all-or-nothing: written in one transaction at the end
        batch: list[Draft] = []
        done, last = 0, None  # a large file arrives in several parts, one after another
        with KnownTypes.scan(map(Path, files)) if len(files) > 1 else nullcontext() as known:
            for source, drafts in self._drafts(files, summary):
                if source != last:
                    done, last = done + 1, source
                batch += drafts
                # a batch is also cut by size: three complete terminologies (210,000 triples) in one
                # commit held them all in memory at once, in one slower store transaction
                if len(batch) >= self.batch_size or sum(len(d.triples) for d in batch) >= BATCH_TRIPLES:
                    held += self._flush(identity, batch, summary, known, dry_run, all_or_nothing)
                    batch = []
                    if exclusive and not dry_run:
                        self._release_memory()
                if progress:
                    progress(source, done, len(files))
            held += self._flush(identity, batch, summary, known, dry_run, all_or_nothing)
        if all_or_nothing:
            if summary.rejected:
                first = summary.rejections[0]
                said = first.error.message if first.error else ""
                if not said.startswith(first.where.split(": ", 1)[0]):  # the message may name its file
                    said = f"{first.where}: {said}"
                raise AbortImport(
                    f"{summary.rejected} record(s) rejected, nothing imported; first: {said}",
                    [r.error for r in summary.rejections if r.error is not None],
                    details={"rejected": [r.where for r in summary.rejections]},
                )
            if not dry_run:
                self.records.commit(held)
        return summary

    def _release_memory(self) -> None:
        # between batches: the last commit is done and no query of this import is open
        store = self.records.store
        if isinstance(store, ReleasesMemory):
            store.release_memory()

    def _drafts(self, files: list[str], summary: ImportSummary) -> Iterator[tuple[str, list[Draft]]]:
        for f in map(Path, files):
            if f.is_file() and f.stat().st_size > self.stream_threshold:
                yield from self._streamed(f, summary)
                continue
            if f.exists() and not f.is_file():  # a FIFO or a device would block the read, or never end
                summary.add(ItemResult(str(f), None, "rejected", UnreadableInput(f"{f}: not a regular file")))
                yield str(f), []
                continue
            try:
                data = f.read_bytes()
                # `<>` or `<x.csv>` in a file name the file and what lies beside it, not the hub's base
                drafts, errors = self.records.parse_drafts(
                    data, format_for_path(f), str(f), document_iri=f.resolve().as_uri()
                )
            except OSError as exc:
                summary.add(ItemResult(str(f), None, "rejected", unreadable(f, exc)))
                drafts, errors = [], []
            except FairgridError as exc:
                summary.add(ItemResult(str(f), None, "rejected", exc))
                drafts, errors = [], []
            for where, err in errors:
                summary.add(ItemResult(f"{f}: {where}", where, "rejected", err))
            yield str(f), drafts

    def _streamed(self, f: Path, summary: ImportSummary) -> Iterator[tuple[str, list[Draft]]]:
        """A large file, cut into records from a temporary on-disk store (bounded memory)."""
        s = self.records.settings
        try:
            parts = stream_split(
                f, format_for_path(f), base_iri=s.base_iri, allowed=s.all_allowed_bases,
                document_iri=f.resolve().as_uri(),
            )  # fmt: skip
            for part in parts:
                for where, err in part.errors:
                    summary.add(ItemResult(f"{f}: {where}", where, "rejected", err))
                yield str(f), part.drafts
        except FairgridError as exc:
            summary.add(ItemResult(str(f), None, "rejected", exc))
            yield str(f), []
        except OSError as exc:
            summary.add(ItemResult(str(f), None, "rejected", unreadable(f, exc)))
            yield str(f), []

    def _flush(
        self,
        identity: Identity,
        batch: list[Draft],
        summary: ImportSummary,
        known: KnownTypes | None,
        dry_run: bool,
        hold: bool,
    ) -> list[Write]:
        if not batch:
            return []
        writes: list[Write] = []
        statuses: list[ItemResult] = []
        batch = self._dedupe(batch, summary)
        for item in self.records.check(identity, batch, _referenced_types(batch, known)):
            if not isinstance(item, Checked):
                draft, err = item
                summary.add(ItemResult(f"{draft.source}: {draft.iri}", draft.iri, "rejected", err))
                continue
            warnings = len(item.report.warnings)
            where = f"{item.draft.source}: {item.draft.iri}"
            if dry_run:
                summary.add(ItemResult(where, item.draft.iri, "valid", warnings=warnings))
            elif item.head is not None and item.head.content_hash == item.content_hash:
                summary.add(ItemResult(where, item.draft.iri, "unchanged", warnings=warnings))
            elif item.head is not None and item.head.deprecated:
                err = ValidationFailed(f"{where}: record is deprecated; not updated", [])
                summary.add(ItemResult(where, item.draft.iri, "rejected", err))
            else:
                writes.append(self.records.new_revision(identity, item, note="import"))
                status = "imported" if item.head is None else "updated"
                statuses.append(ItemResult(where, item.draft.iri, status, warnings=warnings))
        if writes and not hold and not dry_run:
            try:
                self.records.commit(writes)
            except FairgridError as exc:  # a concurrent writer: the whole batch is refused
                statuses = [ItemResult(s.where, s.iri, "rejected", exc) for s in statuses]
                writes = []
        for result in statuses:
            summary.add(result)
        return writes if hold else []

    @staticmethod
    def _dedupe(batch: list[Draft], summary: ImportSummary) -> list[Draft]:
        """One draft per IRI: a repeat with the same content is dropped, a conflicting one rejected."""
        # hashed only when an IRI repeats: canonicalising a terminology of 100,000 triples takes seconds
        repeated = {iri for iri, n in Counter(d.iri for d in batch).items() if n > 1}
        first: dict[str, tuple[Draft, str]] = {}
        out: list[Draft] = []
        for d in batch:
            if d.iri not in repeated:
                out.append(d)
                continue
            h = content_hash(d.triples)
            if d.iri not in first:
                first[d.iri] = (d, h)
                out.append(d)
            elif first[d.iri][1] != h:
                err = InputError(
                    f"{d.source}: {d.iri} is also described, differently, in {first[d.iri][0].source}",
                    hint="describe each record once per import, or import the files separately",
                )
                summary.add(ItemResult(f"{d.source}: {d.iri}", d.iri, "rejected", err))
        return out


def unreadable(path: Path, exc: OSError) -> UnreadableInput:
    """A file that cannot be read (missing, a folder, no permission), said as `site load` says it."""
    why = (exc.strerror or type(exc).__name__).lower()
    return UnreadableInput(f"{path}: {why}")


def _referenced_types(batch: list[Draft], known: KnownTypes | None) -> dict[str, set[str]]:
    """Types of the records of this import (maybe not stored yet) that the batch points at."""
    if known is None:
        return {}
    mine = {d.iri for d in batch}
    refs = {
        t.object.value
        for d in batch
        for t in d.triples
        if isinstance(t.object, ox.NamedNode) and t.object.value not in mine
    }
    return known.lookup(sorted(refs))
