"""A small in-memory triple index over pyoxigraph terms, with an optional read-only base layer.

Validation reads a record graph on top of the (large, shared) background vocabularies; layering
avoids copying the background for every record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from registry.vocab import RDF, RDFS

RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_FIRST = ox.NamedNode(RDF + "first")
RDF_REST = ox.NamedNode(RDF + "rest")
RDF_NIL = ox.NamedNode(RDF + "nil")
SUBCLASS = ox.NamedNode(RDFS + "subClassOf")

Node = ox.NamedNode | ox.BlankNode | ox.Literal

_EMPTY: tuple[Node, ...] = ()


class Graph:
    def __init__(self, triples: Iterable[ox.Triple] = (), base: Graph | None = None):
        self.base = base
        self._spo: dict[Node, dict[ox.NamedNode, list[Node]]] = defaultdict(lambda: defaultdict(list))
        self._ops: dict[Node, dict[ox.NamedNode, list[Node]]] | None = None
        self._supers: dict[Node, frozenset[Node]] = {}
        self.size = 0
        # a set semantics like any RDF graph: a triple repeated in record and context counts once
        unique = dict.fromkeys(triples)
        if base is None and len(unique) > 10_000:
            # the background: each term once (pyoxigraph makes a new object per access), ~35 MB less
            memo: dict[Node, Node] = {}
            for t in unique:
                s, p, o = t.subject, t.predicate, t.object
                s, p, o = memo.setdefault(s, s), memo.setdefault(p, p), memo.setdefault(o, o)  # type: ignore[arg-type,assignment]
                self._spo[s][p].append(o)  # type: ignore[index]
            self.size = len(unique)
            return
        for t in unique:
            self._spo[t.subject][t.predicate].append(t.object)  # type: ignore[index,arg-type]
            self.size += 1

    def objects(self, s: Node, p: ox.NamedNode) -> list[Node]:
        own = self._spo.get(s)
        mine = own.get(p, []) if own is not None else []
        if self.base is None:
            return mine
        theirs = self.base.objects(s, p)
        if not theirs:
            return mine
        if not mine:
            return theirs
        return _union(mine, theirs)

    def value(self, s: Node, p: ox.NamedNode) -> Node | None:
        vals = self.objects(s, p)
        return vals[0] if vals else None

    def subjects(self, p: ox.NamedNode, o: Node) -> list[Node]:
        if self._ops is None:
            ops: dict[Node, dict[ox.NamedNode, list[Node]]] = defaultdict(lambda: defaultdict(list))
            for s, po in self._spo.items():
                for pred, objs in po.items():
                    for obj in objs:
                        ops[obj][pred].append(s)
            self._ops = ops
        own = self._ops.get(o)
        mine = own.get(p, []) if own is not None else []
        if self.base is None:
            return mine
        theirs = self.base.subjects(p, o)
        if not theirs:
            return mine
        return _union(mine, theirs) if mine else theirs

    def own_subjects(self) -> list[Node]:
        return list(self._spo.keys())

    def predicates_of(self, s: Node) -> list[ox.NamedNode]:
        own = self._spo.get(s)
        preds = list(own.keys()) if own is not None else []
        if self.base is not None:
            preds += [p for p in self.base.predicates_of(s) if p not in preds]
        return preds

    def superclasses(self, cls: Node) -> frozenset[Node]:
        """cls and everything it is an rdfs:subClassOf, transitively."""
        cached = self._supers.get(cls)
        if cached is not None:
            return cached
        seen: set[Node] = {cls}
        stack = [cls]
        while stack:
            for sup in self.objects(stack.pop(), SUBCLASS):
                if sup not in seen:
                    seen.add(sup)
                    stack.append(sup)
        out = frozenset(seen)
        self._supers[cls] = out
        return out

    def is_instance(self, node: Node, cls: Node) -> bool:
        return any(cls in self.superclasses(t) for t in self.objects(node, RDF_TYPE))

    def rdf_list(self, head: Node) -> list[Node]:
        items: list[Node] = []
        node: Node | None = head
        guard = 0
        while node is not None and node != RDF_NIL and guard < 10_000:
            first = self.value(node, RDF_FIRST)
            if first is not None:
                items.append(first)
            node = self.value(node, RDF_REST)
            guard += 1
        return items


def _union(mine: list[Node], theirs: list[Node]) -> list[Node]:
    """mine, then what theirs adds, in order. A set for the membership test: a terminology record's
    scheme has ~20,000 concepts in the record and the same again in the background, and testing each
    against a list was quadratic (minutes for one record)."""
    if len(mine) * len(theirs) <= 64:
        return mine + [n for n in theirs if n not in mine]
    seen = set(mine)
    return mine + [n for n in theirs if n not in seen]
