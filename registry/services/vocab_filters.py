"""Filter values given as codes of the bundled controlled vocabularies: PUBLIC for the EU access-right
IRI, HEAL for the data theme, as disease filters take D46. Records hold the IRIs, so a code used to
match nothing at all: `accessRights: ["PUBLIC"]` found 0 datasets, silently."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pyoxigraph as ox

from registry.errors import InputError
from registry.rdf import is_iri
from registry.search.port import SearchFilter
from registry.sparql_text import shown
from registry.vocab import EU_AUTH, HEALTH_CATEGORY, SKOS

# filter field -> (what it is called, the schemes whose codes it takes)
SCHEMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "access_rights": ("access right", (EU_AUTH + "access-right",)),
    "themes": ("data theme", (EU_AUTH + "data-theme",)),
    "licenses": ("licence", (EU_AUTH + "licence",)),
    "health_categories": (
        "health category",
        (HEALTH_CATEGORY.rstrip("/"), "https://w3id.org/fairgrid/vocab/health-category"),
    ),
}


@cache
def codes() -> dict[str, dict[str, list[str]]]:
    """For each filter field: code (case-folded: the last segment of the concept's IRI) -> its IRIs. A
    code can have several: the health categories were published under three hosts, and records use each."""
    from registry.validation.bundle import load_bundle

    members: dict[str, list[str]] = {}
    for t in load_bundle().background:
        member, scheme = t.subject, t.object
        if (
            t.predicate.value == SKOS + "inScheme"
            and isinstance(member, ox.NamedNode)
            and isinstance(scheme, ox.NamedNode)
        ):
            members.setdefault(scheme.value, []).append(member.value)
    out: dict[str, dict[str, list[str]]] = {}
    for name, (_, schemes) in SCHEMES.items():
        table: dict[str, list[str]] = {}
        for iri in sorted({i for scheme_iri in schemes for i in members.get(scheme_iri, [])}):
            table.setdefault(_code(iri).casefold(), []).append(iri)
        out[name] = table
    return out


def resolve(f: SearchFilter) -> SearchFilter:
    """The filter with every code replaced by its IRIs; an IRI is kept as it is (records may use concepts
    the bundled tables, some of them subsets, do not hold); an unknown code is refused, by name."""
    for name, (label, _) in SCHEMES.items():
        if getattr(f, name):
            iris = sorted({i for v in getattr(f, name) for i in _iris(v, name, label)})
            f = replace(f, **{name: iris})  # type: ignore[arg-type]
    return f


def _code(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _iris(value: str, name: str, label: str) -> list[str]:
    if value.startswith(("http://", "https://", "urn:")) and is_iri(value):
        return [value]
    iris = codes()[name].get(value.strip().casefold())
    if iris is None:
        known = sorted({_code(i[0]) for i in codes()[name].values()})
        listed = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        raise InputError(
            f"unknown {label} {shown(value)}: no bundled vocabulary has it",
            hint=f"use a code ({listed}) or the concept's IRI",
        )
    return iris
