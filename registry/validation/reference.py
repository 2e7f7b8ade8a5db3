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
from registry.validation.graph import Graph
from registry.validation.report import ValidationReport
from registry.validation.validator import profile_targets
from registry.vocab import Kind


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
    return ox.Literal(str(term), language=term.language, datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None).__str__()


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
    def __init__(self, bundle: Bundle | None = None):
        bundle = bundle or load_bundle()
        self.shapes = to_rdflib(bundle.shapes)
        self.model_shapes = to_rdflib([*bundle.shapes, *bundle.model_shapes])
        self.background = to_rdflib(bundle.background)
        self.profiles = {
            local: s
            for s in set(self.shapes.subjects())
            if isinstance(s, rdflib.URIRef)
            and (local := str(s).rsplit("#", 1)[-1].rsplit("/", 1)[-1]) in ACCESS_PROFILES.values()
        }

    def validate(
        self, triples: Sequence[ox.Triple], context: Iterable[ox.Triple] = (), kind: Kind | None = None
    ) -> ValidationReport:
        ctx = list(context)
        shapes = self.model_shapes if kind == Kind.MODEL else self.shapes
        data = to_rdflib([*triples, *ctx])
        own = {_key(_term(t.subject)) for t in triples}
        probe = Graph([*triples, *ctx], base=Graph(()))
        added = []
        for name, node in profile_targets(probe, [t.subject for t in triples]):
            if name in self.profiles and isinstance(node, ox.NamedNode):
                triple = (self.profiles[name], RSH.targetNode, rdflib.URIRef(node.value))
                shapes.add(triple)
                added.append(triple)
        try:
            _conforms, results, _text = pyshacl.validate(
                data, shacl_graph=shapes, ont_graph=self.background, inference="none", advanced=False
            )
        finally:
            for triple in added:
                shapes.remove(triple)
        assert isinstance(results, rdflib.Graph)
        return ValidationReport(self._results(results, own))

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
