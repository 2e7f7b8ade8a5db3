"""The criteria language as typed values: what hub and sites agree a cohort is.

`Criteria.inclusion` is an AND of OR-groups (conjunctive normal form), `exclusion` an OR. Values here are
already checked and normalised (see parse.py): codes upper-cased, lab bounds in the common data model's
canonical unit, defaults explicit. `to_json()` gives the canonical document, which is also a valid input.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal


@dataclass(frozen=True)
class Within:
    """Between two dates (inclusive, either open), or within N months after the first qualifying diagnosis."""

    start: date | None = None
    end: date | None = None
    months_after_diagnosis: int | None = None

    def to_json(self) -> dict[str, Any]:
        if self.months_after_diagnosis is not None:
            return {"months_after_diagnosis": self.months_after_diagnosis}
        out: dict[str, Any] = {}
        if self.start is not None:
            out["from"] = self.start.isoformat()
        if self.end is not None:
            out["to"] = self.end.isoformat()
        return out


def _with_window(doc: dict[str, Any], within: Within | None) -> dict[str, Any]:
    if within is not None:
        doc["within"] = within.to_json()
    return doc


@dataclass(frozen=True)
class Diagnosis:
    system: Literal["icd10", "orpha"]
    code: str
    descendants: bool = True
    within: Within | None = None

    def to_json(self) -> dict[str, Any]:
        doc = {"type": "diagnosis", "system": self.system, "code": self.code, "descendants": self.descendants}
        return _with_window(doc, self.within)


@dataclass(frozen=True)
class Age:
    min: int | None = None
    max: int | None = None
    at: Literal["diagnosis", "today"] = "today"

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": "age", "at": self.at}
        if self.min is not None:
            doc["min"] = self.min
        if self.max is not None:
            doc["max"] = self.max
        return doc


@dataclass(frozen=True)
class Sex:
    value: Literal["female", "male", "other", "unknown"]

    def to_json(self) -> dict[str, Any]:
        return {"type": "sex", "value": self.value}


@dataclass(frozen=True)
class Lab:
    """Bounds are in `unit`, the lab's canonical unit in the common data model."""

    loinc: str
    unit: str
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    within: Within | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": "lab", "loinc": self.loinc, "unit": self.unit}
        if self.min is not None:
            doc["min"] = self.min
            if self.min_exclusive:
                doc["min_exclusive"] = True
        if self.max is not None:
            doc["max"] = self.max
            if self.max_exclusive:
                doc["max_exclusive"] = True
        return _with_window(doc, self.within)


@dataclass(frozen=True)
class Variant:
    gene: str
    change: str | None = None
    within: Within | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": "variant", "gene": self.gene}
        if self.change is not None:
            doc["change"] = self.change
        return _with_window(doc, self.within)


@dataclass(frozen=True)
class Medication:
    atc: str
    within: Within | None = None

    def to_json(self) -> dict[str, Any]:
        return _with_window({"type": "medication", "atc": self.atc}, self.within)


@dataclass(frozen=True)
class Procedure:
    code: str  # SNOMED CT code
    within: Within | None = None

    def to_json(self) -> dict[str, Any]:
        return _with_window({"type": "procedure", "code": self.code}, self.within)


@dataclass(frozen=True)
class Outcome:
    code: str  # an outcome of the common data model: aml-transformation, progression
    within: Within | None = None

    def to_json(self) -> dict[str, Any]:
        return _with_window({"type": "outcome", "code": self.code}, self.within)


Criterion = Diagnosis | Age | Sex | Lab | Variant | Medication | Procedure | Outcome
EVENT_TYPES = (Diagnosis, Lab, Variant, Medication, Procedure, Outcome)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Criteria:
    inclusion: tuple[tuple[Criterion, ...], ...] = ()
    exclusion: tuple[Criterion, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "inclusion": [[c.to_json() for c in group] for group in self.inclusion],
            "exclusion": [c.to_json() for c in self.exclusion],
        }

    def canonical(self) -> str:
        """The normalised query as compact, key-sorted JSON: the same question always reads the same."""
        return _canonical(self.to_json())

    @property
    def key(self) -> str:
        """A stable id of the normalised query, for caches, quotas, noise and audit."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def criteria(self) -> list[Criterion]:
        return [c for group in self.inclusion for c in group] + list(self.exclusion)

    def anchor_diagnoses(self) -> list[Diagnosis]:
        """The inclusion diagnoses that define 'diagnosis' for age-at-diagnosis and months-after windows."""
        return [c for group in self.inclusion for c in group if isinstance(c, Diagnosis)]


def sort_key(c: Criterion) -> str:
    return _canonical(c.to_json())
