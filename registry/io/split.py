"""Split an RDF document into records.

Record roots are subjects typed with a record kind (registry.vocab.KIND_TYPES). A record holds its
root's triples plus, transitively, the triples of every blank node and every non-root IRI it
points at that the input describes (contact points, periods, checksums...): each record is
self-describing. Concepts belong to their scheme (skos:inScheme). Roots outside the allowed bases
that another record points at are embedded the same way (a publisher from the EU corporate-body
list, say); a standalone one is refused.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from registry.errors import FairgridError, IriNotAllowed, NoTypedSubject
from registry.vocab import KIND_PRIORITY, KIND_SLUGS, RDF_TYPE, SKOS, TYPE_TO_KIND, Kind

TYPE = ox.NamedNode(RDF_TYPE)
IN_SCHEME = ox.NamedNode(SKOS + "inScheme")
TOP_CONCEPT_OF = ox.NamedNode(SKOS + "topConceptOf")

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
        raise NoTypedSubject(f"{source}: no triples found")

    kinds: dict[Node, Kind] = {}
    for s, ts in by_subject.items():
        k = kind_of([t.object for t in ts if t.predicate == TYPE])  # type: ignore[misc]
        if k is not None:
            kinds[s] = k
    if not kinds:
        raise NoTypedSubject(f"{source}: no subject has the rdf:type of a record kind")

    referenced: set[Node] = {
        t.object
        for t in triples
        if isinstance(t.object, ox.NamedNode | ox.BlankNode) and t.object != t.subject
    }  # type: ignore[misc]
    result = SplitResult()
    roots: dict[Node, Kind] = {}
    for s, k in kinds.items():
        if isinstance(s, ox.NamedNode) and not s.value.startswith(allowed):
            if s in referenced:
                continue  # embedded into whichever records point at it
            result.errors.append(
                (
                    s.value,
                    IriNotAllowed(
                        f"{source}: record IRI {s.value} is not under an allowed base ({', '.join(allowed)})"
                    ),
                )
            )
            continue
        roots[s] = k

    # Concepts go to their scheme.
    owner: dict[Node, Node] = {}
    for s, ts in by_subject.items():
        for t in ts:
            if (
                t.predicate in (IN_SCHEME, TOP_CONCEPT_OF)
                and t.object in roots
                and roots[t.object] == Kind.TERMINOLOGY  # type: ignore[index]
            ):
                owner.setdefault(s, t.object)  # type: ignore[arg-type]

    minted: dict[Node, ox.NamedNode] = {}
    for s, k in roots.items():
        if isinstance(s, ox.BlankNode):
            minted[s] = ox.NamedNode(f"{base_iri}{KIND_SLUGS[k]}/{uuid.uuid4()}")

    def rename(n: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        return minted.get(n, n) if isinstance(n, ox.BlankNode) else n  # type: ignore[arg-type]

    claimed: set[Node] = set(roots)
    for root, kind in roots.items():
        members: list[Node] = [root] + [c for c, sch in owner.items() if sch == root and c not in roots]
        seen = set(members)
        out: list[ox.Triple] = []
        i = 0
        while i < len(members):
            node = members[i]
            i += 1
            for t in by_subject.get(node, []):
                out.append(ox.Triple(rename(t.subject), t.predicate, rename(t.object)))  # type: ignore[arg-type]
                o = t.object
                if (
                    isinstance(o, ox.NamedNode | ox.BlankNode)
                    and o not in seen
                    and o not in roots
                    and o in by_subject
                    and not (o in owner and owner[o] != root)
                ):
                    seen.add(o)
                    members.append(o)
        claimed |= seen
        iri = minted.get(root, root)
        result.drafts.append(
            Draft(iri=iri.value, kind=kind, triples=out, minted=root in minted, source=source)
        )

    orphans = [s for s in by_subject if s not in claimed and s not in kinds]
    for s in orphans:
        label = s.value if isinstance(s, ox.NamedNode) else f"_:{s.value}"
        result.errors.append(
            (
                label,
                NoTypedSubject(
                    f"{source}: {label} is described but belongs to no record (no record points at it)"
                ),
            )
        )
    return result
