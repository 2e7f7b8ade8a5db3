"""Code hierarchies for queries ("D46 and everything under it") and the code-exists check of the loader.

Reads the SKOS terminologies under ontologies/terminologies/complete/ (else the subsets one folder up;
icd10.ttl, orpha.ttl) when they are there:
concepts are IRIs under vocab.ICD10 / vocab.ORPHA, hierarchy is skos:broader (or its inverse
skos:narrower). Without them, the built-in fallback applies: an ICD-10 code covers every code that extends it
(D46 covers D46.x, D46.2 covers D46.20) and any well-formed code is accepted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from registry import vocab
from registry.config import Settings

_ICD10_FORM = re.compile(r"[A-Z]\d\d(\.\d{1,2})?\Z")
_ORPHA_FORM = re.compile(r"\d{1,7}\Z")
_CACHE: dict[tuple[str, float], Terminology] = {}


def default_dir() -> Path:
    configured = Settings.from_env().site.terminologies
    if configured is not None:
        return configured
    # the complete ICD-10 and ORPHA files when bundled (a site checks any code), else the subsets
    bundled = Path(__file__).resolve().parents[2] / "ontologies" / "terminologies"
    return bundled / "complete" if (bundled / "complete" / "icd10.ttl").is_file() else bundled


def _split(iri: str) -> tuple[str, str] | None:
    if iri.startswith(vocab.ICD10):
        return "icd10", iri[len(vocab.ICD10) :]
    if iri.startswith(vocab.ORPHA):
        return "orpha", iri[len(vocab.ORPHA) :]
    return None


class Terminology:
    """Parent links per (system, code); empty means prefix fallback only."""

    def __init__(self, broader: dict[tuple[str, str], set[tuple[str, str]]] | None = None) -> None:
        self.children: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.codes: set[tuple[str, str]] = set()
        for child, parents in (broader or {}).items():
            self.codes.add(child)
            for parent in parents:
                self.codes.add(parent)
                self.children[parent].add(child)

    @property
    def systems(self) -> set[str]:
        return {system for system, _ in self.codes}

    @classmethod
    def fallback(cls) -> Terminology:
        return cls()

    @classmethod
    def load(cls, directory: Path | None = None) -> Terminology:
        """Parse icd10.ttl and orpha.ttl in `directory` (cached per file set); fallback if absent."""
        folder = directory or default_dir()
        files = [folder / name for name in ("icd10.ttl", "orpha.ttl") if (folder / name).is_file()]
        if not files:
            return cls.fallback()
        stamp = (str(folder), max(path.stat().st_mtime for path in files))
        if stamp not in _CACHE:
            _CACHE[stamp] = cls(_parse(files))
        return _CACHE[stamp]

    def known(self, system: str, code: str) -> bool:
        """Does the code exist? With a terminology for the system, it must be in it; else well-formed."""
        if system in self.systems:
            return (system, code) in self.codes
        if system == "icd10":
            return bool(_ICD10_FORM.match(code))
        if system == "orpha":
            return bool(_ORPHA_FORM.match(code))
        return True

    def descendants(self, system: str, code: str) -> set[str]:
        """The code and all codes below it in the terminology (not including prefix matches)."""
        out = {code}
        todo = [(system, code)]
        while todo:
            for child in self.children.get(todo.pop(), ()):
                if child[1] not in out:
                    out.add(child[1])
                    todo.append(child)
        return out


def _parse(files: list[Path]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    # pyoxigraph, not rdflib: the complete ICD-10 and ORPHA files are ~90,000 triples (rdflib: seconds)
    import pyoxigraph as ox

    broader_p, narrower_p = vocab.SKOS + "broader", vocab.SKOS + "narrower"
    concept = vocab.SKOS + "Concept"
    broader: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    seen: list[tuple[str, str]] = []
    for path in files:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            subject, predicate, obj = quad.subject.value, quad.predicate.value, quad.object.value
            if predicate == broader_p:
                child, parent = _split(subject), _split(obj)
            elif predicate == narrower_p:
                child, parent = _split(obj), _split(subject)
            else:
                if predicate == vocab.RDF_TYPE and obj == concept and (key := _split(subject)):
                    seen.append(key)
                continue
            if child and parent:
                broader[child].add(parent)
    for key in seen:
        broader.setdefault(key, set())
    return dict(broader)
