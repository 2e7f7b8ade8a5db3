"""A compiled SHACL Core validator.

The shapes graph is compiled once into plain Python objects; a record is then validated by
walking only its own subjects as candidate focus nodes ("focus nodes restricted"), reading
through a layered index so the background vocabularies are never copied. It implements the
SHACL Core components fairgrid's shapes use and refuses to compile any other, so it can never
silently skip a rule; `tests/registry/validation` checks it reports exactly what pySHACL reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from registry.validation.graph import Graph, Node
from registry.validation.report import short
from registry.validation.xsd import XSD, well_formed
from registry.vocab import RDF, SH, SKOS

if TYPE_CHECKING:
    from registry.validation.evaluator import Validator

Path = tuple  # ("pred", p) | ("inv", path) | ("seq", [paths]) | ("alt", [paths])


def _n(local: str) -> ox.NamedNode:
    return ox.NamedNode(SH + local)


VIOLATION = SH + "Violation"
LANG_STRING = RDF + "langString"

# Predicates of a shape that carry no constraint of their own.
_ANNOTATIONS = {
    "path", "severity", "message", "name", "description", "order", "group", "deactivated", "property",
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "defaultValue", "shape",
    "ignoredProperties", "flags", "qualifiedMinCount", "qualifiedMaxCount", "declare", "prefixes",
}  # fmt: skip
_SUPPORTED = {
    "minCount", "maxCount", "nodeKind", "datatype", "class", "node", "or", "and", "not", "xone", "in",
    "hasValue", "pattern", "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "minLength",
    "maxLength", "languageIn", "uniqueLang", "closed",
}  # fmt: skip
_IN_SCHEME = ox.NamedNode(SKOS + "inScheme")


class UnsupportedShape(ValueError):
    pass


@dataclass
class Constraint:
    component: str  # e.g. MinCountConstraintComponent
    per_value: bool  # one result per failing value node, or one for the focus
    check: Callable[[Validator, Node, list[Node]], list[Node | None]]  # returns failing values
    text: str


@dataclass
class Shape:
    node: Node
    path: Path | None
    severity: str
    message: str | None
    deactivated: bool
    constraints: list[Constraint] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    target_classes: list[Node] = field(default_factory=list)
    target_nodes: list[Node] = field(default_factory=list)
    target_subjects_of: list[ox.NamedNode] = field(default_factory=list)
    target_objects_of: list[ox.NamedNode] = field(default_factory=list)


def path_text(path: Path | None) -> str | None:
    if path is None:
        return None
    kind = path[0]
    if kind == "pred":
        return str(path[1].value)
    if kind == "inv":
        return "^" + str(path_text(path[1]))
    if kind == "seq":
        return "/".join(str(path_text(p)) for p in path[1])
    return "|".join(str(path_text(p)) for p in path[1])


class ShapesCompiler:
    def __init__(self, shapes: Graph):
        self.g = shapes
        self.shapes: dict[Node, Shape] = {}

    def compile_all(self) -> list[Shape]:
        """Every shape that declares a target, compiled with everything it references."""
        candidates: list[Node] = []
        seen: set[Node] = set()
        for pred in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
            for s in self.g.own_subjects():
                if self.g.objects(s, _n(pred)) and s not in seen:
                    seen.add(s)
                    candidates.append(s)
        return [self.shape(s) for s in candidates]

    def _scheme_hint(self, node: Node) -> str:
        """Which list a vocabulary restriction (sh:property [sh:path skos:inScheme; sh:hasValue S]) asks
        for: "FrequencyRestriction" alone does not tell a publisher what to use."""
        for prop in self.g.objects(node, _n("property")):
            if self.g.value(prop, _n("path")) == _IN_SCHEME:
                scheme = self.g.value(prop, _n("hasValue"))
                if isinstance(scheme, ox.NamedNode):
                    return f" (not a concept of <{scheme.value}> in the bundled vocabularies)"
        return ""

    def shape(self, node: Node) -> Shape:
        existing = self.shapes.get(node)
        if existing is not None:
            return existing
        g = self.g
        path_node = g.value(node, _n("path"))
        sev = g.value(node, _n("severity"))
        msg = g.value(node, _n("message"))
        deact = g.value(node, _n("deactivated"))
        shape = Shape(
            node=node,
            path=self._path(path_node) if path_node is not None else None,
            severity=sev.value if isinstance(sev, ox.NamedNode) else VIOLATION,
            message=msg.value if isinstance(msg, ox.Literal) else None,
            deactivated=isinstance(deact, ox.Literal) and deact.value == "true",
        )
        self.shapes[node] = shape  # before recursing: shapes may refer to themselves
        shape.target_classes = list(g.objects(node, _n("targetClass")))
        shape.target_nodes = list(g.objects(node, _n("targetNode")))
        shape.target_subjects_of = [
            p for p in g.objects(node, _n("targetSubjectsOf")) if isinstance(p, ox.NamedNode)
        ]
        shape.target_objects_of = [
            p for p in g.objects(node, _n("targetObjectsOf")) if isinstance(p, ox.NamedNode)
        ]
        for pred in g.predicates_of(node):
            if not pred.value.startswith(SH):
                continue
            local = pred.value[len(SH) :]
            if local in _ANNOTATIONS:
                continue
            if local not in _SUPPORTED:
                raise UnsupportedShape(f"shape {node}: constraint sh:{local} is not supported")
            for obj in g.objects(node, pred):
                shape.constraints.append(self._constraint(node, local, obj))
        shape.properties = [self.shape(p) for p in g.objects(node, _n("property"))]
        return shape

    def _path(self, node: Node) -> Path:
        g = self.g
        if isinstance(node, ox.NamedNode):
            return ("pred", node)
        inv = g.value(node, _n("inversePath"))
        if inv is not None:
            return ("inv", self._path(inv))
        alt = g.value(node, _n("alternativePath"))
        if alt is not None:
            return ("alt", [self._path(p) for p in g.rdf_list(alt)])
        items = g.rdf_list(node)
        if items:
            return ("seq", [self._path(p) for p in items])
        raise UnsupportedShape(f"path {node} is not supported")

    def _constraint(self, shape: Node, local: str, obj: Node) -> Constraint:
        comp = local[0].upper() + local[1:] + "ConstraintComponent"
        g = self.g
        if local == "minCount":
            n = int(obj.value)
            return Constraint(
                comp,
                False,
                lambda v, f, vals: [None] if len(vals) < n else [],
                f"must have at least {_values(n)}",
            )
        if local == "maxCount":
            n = int(obj.value)
            return Constraint(
                comp,
                False,
                lambda v, f, vals: [None] if len(vals) > n else [],
                f"must have at most {_values(n)}" if n else "must have no value",
            )
        if local == "nodeKind":
            ok = _NODE_KINDS[obj.value[len(SH) :]]
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if not ok(x)],
                f"is not {_KIND_TEXT[_local(obj)]}",
            )
        if local == "datatype":
            dt = obj.value
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if not _has_datatype(x, dt)],
                # the value is shown with its own datatype: "43008.0"^^xsd:decimal on a nonNegativeInteger
                f"is not a well-formed literal of datatype {short(dt)}",
            )
        if local == "class":
            cls = obj
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [
                    x for x in vals if isinstance(x, ox.Literal) or not v.data.is_instance(x, cls)
                ],
                f"is not an instance of {short(cls.value)}",
            )
        if local == "node":
            target = self.shape(obj)
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if not v.conforms(target, x)],
                f"does not conform to {_local(obj)}{self._scheme_hint(obj)}",
            )
        if local in ("or", "and", "xone"):
            members = [self.shape(m) for m in g.rdf_list(obj)]
            need: Callable[[int], bool] = {
                "or": lambda k: k >= 1, "and": lambda k: k == len(members), "xone": lambda k: k == 1
            }[local]  # fmt: skip
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if not need(sum(v.conforms(m, x) for m in members))],
                {
                    "or": "matches none of",
                    "and": "does not meet all of",
                    "xone": "does not match exactly one of",
                }[local]
                + f" {len(members)} alternative shapes",
            )
        if local == "not":
            neg = self.shape(obj)
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if v.conforms(neg, x)],
                "conforms to a shape it must not",
            )
        if local == "in":
            allowed = set(g.rdf_list(obj))
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if x not in allowed],
                "is not one of the allowed values",
            )
        if local == "hasValue":
            want = obj
            return Constraint(
                comp, False, lambda v, f, vals: [] if want in vals else [None], f"must include {_shown(want)}"
            )
        if local == "pattern":
            flags = g.value(shape, _n("flags"))
            rx = re.compile(obj.value, re.IGNORECASE if flags is not None and "i" in flags.value else 0)
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if isinstance(x, ox.BlankNode) or not rx.search(x.value)],
                f"does not match the pattern {obj.value}",
            )
        if local in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
            bound = _number(obj)
            op: Callable[[float, float], bool] = {
                "minInclusive": lambda a, b: a >= b, "maxInclusive": lambda a, b: a <= b,
                "minExclusive": lambda a, b: a > b, "maxExclusive": lambda a, b: a < b,
            }[local]  # fmt: skip
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if (n := _number(x)) is None or not op(n, bound)],  # type: ignore[arg-type]
                _BOUND_TEXT[local] + f" {obj.value}",
            )
        if local in ("minLength", "maxLength"):
            n = int(obj.value)
            cmp: Callable[[int], bool] = (lambda k: k >= n) if local == "minLength" else (lambda k: k <= n)
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if isinstance(x, ox.BlankNode) or not cmp(len(x.value))],
                f"has {'fewer' if local == 'minLength' else 'more'} than {n} characters",
            )
        if local == "languageIn":
            langs = [x.value.lower() for x in g.rdf_list(obj)]
            return Constraint(
                comp,
                True,
                lambda v, f, vals: [x for x in vals if not _lang_in(x, langs)],
                "is not in an allowed language",
            )
        if local == "uniqueLang":
            if obj.value != "true":
                return Constraint(comp, False, lambda v, f, vals: [], "")
            return Constraint(
                comp,
                False,
                lambda v, f, vals: [None] * _dup_langs(vals),
                "must have one value per language at most",
            )
        if local == "closed":
            if obj.value != "true":
                return Constraint(comp, False, lambda v, f, vals: [], "")
            raise UnsupportedShape(f"shape {shape}: sh:closed true is not supported")
        raise UnsupportedShape(f"shape {shape}: sh:{local}")


def _values(n: int) -> str:
    return "one value" if n == 1 else f"{n} values"


def _shown(node: Node) -> str:
    text = short(node.value) if isinstance(node, ox.NamedNode) else str(node)
    return f"<{text}>" if isinstance(node, ox.NamedNode) and text == node.value else text


_KIND_TEXT = {
    "IRI": "an IRI", "BlankNode": "a blank node", "Literal": "a literal",
    "BlankNodeOrIRI": "an IRI or a blank node", "BlankNodeOrLiteral": "a blank node or a literal",
    "IRIOrLiteral": "an IRI or a literal",
}  # fmt: skip
_BOUND_TEXT = {
    "minInclusive": "is less than", "maxInclusive": "is greater than",
    "minExclusive": "is not greater than", "maxExclusive": "is not less than",
}  # fmt: skip


def _local(node: Node) -> str:
    v = node.value
    return v.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _number(x: Node) -> float | None:
    if not isinstance(x, ox.Literal):
        return None
    try:
        return float(x.value)
    except ValueError:
        return None


def _has_datatype(x: Node, dt: str) -> bool:
    if not isinstance(x, ox.Literal):
        return False
    if dt == LANG_STRING:
        return x.language is not None
    if x.language is not None or x.datatype.value != dt:
        return False
    return not dt.startswith(XSD) or well_formed(x.value, dt)


def _lang_in(x: Node, langs: list[str]) -> bool:
    if not isinstance(x, ox.Literal) or x.language is None:
        return False
    tag = x.language.lower()
    return any(tag == lang or tag.startswith(lang + "-") for lang in langs)


def _dup_langs(vals: list[Node]) -> int:
    counts: dict[str, int] = {}
    for x in vals:
        if isinstance(x, ox.Literal) and x.language:
            counts[x.language.lower()] = counts.get(x.language.lower(), 0) + 1
    return sum(1 for c in counts.values() if c > 1)


_NODE_KINDS: dict[str, Callable[[Node], bool]] = {
    "IRI": lambda x: isinstance(x, ox.NamedNode),
    "BlankNode": lambda x: isinstance(x, ox.BlankNode),
    "Literal": lambda x: isinstance(x, ox.Literal),
    "BlankNodeOrIRI": lambda x: isinstance(x, ox.NamedNode | ox.BlankNode),
    "BlankNodeOrLiteral": lambda x: isinstance(x, ox.BlankNode | ox.Literal),
    "IRIOrLiteral": lambda x: isinstance(x, ox.NamedNode | ox.Literal),
}
