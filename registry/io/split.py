"""Split an RDF document into records.

Record roots are subjects typed with a record kind (registry.vocab.KIND_TYPES). A record holds its
root's triples plus, transitively, the triples of every blank node and every non-root IRI it
points at that the input describes (contact points, periods, checksums...): each record is
self-describing. Blank-node agents and distributions are parts of the record that points at them,
not records of their own, so they are imported, rejected and versioned with it. Concepts belong to
their scheme (skos:inScheme), a dcat:CatalogRecord to the record it describes (foaf:primaryTopic).
Agents and distributions outside the allowed bases that a record points at are embedded the same
way (a publisher from the EU corporate-body list, say); every other record outside them is refused
and reported, whatever points at it. A blank-node root gets an IRI derived from its content, so
importing the same document again mints the same IRIs. LDP containers are navigation, not records,
and so is the PROV a registry serves about its own revisions (`urn:fairgrid:revision:N:IRI`, in every
record GET answers with): the server writes it, so a record read and written back is not refused for it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry.errors import FairgridError, IriNotAllowed, NoTypedSubject
from registry.model import REVISION_PREFIX, content_hash
from registry.vocab import DCAT, FG, FOAF, KIND_PRIORITY, KIND_SLUGS, RDF_TYPE, SKOS, TYPE_TO_KIND, Kind

TYPE = ox.NamedNode(RDF_TYPE)
IN_SCHEME = ox.NamedNode(SKOS + "inScheme")
TOP_CONCEPT_OF = ox.NamedNode(SKOS + "topConceptOf")
PRIMARY_TOPIC = ox.NamedNode(FOAF + "primaryTopic")
CATALOG_RECORD = ox.NamedNode(DCAT + "CatalogRecord")
LDP = "http://www.w3.org/ns/ldp#"
LDP_CONTAINS = ox.NamedNode(LDP + "contains")
LDP_CONTAINERS = {
    ox.NamedNode(LDP + c) for c in ("Container", "BasicContainer", "DirectContainer", "IndirectContainer")
}
FG_KIND = ox.NamedNode(FG + "mintedKind")  # only inside the hash that mints a blank root's IRI

# Kinds that, as blank nodes or outside the allowed bases, are parts of the record pointing at them.
PART_KINDS = frozenset({Kind.ORGANIZATION, Kind.DISTRIBUTION})

Node = ox.NamedNode | ox.BlankNode


@dataclass
class Draft:
    """A record as found in the input, before validation and revision."""

    iri: str
    kind: Kind
    triples: list[ox.Triple]
    minted: bool = False
    source: str = "<input>"


@dataclass
class SplitResult:
    drafts: list[Draft] = field(default_factory=list)
    errors: list[tuple[str, FairgridError]] = field(default_factory=list)


def kind_of(types: list[ox.NamedNode | ox.BlankNode | ox.Literal]) -> Kind | None:
    kinds = {TYPE_TO_KIND[t.value] for t in types if isinstance(t, ox.NamedNode) and t.value in TYPE_TO_KIND}
    for k in KIND_PRIORITY:
        if k in kinds:
            return k
    return None


def split(
    triples: list[ox.Triple], *, base_iri: str, allowed: tuple[str, ...], source: str = "<input>"
) -> SplitResult:
    by_subject: dict[Node, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(t)  # type: ignore[index]
    if not by_subject:
        raise NoTypedSubject(
            f"{source}: no triples found",
            hint="the input is empty (or only prefixes and comments): give the records' RDF",
        )

    kinds: dict[Node, Kind] = {}
    navigation: set[Node] = set()
    for s, ts in by_subject.items():
        types = [t.object for t in ts if t.predicate == TYPE]
        k = kind_of(types)  # type: ignore[arg-type]
        if k is not None:
            kinds[s] = k
        elif any(t in LDP_CONTAINERS for t in types) or any(t.predicate == LDP_CONTAINS for t in ts):
            navigation.add(s)
        elif isinstance(s, ox.NamedNode) and s.value.startswith(REVISION_PREFIX):
            navigation.add(s)  # served revision PROV: the registry's own statements, never content
    if not kinds:
        raise NoTypedSubject(f"{source}: no subject has the rdf:type of a record kind")

    referenced: set[Node] = {
        t.object  # type: ignore[misc]
        for t in triples
        if isinstance(t.object, ox.NamedNode | ox.BlankNode) and t.object != t.subject
    }
    result = SplitResult()
    roots: dict[Node, Kind] = {}
    foreign: list[ox.NamedNode] = []  # embeddable parts outside the bases: refused unless a record uses them
    for s, k in kinds.items():
        if isinstance(s, ox.NamedNode) and not s.value.startswith(allowed):
            if k in PART_KINDS:
                foreign.append(s)
            else:
                result.errors.append((s.value, _not_allowed(s, source, allowed)))
        elif not (isinstance(s, ox.BlankNode) and k in PART_KINDS and s in referenced):
            roots[s] = k

    owner = _owners(by_subject, roots)
    walk = _Walk(by_subject, roots, navigation, owner, kinds, foreign)
    closures: dict[Node, list[ox.Triple]] = {}
    claimed: set[Node] = set(roots)
    for root in roots:
        members: list[Node] = [root] + [c for c, o in owner.items() if o == root and c not in roots]
        closures[root], seen = walk.closure(root, members)
        claimed |= seen

    minted: dict[Node, ox.NamedNode] = {
        s: _mint(base_iri, k, closures[s]) for s, k in roots.items() if isinstance(s, ox.BlankNode)
    }

    def rename(n: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        return minted.get(n, n) if isinstance(n, ox.BlankNode) else n  # type: ignore[arg-type]

    for root, kind in roots.items():
        out = closures[root]
        if minted:  # only a document with blank-node roots has nodes to rename
            out = [ox.Triple(rename(t.subject), t.predicate, rename(t.object)) for t in out]  # type: ignore[arg-type]
        iri = minted.get(root, root)
        result.drafts.append(
            Draft(iri=iri.value, kind=kind, triples=out, minted=root in minted, source=source)
        )

    refused: list[Node] = [f for f in foreign if f not in claimed]
    for f in foreign:
        if f not in claimed:
            result.errors.append((f.value, _not_allowed(f, source, allowed)))
    # what a refused record owns is refused with it, not reported again as belonging to no record
    refused += [s for s, k in kinds.items() if s not in roots and s not in foreign and s not in claimed]
    for r in refused:
        claimed |= walk.closure(r, [r])[1]
    orphans = [
        s
        for s in by_subject
        if s not in claimed
        and s not in navigation
        and s not in foreign
        and not (s in kinds and isinstance(s, ox.NamedNode))
    ]  # a refused record is reported above
    # blank nodes an unowned IRI describes (a catalog record's checksum) are reported with it, once
    inner = walk.closure_within([s for s in orphans if isinstance(s, ox.NamedNode)], set(orphans))
    for s in orphans:
        if s not in inner:
            result.errors.append((_label(s), NoTypedSubject(f"{source}: {_unowned(s, by_subject)}")))
    return result


def _label(n: Node) -> str:
    return n.value if isinstance(n, ox.NamedNode) else f"_:{n.value}"


def _unowned(s: Node, by_subject: dict[Node, list[ox.Triple]]) -> str:
    ts = by_subject[s]
    topics = [t.object for t in ts if t.predicate == PRIMARY_TOPIC]
    if topics and any(t.predicate == TYPE and t.object == CATALOG_RECORD for t in ts):
        topic = topics[0]
        where = "not described in the input" if topic not in by_subject else "not a record of the input"
        return (
            f"{_label(s)} is a dcat:CatalogRecord whose foaf:primaryTopic {topic} is {where}, "
            "so it belongs to no record"
        )
    return f"{_label(s)} is described but belongs to no record (no record points at it)"


@dataclass
class _Walk:
    """The transitive description a root owns: blank nodes and described non-record IRIs it points at,
    never another root, a navigation node, a node owned elsewhere or a record kept apart."""

    by_subject: dict[Node, list[ox.Triple]]
    roots: dict[Node, Kind]
    navigation: set[Node]
    owner: dict[Node, Node]
    kinds: dict[Node, Kind]
    foreign: list[ox.NamedNode]

    def closure(self, root: Node, members: list[Node]) -> tuple[list[ox.Triple], set[Node]]:
        seen = set(members)
        out: list[ox.Triple] = []
        i = 0
        while i < len(members):
            node = members[i]
            i += 1
            for t in self.by_subject.get(node, []):
                out.append(t)
                o = t.object
                if (
                    isinstance(o, ox.NamedNode | ox.BlankNode)
                    and o not in seen
                    and o not in self.roots
                    and o not in self.navigation
                    and o in self.by_subject
                    and not (o in self.owner and self.owner[o] != root)
                    and not (o in self.kinds and isinstance(o, ox.NamedNode) and o not in self.foreign)
                ):
                    seen.add(o)
                    members.append(o)
        return out, seen

    def closure_within(self, heads: list[ox.NamedNode], nodes: set[Node]) -> set[Node]:
        """The blank nodes among `nodes` that the heads' descriptions reach, transitively."""
        reached: set[Node] = set()
        stack: list[Node] = list(heads)
        while stack:
            for t in self.by_subject.get(stack.pop(), []):
                o = t.object
                if isinstance(o, ox.BlankNode) and o in nodes and o not in reached:
                    reached.add(o)
                    stack.append(o)
        return reached


def _owners(by_subject: dict[Node, list[ox.Triple]], roots: dict[Node, Kind]) -> dict[Node, Node]:
    """Nodes kept with a root other than the one that points at them: concepts with their scheme, a
    catalog record with the record it describes (not with the catalogue that lists it)."""
    owner: dict[Node, Node] = {}
    for s, ts in by_subject.items():
        types = {t.object for t in ts if t.predicate == TYPE}
        for t in ts:
            o = t.object
            if o not in roots:
                continue
            concept = t.predicate in (IN_SCHEME, TOP_CONCEPT_OF) and roots[o] == Kind.TERMINOLOGY  # type: ignore[index]
            if concept or (t.predicate == PRIMARY_TOPIC and CATALOG_RECORD in types):
                owner.setdefault(s, o)  # type: ignore[arg-type]
    return owner


def _mint(base_iri: str, kind: Kind, triples: list[ox.Triple]) -> ox.NamedNode:
    """An IRI for a blank-node root from its canonical content (blank labels and order do not count):
    the same description mints the same IRI on every import."""
    digest = content_hash([*triples, ox.Triple(ox.BlankNode("root"), FG_KIND, ox.Literal(kind.value))])
    return ox.NamedNode(f"{base_iri}{KIND_SLUGS[kind]}/{uuid.UUID(hex=digest[:32])}")


def _not_allowed(s: ox.NamedNode, source: str, allowed: tuple[str, ...]) -> IriNotAllowed:
    return IriNotAllowed(
        f"{source}: record IRI {s.value} is not under an allowed base ({', '.join(allowed)})"
    )
