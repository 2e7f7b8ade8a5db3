"""Plain pySHACL behind the same port: the reference the fast path is checked against, and the
naive baseline of bench/registration.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import SH as RSH

from registry.errors import Violation
from registry.validation.bundle import ACCESS_PROFILES, Bundle, load_bundle
from registry.validation.entailed import entailed_types
from registry.validation.graph import Graph, Node
from registry.validation.health import health_targets
from registry.validation.nal import BundledCodes
from registry.validation.report import ValidationReport
from registry.validation.validator import profile_targets
from registry.vocab import RDFS, Kind


def _term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Identifier:
    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return rdflib.BNode(t.value)  # keep labels so results map back to our nodes
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    g = rdflib.Graph()
    for t in triples:
        g.add((_term(t.subject), _term(t.predicate), _term(t.object)))  # type: ignore[arg-type]
    return g


def _key(term: rdflib.term.Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return str(term)
    if isinstance(term, rdflib.BNode):
        return "_:" + str(term)
    assert isinstance(term, rdflib.Literal)
    return ox.Literal(
        str(term),
        language=term.language,
        datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None,
    ).__str__()


def _path_text(g: rdflib.Graph, node: rdflib.term.Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, rdflib.URIRef):
        return str(node)
    inv = g.value(node, RSH.inversePath)
    if inv is not None:
        return "^" + str(_path_text(g, inv))
    alt = g.value(node, RSH.alternativePath)
    if alt is not None:
        return "|".join(str(_path_text(g, p)) for p in rdflib.collection.Collection(g, alt))
    return "/".join(str(_path_text(g, p)) for p in rdflib.collection.Collection(g, node))


class PyshaclValidator:
    def __init__(self, bundle: Bundle | None = None, slice_background: bool = True):
        """slice_background: give pySHACL only the background triples within two hops of the
        record's nodes (plus every rdfs:subClassOf axiom) instead of all of it. Results on the
        record's own nodes are the same; it just spares pySHACL re-validating every bundled
        concept on every call. Without it, this is the naive path of bench/registration.py.

        (pySHACL's focus_nodes option is no substitute: it also skips nested sh:node checks on
        literal values, which changes the results.)"""
        bundle = bundle or load_bundle()
        self.slice_background = slice_background
        self._bg_index = Graph(bundle.background)
        self.bundled_codes = BundledCodes(self._bg_index)
        self._subclass = [t for t in bundle.background if t.predicate.value == RDFS + "subClassOf"]
        self.shapes = to_rdflib(bundle.shapes)
        self.model_shapes = to_rdflib([*bundle.shapes, *bundle.model_shapes])
        self.background = to_rdflib(bundle.background)
        self.health = bundle.health
        self.profiles = {
            local: s
            for s in set(self.shapes.subjects())
            if isinstance(s, rdflib.URIRef)
            and (local := str(s).rsplit("#", 1)[-1].rsplit("/", 1)[-1]) in ACCESS_PROFILES.values()
        }

    def validate(
        self, triples: Sequence[ox.Triple], context: Iterable[ox.Triple] = (), kind: Kind | None = None
    ) -> ValidationReport:
        ctx = [*context, *entailed_types(triples)]  # as the compiled path: open ranges, places, EU codes
        shapes = self.model_shapes if kind == Kind.MODEL else self.shapes
        # The background goes into the data graph: pySHACL's ont_graph would copy only RDFS/OWL
        # axioms, not the SKOS concepts the official shapes check themes and licences against.
        if self.slice_background:
            data = to_rdflib([*triples, *ctx, *self._slice([*triples, *ctx])])
        else:
            data = to_rdflib([*triples, *ctx])
            data += self.background
        own = {_key(_term(t.subject)) for t in triples}  # type: ignore[arg-type]
        probe = Graph([*triples, *ctx], base=Graph(()))
        added = []
        for name, node in profile_targets(probe, [t.subject for t in triples]):  # type: ignore[misc]
            if name in self.profiles and isinstance(node, ox.NamedNode):
                triple = (self.profiles[name], RSH.targetNode, rdflib.URIRef(node.value))
                shapes.add(triple)
                added.append(triple)
        # the same selection as the compiled path, on the same data (record, context, background)
        full = Graph([*triples, *ctx], base=self._bg_index)
        for iri, node in health_targets(self.health, full, [t.subject for t in triples]):  # type: ignore[misc]
            triple = (rdflib.URIRef(iri), RSH.targetNode, _term(node))  # type: ignore[assignment]
            if triple not in shapes:
                shapes.add(triple)
                added.append(triple)
        try:
            _conforms, results, _text = pyshacl.validate(
                data, shacl_graph=shapes, inference="none", advanced=False
            )
        finally:
            for triple in added:
                shapes.remove(triple)
        assert isinstance(results, rdflib.Graph)
        # fairgrid's own warnings, as the compiled path adds them (nal.py)
        return ValidationReport([*self._results(results, own), *self.bundled_codes.warnings(triples)])

    def _slice(self, triples: list[ox.Triple]) -> list[ox.Triple]:
        out: list[ox.Triple] = list(self._subclass)
        frontier: set[Node] = {t.object for t in triples} | {t.subject for t in triples}  # type: ignore[misc,assignment]
        seen: set[Node] = set()
        for _hop in range(2):
            nxt: set[Node] = set()
            for node in frontier:
                if node in seen or isinstance(node, ox.Literal):
                    continue
                seen.add(node)
                for p in self._bg_index.predicates_of(node):
                    for o in self._bg_index.objects(node, p):
                        out.append(ox.Triple(node, p, o))  # type: ignore[arg-type]
                        nxt.add(o)
            frontier = nxt
        return out

    @staticmethod
    def _results(g: rdflib.Graph, own: set[str | None]) -> list[Violation]:
        out: list[Violation] = []
        # only top-level results: nested sh:detail results belong to their parent
        for r in g.objects(None, RSH.result):
            focus = _key(g.value(r, RSH.focusNode))
            if focus not in own:
                continue
            msg = g.value(r, RSH.resultMessage)
            out.append(
                Violation(
                    focus_node=str(focus),
                    path=_path_text(g, g.value(r, RSH.resultPath)),
                    constraint=str(g.value(r, RSH.sourceConstraintComponent)),
                    severity=str(g.value(r, RSH.resultSeverity)),
                    message=str(msg) if msg is not None else "",
                    value=_key(g.value(r, RSH.value)),
                    shape=_key(g.value(r, RSH.sourceShape)),
                )
            )
        return out
