"""Checks on a record besides SHACL: size (before it), literal well-formedness (reported with it)."""

from __future__ import annotations

import pyoxigraph as ox

from registry.errors import DatatypeError, RecordTooLarge, Violation
from registry.validation.report import VIOLATION, ValidationReport, finding_on
from registry.validation.xsd import XSD, well_formed
from registry.vocab import FG

WELL_FORMED = FG + "WellFormedLiteral"  # the rule a literal problem breaks (not a SHACL component)


def check_size(triples: list[ox.Triple], limit: int, where: str) -> None:
    size = 0
    for t in triples:
        size += len(str(t)) + 3
        if size > limit:
            raise RecordTooLarge(f"{where}: record is larger than the limit of {limit} bytes")


def literal_problems(triples: list[ox.Triple]) -> list[Violation]:
    """Typed literals whose lexical form their datatype does not allow, one result each, in the shape
    of a SHACL result (so a curator sees them in the same list as the SHACL results of the same round)."""
    out: list[Violation] = []
    for t in triples:
        o = t.object
        typed = isinstance(o, ox.Literal) and o.language is None and o.datatype.value.startswith(XSD)
        if typed and isinstance(o, ox.Literal) and not well_formed(o.value, o.datatype.value):
            dt = o.datatype.value[len(XSD) :]
            shown = o.value if len(o.value) <= 80 else f"{o.value[:60]}... ({len(o.value):,} characters)"
            out.append(finding_on(t, WELL_FORMED, VIOLATION, f"{shown!r} is not a valid xsd:{dt}", o.value))
    return out


def literals_failed(where: str, bad: list[Violation], report: ValidationReport) -> DatatypeError:
    """One error for the whole round: the literal problems and every SHACL violation together."""
    n = len(report.violations)
    shacl = f" and {n} SHACL violation(s)" if n else ""
    listed = "; ".join(f"{v.focus_node} <{v.path}>: {v.message}" for v in bad[:10])
    return DatatypeError(
        f"{where}: {len(bad)} literal(s) do not match their datatype{shacl}; nothing stored: {listed}",
        [*bad, *report.violations],
        report.warnings,
        literals=[f"{v.focus_node} <{v.path}>: {v.message}" for v in bad],
    )
