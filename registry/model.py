"""The domain model: records and their revisions. No I/O here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox

from registry.errors import InputError
from registry.vocab import DCT, FG, METADATA_VISIBILITY, PROV, RDF_TYPE, VISIBILITY_CONSORTIUM, XSD, Kind

REVISION_PREFIX = "urn:fairgrid:revision:"
META_GRAPH = "urn:fairgrid:meta"
OUTBOX_GRAPH = "urn:fairgrid:outbox"


def names_a_store_graph(iri: str) -> bool:
    """Whether `iri` is the name of one of the store's own graphs (heads and PROV, the outbox, a
    revision's content): no record may have it, as a record's content lives in the graph of its name."""
    return iri in (META_GRAPH, OUTBOX_GRAPH) or iri.startswith(REVISION_PREFIX)


def revision_iri(iri: str, number: int) -> str:
    """IRI of one revision entity (and of the named graph holding that revision's content)."""
    return f"{REVISION_PREFIX}{number}:{iri}"


def revision_number(rev_iri: str) -> int:
    """The number in a revision IRI: the inverse of `revision_iri` for the number."""
    start = len(REVISION_PREFIX)
    return int(rev_iri[start : rev_iri.index(":", start)])


@dataclass(frozen=True)
class RevisionInfo:
    iri: str
    number: int
    kind: Kind
    generated_at: datetime
    attributed_to: str
    content_hash: str
    deprecated: bool = False
    reason: str | None = None
    note: str | None = None
    published: bool = True  # a draft revision is visible to curators only
    report: str | None = None  # JSON: the warnings and infos validation gave this revision
    quality: str | None = None  # JSON: the MQA-style quality checks (registry/services/quality.py)

    @property
    def findings(self) -> list[dict[str, str]]:
        if not self.report:
            return []
        data = json.loads(self.report)
        return [*data.get("warnings", []), *data.get("infos", [])]

    @property
    def revision_iri(self) -> str:
        return revision_iri(self.iri, self.number)

    @property
    def previous_iri(self) -> str | None:
        return revision_iri(self.iri, self.number - 1) if self.number > 1 else None


@dataclass(frozen=True)
class Record:
    iri: str
    kind: Kind
    triples: tuple[ox.Triple, ...]
    revision: RevisionInfo | None = None

    @property
    def subject(self) -> ox.NamedNode:
        return ox.NamedNode(self.iri)

    def values(self, predicate: str) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        p = ox.NamedNode(predicate)
        return [t.object for t in self.triples if t.subject == self.subject and t.predicate == p]  # type: ignore[misc]

    def value(self, predicate: str) -> str | None:
        vals = self.values(predicate)
        return vals[0].value if vals else None

    @property
    def access_rights(self) -> str | None:
        return self.value(DCT + "accessRights")

    @property
    def deprecated(self) -> bool:
        return self.revision.deprecated if self.revision is not None else False

    @property
    def metadata_visibility(self) -> str | None:
        return self.value(METADATA_VISIBILITY)

    @property
    def is_public(self) -> bool:
        """Metadata anyone may read, whatever dct:accessRights says of the data: all but records that
        say fg:metadataVisibility fg:ConsortiumMetadata (registry/services/visibility.py)."""
        return self.metadata_visibility != VISIBILITY_CONSORTIUM


def content_hash(triples: tuple[ox.Triple, ...] | list[ox.Triple]) -> str:
    """Hash independent of triple order and blank node labels (RDF canonicalisation).

    Only the triples that mention a blank node go through RDFC-1.0: its labels are computed from
    those triples alone, and the others come out of it unchanged, so the hash is the one of the
    whole canonical dataset. (Canonicalising everything cost four times as much per record.)"""
    lines: set[str] = set()  # a set, as the canonical dataset has each triple once
    blank: list[ox.Quad] = []
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode | ox.Literal):
            lines.add(str(t))
        else:  # a blank node, or a quoted triple that may hold one
            blank.append(ox.Quad(t.subject, t.predicate, t.object))
    if blank:
        _check_blank_nodes(blank)
        ds = ox.Dataset(blank)
        ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        lines.update(str(q) for q in ds)
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


# RDFC-1.0 grows much faster than the blank nodes it labels where they nest or form a cycle: a chain
# 500 deep cost 9.5 s of CPU per write and one 5,000 deep over 300 s; a ring of 200, 0.5 s. Records
# nest blank nodes a few levels (a contact point, a period of time); 64 costs 0.02 s.
MAX_BLANK_DEPTH = 64


def _check_blank_nodes(quads: list[ox.Quad]) -> None:
    """Blank nodes nest at most MAX_BLANK_DEPTH deep; where they form a cycle, the record has at most
    MAX_BLANK_DEPTH of them."""
    inner: dict[ox.BlankNode, list[ox.BlankNode]] = {}
    for q in quads:
        if isinstance(q.subject, ox.BlankNode) and isinstance(q.object, ox.BlankNode):
            inner.setdefault(q.subject, []).append(q.object)
    depth: dict[ox.BlankNode, int] = {}  # longest chain of blank nodes from here, back edges left out
    cycle = False
    for root in inner:
        if root in depth:
            continue
        path, stack = {root}, [(root, iter(inner.get(root, ())))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.discard(node)
                depth[node] = 1 + max((depth.get(c, 0) for c in inner.get(node, ())), default=0)
                if depth[node] > MAX_BLANK_DEPTH:
                    raise InputError(
                        f"blank nodes nest more than {MAX_BLANK_DEPTH} deep",
                        hint="give deeply nested resources IRIs of their own",
                    )
            elif child in path:
                cycle = True
            elif child not in depth:
                path.add(child)
                stack.append((child, iter(inner.get(child, ()))))
    if cycle:
        blanks = {t for q in quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
        if len(blanks) > MAX_BLANK_DEPTH:
            raise InputError(
                f"{len(blanks)} blank nodes with a cycle among them (at most {MAX_BLANK_DEPTH})",
                hint="give the resources in the cycle IRIs of their own",
            )


DEPRECATED = FG + "deprecated"
DEPRECATION_REASON = FG + "deprecationReason"
OWL_DEPRECATED = "http://www.w3.org/2002/07/owl#deprecated"


def provenance(rev: RevisionInfo) -> list[ox.Triple]:
    """PROV for one revision: what it revises, when it was made, by whom."""
    r = ox.NamedNode(rev.revision_iri)
    out = [
        ox.Triple(r, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Entity")),
        ox.Triple(r, ox.NamedNode(PROV + "specializationOf"), ox.NamedNode(rev.iri)),
        ox.Triple(
            r,
            ox.NamedNode(FG + "revision"),
            ox.Literal(str(rev.number), datatype=ox.NamedNode(XSD + "nonNegativeInteger")),
        ),
        ox.Triple(
            r,
            ox.NamedNode(PROV + "generatedAtTime"),
            ox.Literal(rev.generated_at.isoformat(), datatype=ox.NamedNode(XSD + "dateTime")),
        ),
        ox.Triple(r, ox.NamedNode(PROV + "wasAttributedTo"), ox.NamedNode(rev.attributed_to)),
    ]
    if rev.previous_iri:
        out.append(ox.Triple(r, ox.NamedNode(PROV + "wasRevisionOf"), ox.NamedNode(rev.previous_iri)))
    if rev.deprecated:
        out.append(ox.Triple(r, ox.NamedNode(DEPRECATED), ox.Literal(True)))
    return out
