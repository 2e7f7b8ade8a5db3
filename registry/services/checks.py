"""Checks on a record that come before SHACL: size and literal well-formedness."""

from __future__ import annotations

import pyoxigraph as ox

from registry.errors import DatatypeError, RecordTooLarge
from registry.validation.xsd import XSD, well_formed


def check_size(triples: list[ox.Triple], limit: int, where: str) -> None:
    size = 0
    for t in triples:
        size += len(str(t)) + 3
        if size > limit:
            raise RecordTooLarge(f"{where}: record is larger than the limit of {limit} bytes")


def check_literals(triples: list[ox.Triple], where: str) -> None:
    bad: list[str] = []
    for t in triples:
        o = t.object
        typed = isinstance(o, ox.Literal) and o.language is None and o.datatype.value.startswith(XSD)
        if typed and isinstance(o, ox.Literal) and not well_formed(o.value, o.datatype.value):
            bad.append(
                f"{t.subject} {t.predicate}: {o.value!r} is not a valid {o.datatype.value[len(XSD) :]}"
            )
    if bad:
        raise DatatypeError(
            f"{where}: {len(bad)} literal(s) do not match their datatype: " + "; ".join(bad[:10]),
            details={"literals": bad},
        )
