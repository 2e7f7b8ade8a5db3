"""Filters take the codes of the bundled vocabularies (PUBLIC, HEAL, CC_BY_4_0) as well as their IRIs;
before, a code matched nothing, silently."""

from __future__ import annotations

import pytest

from registry.errors import InputError
from registry.identity import ANONYMOUS, local_operator
from registry.search.port import SearchFilter, SearchQuery
from registry.validation.bundle import terminology_files
from registry.vocab import ACCESS_RIGHT, DATA_THEME, EU_AUTH, HEALTH_CATEGORY
from registry.wiring import Registry
from tests.conftest import EXAMPLE


@pytest.fixture
def loaded(reg: Registry) -> Registry:
    reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
    reg.search.sync()
    return reg


def hits(reg: Registry, **filters: list[str]) -> set[str]:
    res = reg.search.search(ANONYMOUS, SearchQuery(filters=SearchFilter(**filters), first=100))  # type: ignore[arg-type]
    return {h.iri for h in res.hits}


@pytest.mark.parametrize(
    ("name", "code", "iri"),
    [
        ("access_rights", "PUBLIC", ACCESS_RIGHT + "PUBLIC"),
        ("access_rights", "restricted", ACCESS_RIGHT + "RESTRICTED"),  # codes are not case-sensitive
        ("themes", "HEAL", DATA_THEME + "HEAL"),
        ("licenses", "CC_BY_4_0", EU_AUTH + "licence/CC_BY_4_0"),
        ("health_categories", "MRMR", HEALTH_CATEGORY + "MRMR"),
    ],
)
def test_a_code_finds_what_its_iri_finds(loaded: Registry, name: str, code: str, iri: str) -> None:
    by_iri = hits(loaded, **{name: [iri]})
    assert by_iri, f"the example catalogue has records with {iri}"
    assert hits(loaded, **{name: [code]}) == by_iri


@pytest.mark.parametrize(
    ("name", "value", "label"),
    [
        ("access_rights", "PUBLC", "access right"),
        ("themes", "HEALTH", "data theme"),
        ("licenses", "CC-BY", "licence"),
        ("health_categories", "XYZ", "health category"),
    ],
)
def test_an_unknown_code_is_refused_by_name(loaded: Registry, name: str, value: str, label: str) -> None:
    with pytest.raises(InputError, match=f"unknown {label} '{value}'") as err:
        hits(loaded, **{name: [value]})
    assert "or the concept's IRI" in err.value.hint


def test_an_iri_outside_the_bundled_tables_is_matched_as_it_is(loaded: Registry) -> None:
    # the bundled licence table is a subset: records may name other licences by IRI
    assert hits(loaded, licenses=[EU_AUTH + "licence/EUPL_1_2"]) == set()
