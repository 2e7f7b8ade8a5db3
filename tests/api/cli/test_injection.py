"""Hostile IRIs and texts through the CLI: exit 1 with a clear message, never a traceback, and a refused
deprecation leaves the store byte-for-byte as it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import example, given, settings

from registry.config import Settings
from registry.rdf import is_iri
from registry.wiring import open_registry
from tests.api.cli.conftest import module_home, run
from tests.hostile import LONE_SURROGATE, SCALE, bounded, iris, languages, texts


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with module_home(tmp_path_factory, "cli-injection", ["init"]) as path:
        yield path


def dump(home: Path) -> bytes:
    reg = open_registry(Settings(home=home))
    try:
        return reg.store.dump()
    finally:
        reg.close()


@pytest.mark.parametrize("command", [["show"], ["history"], ["diff"], ["deprecate", "--reason", "x"]])
def test_not_an_iri_is_exit_1_with_the_reason(home: Path, command: list[str]) -> None:
    extra = ["1", "2"] if command == ["diff"] else []
    code, out = run(*command, "--", "not an iri", *extra)
    assert code == 1 and "'not an iri' is not a valid IRI" in out


@settings(parent=bounded, max_examples=round(6 * SCALE))  # every call opens the registry: keep the run short
@given(value=iris, reason=texts)
@example(value=LONE_SURROGATE, reason="r")
def test_hostile_values_through_every_record_command(home: Path, value: str, reason: str) -> None:
    before = dump(home)
    for args in (["show", "--", value], ["history", "--", value], ["diff", "--", value, "1", "2"]):
        code, out = run(*args)
        assert code == 1, (args, out)
        if not is_iri(value):
            assert "is not a valid IRI" in out, out
    code, out = run("deprecate", "--reason", reason or "r", "--", value)
    assert code == 1 and dump(home) == before, out
    code, out = run("terms", "descendants", "--", value)
    assert code in (0, 1), out  # a known concept or code (0), or not found (1)


def organization_nt(slug: str, name: str) -> str:
    s = f"<https://w3id.org/fairgrid/organization/{slug}>"
    return (
        f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://xmlns.com/foaf/0.1/Organization> .\n"
        f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://xmlns.com/foaf/0.1/Agent> .\n"
        f"{s} <http://xmlns.com/foaf/0.1/name> {name} .\n"
        f"{s} <http://purl.org/dc/terms/type> "
        "<http://purl.org/adms/publishertype/Academia-ScientificOrganisation> .\n"
    )


@settings(parent=bounded, max_examples=round(6 * SCALE))
@given(text=texts, tag=languages)
def test_import_of_hostile_literals_and_language_tags(home: Path, tmp_path_factory: pytest.TempPathFactory,
                                                      text: str, tag: str) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("docs")
    slug = f"org-{uuid.uuid4()}"
    good = folder / "good.nt"
    good.write_text(organization_nt(slug, str(ox.Literal(text or "x", language="en"))), encoding="utf-8")
    code, out = run("import", str(good))
    assert code in (0, 1), out  # imported, or refused by SHACL
    if code == 0:
        reg = open_registry(Settings(home=home))
        try:
            stored = reg.store.get(f"https://w3id.org/fairgrid/organization/{slug}")
        finally:
            reg.close()
        assert stored is not None and ox.Literal(text or "x", language="en") in {
            t.object for t in stored.triples
        }
    before = dump(home)
    raw = folder / "raw.nt"
    raw.write_text(organization_nt(f"org-{uuid.uuid4()}", '"x"@' + tag), encoding="utf-8")
    code, out = run("import", str(raw))
    assert code in (0, 1, 2), out
    if code != 0:
        assert dump(home) == before, out
