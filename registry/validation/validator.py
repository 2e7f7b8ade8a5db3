"""The validator port and fairgrid's fast implementation of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import pyoxigraph as ox

from registry.validation.bundle import ACCESS_PROFILES, Bundle, load_bundle
from registry.validation.compiled import Shape, ShapesCompiler
from registry.validation.entailed import entailed_types
from registry.validation.evaluator import Validator
from registry.validation.graph import Graph, Node
from registry.validation.health import health_targets
from registry.validation.nal import BundledCodes
from registry.validation.report import ValidationReport
from registry.vocab import DCAT, DCT, Kind

ACCESS_RIGHTS = ox.NamedNode(DCT + "accessRights")
DATASET = ox.NamedNode(DCAT + "Dataset")


class RecordValidator(Protocol):
    def validate(
        self, triples: Sequence[ox.Triple], context: Iterable[ox.Triple] = (), kind: Kind | None = None
    ) -> ValidationReport:
        """Validate a record's own triples; `context` (referenced records) is read but not reported on.

        The shapes follow the kind (MLDCAT-AP for models) and each dataset's dct:accessRights."""
        ...


def profile_targets(data: Graph, subjects: Iterable[Node]) -> list[tuple[str, Node]]:
    """(profile local name, dataset) pairs for every dataset with a known access right."""
    out: list[tuple[str, Node]] = []
    for s in subjects:
        if not data.is_instance(s, DATASET):
            continue
        for right in data.objects(s, ACCESS_RIGHTS):
            name = ACCESS_PROFILES.get(right.value) if isinstance(right, ox.NamedNode) else None
            if name is not None:
                out.append((name, s))
    return out


class CompiledValidator:
    """Shapes compiled once; each record validated on a layered index over the background."""

    def __init__(self, bundle: Bundle | None = None):
        bundle = bundle or load_bundle()
        shapes_graph = Graph(bundle.shapes)
        compiler = ShapesCompiler(shapes_graph)
        self.shapes: list[Shape] = compiler.compile_all()
        self.model_shapes = ShapesCompiler(Graph([*bundle.shapes, *bundle.model_shapes])).compile_all()
        self.profiles: dict[str, Shape] = {}
        for node in shapes_graph.own_subjects():
            if isinstance(node, ox.NamedNode):
                local = node.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
                if local in ACCESS_PROFILES.values():
                    self.profiles[local] = compiler.shape(node)
        self.health = bundle.health
        self.health_shapes = {
            iri: compiler.shape(ox.NamedNode(iri))
            for iri in {s for _, s in bundle.health.profiles} | {s for s, _ in bundle.health.targets}
        }
        self.background = Graph(bundle.background)
        # warm the background's inverse index once, not per record
        self.background.subjects(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"))
        self.bundled_codes = BundledCodes(self.background)

    def validate(
        self, triples: Sequence[ox.Triple], context: Iterable[ox.Triple] = (), kind: Kind | None = None
    ) -> ValidationReport:
        data = Graph([*triples, *context, *entailed_types(triples)], base=self.background)
        own: list[Node] = []
        seen: set[Node] = set()
        for t in triples:
            if t.subject not in seen:
                seen.add(t.subject)  # type: ignore[arg-type]
                own.append(t.subject)  # type: ignore[arg-type]
        extra = [
            (self.profiles[name], node) for name, node in profile_targets(data, own) if name in self.profiles
        ]
        extra += [(self.health_shapes[iri], node) for iri, node in health_targets(self.health, data, own)]
        shapes = self.model_shapes if kind == Kind.MODEL else self.shapes
        results = Validator(shapes, data).run(own, extra)
        return ValidationReport([*results, *self.bundled_codes.warnings(triples)])
