"""The record service: create, update, get, list, deprecate, history, diff.

Every operation takes the caller's Identity first. Writes are validated (size, literals, SHACL)
before anything is stored, and stored through the store port in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pyoxigraph as ox

from registry.config import Settings
from registry.errors import (
    AlreadyExists,
    Deprecated,
    FairgridError,
    InputError,
    NotFound,
    StaleRevision,
    ValidationFailed,
)
from registry.identity import Identity, Role
from registry.io.split import Draft, split
from registry.model import DEPRECATION_REASON, OWL_DEPRECATED, Record, RevisionInfo, content_hash
from registry.rdf import is_iri, parse
from registry.services.checks import check_size, literal_problems, literals_failed
from registry.services.quality import assess
from registry.services.visibility import readable, require_readable
from registry.sparql_text import named_node
from registry.store.port import RecordStore, Write
from registry.validation.report import ValidationReport
from registry.validation.validator import RecordValidator
from registry.vocab import Kind

CONTEXT_LIMIT = 100  # referenced stored records read in full for validation; beyond that, types only


@dataclass(frozen=True)
class Diff:
    iri: str
    a: int
    b: int
    added: list[ox.Triple]
    removed: list[ox.Triple]


@dataclass
class Checked:
    """A draft that passed every check, with its report (warnings included)."""

    draft: Draft
    report: ValidationReport
    head: RevisionInfo | None
    content_hash: str
    quality: str | None = None  # JSON of the MQA-style score (services/quality.py)


class RecordService:
    def __init__(
        self,
        store: RecordStore,
        validator: RecordValidator,
        settings: Settings,
        on_commit: Callable[[], None] | None = None,
    ):
        self.store = store
        self.validator = validator
        self.settings = settings
        # told after every commit (the outbox drainer's doorbell); never waits for the index
        self.on_commit = on_commit

    # --- reading ----------------------------------------------------------------------------------

    def get(self, identity: Identity, iri: str, revision: int | None = None) -> Record:
        """The latest revision (or a given one) this caller may see.

        Draft revisions are for curators only; others get the latest published one. Records whose
        metadata is for the consortium only need a consortium role (services/visibility.py).
        """
        named_node(iri, "record IRI")  # refused before any store work: a 400, not a store error
        drafts = identity.has(Role.CURATOR)
        rec = self.store.get(iri, revision)
        if rec is not None and rec.revision is not None and not rec.revision.published and not drafts:
            if revision is not None:
                rec = None
            else:
                published = [r for r in self.store.history(iri) if r.published]
                rec = self.store.get(iri, published[-1].number) if published else None
        if rec is None:
            what = f"revision {revision} of {iri}" if revision is not None else iri
            raise NotFound(f"no record {what}")
        require_readable(identity, rec, readable(self.store, identity, [rec])[iri])
        return rec

    def get_many(self, identity: Identity, iris: Sequence[str]) -> dict[str, Record | FairgridError]:
        """The latest revision of each record this caller may see, or why not (same rules as `get`).

        Batched for API loaders: a few store calls for the whole batch, with each record exactly as
        registered; only a draft head that a non-curator may not see costs a `get` of its own.
        """
        keys = list(dict.fromkeys(iris))
        found = self.store.get_many([i for i in keys if is_iri(i)]) if keys else {}
        drafts = identity.has(Role.CURATOR)
        allowed = readable(self.store, identity, list(found.values()))
        out: dict[str, Record | FairgridError] = {}
        for iri in keys:
            rec = found.get(iri)
            try:
                if rec is None or rec.revision is None:
                    named_node(iri, "record IRI")
                    raise NotFound(f"no record {iri}")
                if not rec.revision.published and not drafts:  # fall back to the published revision
                    out[iri] = self.get(identity, iri)
                    continue
                require_readable(identity, rec, allowed[iri])
                out[iri] = rec
            except FairgridError as exc:
                out[iri] = exc
        return out

    def referenced(self, identity: Identity, rec: Record, limit: int) -> dict[str, Record]:
        """The records `rec` points at (IRI objects it does not describe itself, the first `limit` in IRI
        order) that this caller may read, in one batch; the others are left out (shown by IRI only)."""
        described = {t.subject.value for t in rec.triples if not isinstance(t.subject, ox.Triple)}
        refs = sorted(
            {
                t.object.value
                for t in rec.triples
                if isinstance(t.object, ox.NamedNode) and t.object.value not in described
            }
        )[:limit]
        found = self.get_many(identity, refs)
        return {i: r for i, r in found.items() if isinstance(r, Record)}

    def list_records(
        self, identity: Identity, kind: Kind | None = None, offset: int = 0, limit: int = 100
    ) -> list[RevisionInfo]:
        heads = self.store.list_records(kind, offset, min(limit, 1000))
        return heads if identity.has(Role.CURATOR) else [h for h in heads if h.published]

    def history(self, identity: Identity, iri: str) -> list[RevisionInfo]:
        named_node(iri, "record IRI")
        revs = self.store.history(iri)
        if not identity.has(Role.CURATOR):
            revs = [r for r in revs if r.published]
        if not revs:
            raise NotFound(f"no record {iri}")
        self.get(identity, iri)  # same access rule as reading the record
        return revs

    def histories(self, identity: Identity, records: Sequence[Record]) -> dict[str, list[RevisionInfo]]:
        """The revisions of records the caller has already read (as `history`, for many at once)."""
        found = self.store.histories([r.iri for r in records])
        if identity.has(Role.CURATOR):
            return found
        return {iri: [r for r in revs if r.published] for iri, revs in found.items()}

    def diff(self, identity: Identity, iri: str, a: int, b: int) -> Diff:
        ra, rb = self.get(identity, iri, a), self.get(identity, iri, b)
        ta, tb = _canonical(ra.triples), _canonical(rb.triples)
        return Diff(iri, a, b, added=sorted(tb - ta, key=str), removed=sorted(ta - tb, key=str))

    # --- checking ---------------------------------------------------------------------------------

    def parse_drafts(
        self, data: bytes | str, fmt: ox.RdfFormat, source: str = "<input>", document_iri: str | None = None
    ) -> tuple[list[Draft], list[tuple[str, FairgridError]]]:
        """Records of one document. Relative IRIs resolve against `document_iri` (a file's own URI, as
        RDF says) when given, else against the registry's base."""
        size = len(data)
        if size > self.settings.max_record_bytes:
            from registry.errors import RecordTooLarge

            raise RecordTooLarge(
                f"{source}: {size} bytes is over the limit of {self.settings.max_record_bytes}"
            )
        triples = parse(data, fmt, source=source, base_iri=document_iri or self.settings.base_iri)
        result = split(
            triples, base_iri=self.settings.base_iri, allowed=self.settings.all_allowed_bases, source=source
        )
        return result.drafts, result.errors

    def check(
        self, identity: Identity, drafts: Sequence[Draft], known_types: dict[str, set[str]] | None = None
    ) -> list[Checked | tuple[Draft, FairgridError]]:
        """Validate drafts together (they may reference each other); nothing is stored.

        `known_types` gives the types of records that are neither in `drafts` nor stored yet (other
        files of the same import), so references to them are not mistaken for dangling ones.
        """
        heads = self.store.heads([d.iri for d in drafts])
        by_iri = {d.iri: d for d in drafts}
        refs = {
            t.object.value
            for d in drafts
            for t in d.triples
            if isinstance(t.object, ox.NamedNode) and t.object.value not in by_iri
        }
        stored_refs = self.store.heads(sorted(refs)) if refs else {}
        full = len(stored_refs) <= CONTEXT_LIMIT * max(1, len(drafts))
        stored_content: dict[str, tuple[ox.Triple, ...]] = {}
        if full and stored_refs:
            found = self.store.get_many(sorted(stored_refs))
            stored_content = {iri: rec.triples for iri, rec in found.items()}
        types = dict(known_types or {})
        if not full:
            types.update(self.store.types_of(sorted(stored_refs)))
        out: list[Checked | tuple[Draft, FairgridError]] = []
        for d in drafts:
            where = f"{d.source}: {d.iri}"
            try:
                check_size(d.triples, self.settings.max_record_bytes, where)
                bad_literals = literal_problems(d.triples)  # reported with SHACL's results: one round
                context: list[ox.Triple] = []
                for t in d.triples:
                    o = t.object
                    if not isinstance(o, ox.NamedNode) or o.value == d.iri:
                        continue
                    if o.value in by_iri:
                        context += by_iri[o.value].triples
                    elif o.value in stored_content:
                        context += stored_content[o.value]
                    elif o.value in types:
                        context += [ox.Triple(o, _TYPE, ox.NamedNode(ty)) for ty in sorted(types[o.value])]
                report = self.validator.validate(d.triples, context, d.kind)
                if bad_literals:
                    raise literals_failed(where, bad_literals, report)
                if not report.conforms:
                    n = len(report.violations)
                    raise ValidationFailed(
                        f"{where}: {n} SHACL violation(s); nothing stored", report.violations, report.warnings
                    )
                score = assess(d.iri, d.triples, context, conforms=True).to_json()
                out.append(Checked(d, report, heads.get(d.iri), content_hash(d.triples), score))
            except InputError as exc:
                out.append((d, exc))
        return out

    # --- writing ----------------------------------------------------------------------------------

    def new_revision(
        self, identity: Identity, c: Checked, *, note: str | None = None, publish: bool = True
    ) -> Write:
        number = 1 if c.head is None else c.head.number + 1
        rev = RevisionInfo(
            iri=c.draft.iri,
            number=number,
            kind=c.draft.kind,
            generated_at=datetime.now(UTC),
            attributed_to=identity.agent_iri,
            content_hash=c.content_hash,
            note=note,
            published=publish,
            report=_findings_json(c.report),
            # a harvested draft kept with its violations is checked without context: scored here
            quality=c.quality or assess(c.draft.iri, c.draft.triples, conforms=c.report.conforms).to_json(),
        )
        record = Record(c.draft.iri, c.draft.kind, tuple(c.draft.triples), rev)
        return Write(record, c.head.number if c.head is not None else None)

    def create(
        self,
        identity: Identity,
        data: bytes | str,
        fmt: ox.RdfFormat,
        source: str = "<input>",
        publish: bool = True,
    ) -> list[Record]:
        """Register every record in the document; all of them or none. publish=False makes drafts."""
        identity.require(Role.CURATOR, action="register records")
        drafts, errors = self.parse_drafts(data, fmt, source)
        if errors:
            raise errors[0][1]
        writes: list[Write] = []
        for c in self._checked_or_raise(identity, drafts):
            if c.head is not None and c.head.content_hash == c.content_hash:
                continue  # a record the document repeats unchanged (a shared publisher, say)
            if c.head is not None:
                raise AlreadyExists(f"{c.draft.iri} already exists (revision {c.head.number})")
            writes.append(self.new_revision(identity, c, publish=publish))
        self.commit(writes)
        return [w.record for w in writes]

    def update(
        self,
        identity: Identity,
        iri: str,
        data: bytes | str,
        fmt: ox.RdfFormat,
        base_revision: int,
        source: str = "<input>",
        publish: bool = True,
    ) -> Record:
        identity.require(Role.CURATOR, action="update records")
        named_node(iri, "record IRI")
        drafts, errors = self.parse_drafts(data, fmt, source)
        if errors:
            raise errors[0][1]
        mine = [d for d in drafts if d.iri == iri]
        if len(mine) != 1:
            raise InputError(
                f"{source}: the document must describe the record {iri} (found {[d.iri for d in drafts]})"
            )
        (c,) = self._checked_or_raise(identity, mine)
        if c.head is None:
            raise NotFound(f"no record {iri} to update", hint="register it first")
        if c.head.deprecated:
            raise Deprecated(f"{iri} is deprecated ({c.head.reason}); it cannot be updated")
        if c.head.number != base_revision:
            raise StaleRevision(
                f"{iri} is at revision {c.head.number}, the update was based on {base_revision}"
            )
        if c.head.content_hash == c.content_hash and c.head.published == publish:
            current = self.store.get(iri)  # nothing changed: no new revision
            assert current is not None
            return current
        write = self.new_revision(identity, c, publish=publish)
        self.commit([write])
        return write.record

    def publish(self, identity: Identity, iri: str, base_revision: int | None = None) -> Record:
        """Make the latest (draft) revision public: a new, published revision with the same content."""
        identity.require(Role.CURATOR, action="publish records")
        rec = self.get(identity, iri)
        assert rec.revision is not None
        if rec.revision.published:
            return rec
        if base_revision is not None and base_revision != rec.revision.number:
            raise StaleRevision(f"{iri} is at revision {rec.revision.number}, not {base_revision}")
        if rec.revision.report and json.loads(rec.revision.report).get("violations"):
            # a harvested draft kept with its violations: only a conforming version may be published
            raise ValidationFailed(
                f"{iri}: revision {rec.revision.number} violates the shapes; not published", []
            )
        rev = replace(
            rec.revision, number=rec.revision.number + 1, generated_at=datetime.now(UTC),
            attributed_to=identity.agent_iri, published=True, note="published",
        )  # fmt: skip
        record = Record(iri, rec.kind, rec.triples, rev)
        self.commit([Write(record, rec.revision.number)])
        return record

    def deprecate(
        self, identity: Identity, iri: str, reason: str, base_revision: int | None = None
    ) -> Record:
        identity.require(Role.CURATOR, action="deprecate records")
        if not reason.strip():
            raise InputError("a deprecation needs a reason", hint="say why, e.g. 'superseded by <IRI>'")
        rec = self.get(identity, iri)
        assert rec.revision is not None
        if rec.revision.deprecated:
            raise Deprecated(f"{iri} is already deprecated")
        if base_revision is not None and base_revision != rec.revision.number:
            raise StaleRevision(f"{iri} is at revision {rec.revision.number}, not {base_revision}")
        head = rec.revision.number
        if not rec.revision.published:
            # A pending draft (a harvested non-conformant version, say) over a published revision: the
            # tombstone keeps the published content and is published, or the public would go on seeing
            # the record as current; the draft stays in the history and leaves the review queue.
            # A record that never had a published revision gets a draft tombstone (its content may violate).
            earlier = [r for r in self.store.history(iri) if r.published]
            last = self.store.get(iri, earlier[-1].number) if earlier else None
            if last is not None and last.revision is not None and not last.revision.deprecated:
                rec = last
        assert rec.revision is not None
        s = ox.NamedNode(iri)
        triples = tuple(rec.triples) + (
            ox.Triple(s, ox.NamedNode(OWL_DEPRECATED), ox.Literal(True)),
            ox.Triple(s, ox.NamedNode(DEPRECATION_REASON), ox.Literal(reason)),
        )
        rev = RevisionInfo(
            iri=iri, number=head + 1, kind=rec.kind, generated_at=datetime.now(UTC),
            attributed_to=identity.agent_iri, content_hash=content_hash(triples),
            deprecated=True, reason=reason, published=rec.revision.published,  # a draft's stays a draft
            quality=rec.revision.quality,
        )  # fmt: skip
        record = Record(iri, rec.kind, triples, rev)
        self.commit([Write(record, head)])
        return record

    def commit(self, writes: Sequence[Write]) -> None:
        """Store the writes in one transaction (their outbox entries with them), then ring the drainer.
        The index catches up afterwards: a write never waits for it, nor fails because of it."""
        if not writes:
            return
        self.store.commit(writes)
        if self.on_commit is not None:
            self.on_commit()

    def _checked_or_raise(self, identity: Identity, drafts: Sequence[Draft]) -> list[Checked]:
        out: list[Checked] = []
        for item in self.check(identity, drafts):
            if isinstance(item, Checked):
                out.append(item)
            else:
                raise item[1]
        return out


def _findings_json(report: ValidationReport) -> str | None:
    """Warnings and infos are kept with the revision so curators can see them later."""
    if not report.warnings and not report.infos:
        return None
    data = report.to_dict()
    return json.dumps({"warnings": data["warnings"], "infos": data["infos"]}, sort_keys=True)


_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _canonical(triples: Sequence[ox.Triple]) -> set[ox.Triple]:
    ds = ox.Dataset([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {q.triple for q in ds}
