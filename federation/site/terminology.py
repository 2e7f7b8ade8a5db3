"""Code hierarchies for queries ("D46 and everything under it") and the code-exists check of the loader.

Reads the SKOS terminologies under ontologies/terminologies/ (icd10.ttl, orpha.ttl) when they are there:
concepts are IRIs under vocab.ICD10 / vocab.ORPHA, hierarchy is skos:broader (or its inverse
skos:narrower). Without them, the built-in fallback applies: an ICD-10 code covers every code that extends it
(D46 covers D46.x, D46.2 covers D46.20) and any well-formed code is accepted.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

from registry import vocab

_ICD10_FORM = re.compile(r"[A-Z]\d\d(\.\d{1,2})?\Z")
_ORPHA_FORM = re.compile(r"\d{1,7}\Z")
_CACHE: dict[tuple[str, float], Terminology] = {}


def default_dir() -> Path:
    env = os.environ.get("FAIRGRID_TERMINOLOGIES")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "ontologies" / "terminologies"


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
    import rdflib  # only here: parsing takes seconds and most callers never need it

    graph = rdflib.Graph()
    for path in files:
        graph.parse(path, format="turtle")
    skos = rdflib.Namespace(vocab.SKOS)
    broader: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    pairs = [(subject, obj) for subject, obj in graph.subject_objects(skos.broader)]
    pairs += [(obj, subject) for subject, obj in graph.subject_objects(skos.narrower)]
    for subject, obj in pairs:
        child, parent = _split(str(subject)), _split(str(obj))
        if child and parent:
            broader[child].add(parent)
    for subject in graph.subjects(rdflib.RDF.type, skos.Concept):
        key = _split(str(subject))
        if key and key not in broader:
            broader[key] = set()
    return dict(broader)
