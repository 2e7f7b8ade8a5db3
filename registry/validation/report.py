"""Validation reports: every result with focus node, path, constraint, severity and message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from registry.errors import Violation
from registry.vocab import SH

VIOLATION = SH + "Violation"
WARNING = SH + "Warning"
INFO = SH + "Info"


def finding_on(t: ox.Triple, constraint: str, severity: str, message: str, value: str) -> Violation:
    """A result about one triple of a record, in the shape of a SHACL result: its subject is the focus
    node and its predicate the path (for checks fairgrid makes itself, beside SHACL)."""
    focus = t.subject.value if not isinstance(t.subject, ox.Triple) else str(t.subject)
    return Violation(
        focus_node=focus, path=t.predicate.value, constraint=constraint, severity=severity,
        message=message, value=value,
    )  # fmt: skip


@dataclass
class ValidationReport:
    results: list[Violation] = field(default_factory=list)

    @property
    def violations(self) -> list[Violation]:
        return _once(r for r in self.results if r.severity == VIOLATION)

    @property
    def warnings(self) -> list[Violation]:
        return _once(r for r in self.results if r.severity == WARNING)

    @property
    def infos(self) -> list[Violation]:
        return _once(r for r in self.results if r.severity not in (VIOLATION, WARNING))

    @property
    def conforms(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "violations": [v.to_dict() for v in self.violations],
            "warnings": [v.to_dict() for v in self.warnings],
            "infos": [v.to_dict() for v in self.infos],
        }


def _once(results: Iterable[Violation]) -> list[Violation]:
    """Each problem once: DCAT-AP states some rules in more than one shape (a dataset without a
    description breaks two), and fairgrid's health profile repeats some of HealthDCAT-AP's; SHACL
    reports each as a result of its own. The same component failing on the same focus, path and
    value is one problem, shown with the first shape's message."""
    seen: set[tuple[str | None, ...]] = set()
    out: list[Violation] = []
    for r in results:
        key = (r.focus_node, r.path, r.constraint, r.severity, r.value)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def findings_of(findings: list[dict[str, Any]]) -> list[Violation]:
    """The warnings and infos kept with a revision (`RevisionInfo.findings`), as results again."""
    return [
        Violation(
            focus_node=str(f.get("focusNode", "")),
            path=f.get("path"),
            constraint=str(f.get("constraint", "")),
            severity=str(f.get("severity", WARNING)),
            message=str(f.get("message", "")),
            value=f.get("value"),
            shape=f.get("shape"),
        )
        for f in findings
    ]


def short(iri: str | None) -> str:
    """Compact an IRI for people: sh:MinCountConstraintComponent → MinCount."""
    if iri is None:
        return "-"
    if iri.startswith(SH) and iri.endswith("ConstraintComponent"):
        return iri[len(SH) : -len("ConstraintComponent")]
    if iri.startswith(SH):
        return iri[len(SH) :]
    from registry.rdf import COMMON_PREFIXES

    for prefix, ns in COMMON_PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri
