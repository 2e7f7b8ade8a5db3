"""Evaluating compiled shapes on one data graph (a record and its context)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from registry.errors import Violation
from registry.rdf import term_key
from registry.validation.compiled import Path, Shape, UnsupportedShape, path_text
from registry.validation.graph import RDF_TYPE, Graph, Node
from registry.vocab import SH


class Validator:
    """Validates one data graph (a record plus its context) against compiled shapes."""

    def __init__(self, shapes: list[Shape], data: Graph):
        self.shapes = shapes
        self.data = data
        self._conform_cache: dict[tuple[int, Node], bool] = {}

    def values(self, focus: Node, path: Path) -> list[Node]:
        kind = path[0]
        if kind == "pred":
            return self.data.objects(focus, path[1])
        if kind == "inv":
            inner = path[1]
            if inner[0] != "pred":
                raise UnsupportedShape("inverse of a complex path")
            return self.data.subjects(inner[1], focus)
        if kind == "seq":
            current = [focus]
            for step in path[1]:
                nxt: list[Node] = []
                for node in current:
                    for v in self.values(node, step):
                        if v not in nxt:
                            nxt.append(v)
                current = nxt
            return current
        out: list[Node] = []
        for alt in path[1]:
            for v in self.values(focus, alt):
                if v not in out:
                    out.append(v)
        return out

    def conforms(self, shape: Shape, node: Node) -> bool:
        key = (id(shape), node)
        cached = self._conform_cache.get(key)
        if cached is None:
            self._conform_cache[key] = True  # recursion guard: assume conformance on cycles
            cached = not any(True for _ in self.evaluate(shape, node))
            self._conform_cache[key] = cached
        return cached

    def evaluate(self, shape: Shape, focus: Node) -> Iterable[Violation]:
        if shape.deactivated:
            return
        vals = self.values(focus, shape.path) if shape.path is not None else [focus]
        path = path_text(shape.path)
        for c in shape.constraints:
            for bad in c.check(self, focus, vals):
                value = None if not c.per_value else bad
                if shape.path is None and value is None:
                    value = focus
                yield Violation(
                    focus_node=term_key(focus),
                    path=path,
                    constraint=SH + c.component,
                    severity=shape.severity,
                    message=_fill(shape.message, focus, value)
                    if shape.message
                    else _message(path, c.text, value if c.per_value else None),
                    value=term_key(value) if value is not None else None,
                    shape=term_key(shape.node),
                )
        for prop in shape.properties:
            yield from self.evaluate(prop, focus)

    def targets(
        self, shape: Shape, candidates: Iterable[Node], by_class: dict[Node, set[Node]]
    ) -> list[Node]:
        """The candidates the shape targets, in candidate order; by_class: instances(candidates)."""
        classed: set[Node] = set()
        for c in shape.target_classes:
            classed |= by_class.get(c, set())
        if not (shape.target_nodes or shape.target_subjects_of or shape.target_objects_of):
            return [node for node in candidates if node in classed] if classed else []
        out: list[Node] = []
        for node in candidates:
            if (
                node in classed
                or node in shape.target_nodes
                or any(self.data.objects(node, p) for p in shape.target_subjects_of)
                or any(self.data.subjects(p, node) for p in shape.target_objects_of)
            ):
                out.append(node)
        return out

    def instances(self, candidates: Iterable[Node]) -> dict[Node, set[Node]]:
        """Candidates per class they are an instance of (their types and superclasses)."""
        out: dict[Node, set[Node]] = {}
        for node in candidates:
            for t in self.data.objects(node, RDF_TYPE):
                for c in self.data.superclasses(t):
                    out.setdefault(c, set()).add(node)
        return out

    def run(self, focus_candidates: list[Node], extra: Iterable[tuple[Shape, Node]] = ()) -> list[Violation]:
        results: list[Violation] = []
        # one pass over the candidates' types, not one per shape: a terminology record has ~20,000
        # concepts and the shapes ~150 target classes
        by_class = self.instances(focus_candidates)
        for shape in self.shapes:
            for focus in self.targets(shape, focus_candidates, by_class):
                results.extend(self.evaluate(shape, focus))
        for shape, focus in extra:
            results.extend(self.evaluate(shape, focus))
        return results


def _fill(message: str, focus: Node, value: Node | None) -> str:
    """SHACL's message placeholders ({?value}, {$this}), so a message can name what it refuses."""
    if value is None:  # a rule on the focus node (a count): there is no value to name
        message = message.replace(" {?value}", "").replace(" {$value}", "")
    shown = _shown(value) if value is not None else ""
    return message.replace("{?value}", shown).replace("{$value}", shown).replace("{$this}", _shown(focus))


def _shown(node: Node) -> str:
    from registry.validation.report import short

    text = short(term_key(node))
    return f"<{text}>" if isinstance(node, ox.NamedNode) and text == node.value else text


def _message(path: str | None, text: str, value: Node | None) -> str:
    """A sentence naming the value when the rule is about one: 'dct:spatial <x> is not an instance of
    dct:Location', 'dct:title must have at least one value'."""
    from registry.validation.report import short

    where = short(path) if path else ""
    if value is not None:
        return f"{where} {_shown(value)} {text}".lstrip()
    return f"{where or 'the node'} {text}"
