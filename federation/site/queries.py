"""Patient-set queries over a site store, for feasibility counts and cohort selection.

Each criterion compiles to one `SELECT patient_id ...` over the store's tables; `cohort()` intersects them.
Codes are expanded to their descendants (terminology, plus ICD-10 prefix fallback), lab bounds are converted
to the lab's canonical unit, and time windows bound the event dates (overlap for medication periods).

    from federation.site.queries import cohort, count, HasCondition, LabRange, AgeBetween
    ids = cohort(store, HasCondition(["D46"]), LabRange("718-7", high=10, unit="g/dL"), AgeBetween(60, 80))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from federation.cdm import codes as cdm
from federation.cdm.units import factor, normalise_unit
from federation.site.flatten import SEXES
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from registry.errors import InputError

Sql = tuple[str, list[Any]]
_ICD10 = re.compile(r"[A-Z]\d\d(\.\d{0,2})?\Z")


@dataclass(frozen=True)
class Window:
    """Inclusive date bounds; either may be open."""

    start: date | None = None
    end: date | None = None

    def point(self, col: str) -> Sql:
        parts, params = [], []
        if self.start:
            parts.append(f"{col} >= ?")
            params.append(self.start)
        if self.end:
            parts.append(f"{col} <= ?")
            params.append(self.end)
        return (" AND ".join(parts) or "TRUE"), params

    def overlap(self, start_col: str, end_col: str) -> Sql:
        parts, params = [], []
        if self.end:
            parts.append(f"{start_col} <= ?")
            params.append(self.end)
        if self.start:
            parts.append(f"({end_col} IS NULL OR {end_col} >= ?)")
            params.append(self.start)
        return (" AND ".join(parts) or "TRUE"), params


class Criterion(Protocol):
    def sql(self, terms: Terminology) -> Sql: ...


def _codes_sql(system: str, codes: Sequence[str], terms: Terminology, descendants: bool) -> Sql:
    """`system = ? AND code matches one of the codes (or below them)`."""
    exact: set[str] = set()
    like: list[str] = []
    for code in codes:
        exact |= terms.descendants(system, code) if descendants else {code}
    if descendants and system == "icd10":  # built-in fallback: D46 covers D46.x, also below terminology hits
        like = [code + (".%" if len(code) == 3 else "%") for code in sorted(exact) if _ICD10.match(code)]
    ors = ["code IN (" + ",".join("?" * len(exact)) + ")"] + ["code LIKE ?"] * len(like)
    return f"system = ? AND ({' OR '.join(ors)})", [system, *sorted(exact), *like]


def _facts(kind: str, where: str, params: list[Any]) -> Sql:
    return f"SELECT DISTINCT patient_id FROM fact WHERE kind = ? AND {where}", [kind, *params]


@dataclass(frozen=True)
class HasCondition:
    """A diagnosis (or, with kind="outcome", an outcome event) coded with one of `codes` or below."""

    codes: Sequence[str]
    system: str = "icd10"
    descendants: bool = True
    window: Window = field(default_factory=Window)
    kind: str = "diagnosis"

    def sql(self, terms: Terminology) -> Sql:
        unknown = [code for code in self.codes if not terms.known(self.system, code)]
        if unknown:  # no stored fact can carry an unknown code (the loader refuses them): say so, not 0
            raise InputError(
                f"unknown {self.system} code(s): {', '.join(map(repr, unknown))}",
                hint="use codes of the terminology, e.g. D46 (its descendants are included)",
            )
        code_sql, code_params = _codes_sql(self.system, self.codes, terms, self.descendants)
        when, when_params = self.window.point("start_date")
        return _facts(self.kind, f"{code_sql} AND {when}", [*code_params, *when_params])


@dataclass(frozen=True)
class HasOutcome:
    """An outcome event: aml-transformation, progression (fairgrid outcome codes)."""

    outcome: str
    window: Window = field(default_factory=Window)

    def sql(self, terms: Terminology) -> Sql:
        when, when_params = self.window.point("start_date")
        return _facts(
            "outcome", f"system = 'fg-outcome' AND code = ? AND {when}", [self.outcome, *when_params]
        )


@dataclass(frozen=True)
class Sex:
    sex: str  # male | female | other | unknown (FHIR gender codes; any case)

    def sql(self, terms: Terminology) -> Sql:
        sex = self.sex.strip().lower()
        if sex not in SEXES:
            raise InputError(f"sex {self.sex!r} is not one of {', '.join(SEXES)}", hint="e.g. --sex female")
        return "SELECT patient_id FROM patient WHERE sex = ?", [sex]


@dataclass(frozen=True)
class AgeBetween:
    """Age in whole years at `at` (default: today), from the birth month; inclusive bounds."""

    min_age: float | None = None
    max_age: float | None = None
    at: date | None = None

    def sql(self, terms: Terminology) -> Sql:
        bounds = [bound for bound in (self.min_age, self.max_age) if bound is not None]
        if any(bound < 0 for bound in bounds) or (len(bounds) == 2 and bounds[0] > bounds[1]):
            low = "0" if self.min_age is None else f"{self.min_age:g}"
            high = "any age" if self.max_age is None else f"{self.max_age:g}"
            raise InputError(
                f"no age can be between {low} and {high}: ages are whole years from 0, minimum <= maximum",
                hint="e.g. --min-age 18 --max-age 65",
            )
        at = self.at or date.today()
        age = attained_age()
        parts, params = [], []
        if self.min_age is not None:
            parts.append(f"floor({age}) >= ?")
            params += [at, self.min_age]
        if self.max_age is not None:
            parts.append(f"floor({age}) <= ?")
            params += [at, self.max_age]
        return f"SELECT patient_id FROM patient WHERE {' AND '.join(parts) or 'TRUE'}", params


def attained_age(alias: str = "") -> str:
    """SQL for a patient's age in years at the date bound to its `?`, or at death for one who died before
    it (a patient who died at 40 is not "70 today"); DuckDB's least passes over a NULL death date."""
    return f"date_diff('month', {alias}birth_date, least(?::DATE, {alias}deceased_date)) / 12"


@dataclass(frozen=True)
class Deceased:
    window: Window = field(default_factory=Window)

    def sql(self, terms: Terminology) -> Sql:
        when, when_params = self.window.point("deceased_date")
        if when_params:  # a death of unknown date is in no window
            return f"SELECT patient_id FROM patient WHERE deceased_date IS NOT NULL AND {when}", when_params
        return "SELECT patient_id FROM patient WHERE deceased", []


@dataclass(frozen=True)
class LabRange:
    """A lab (LOINC code or CDM key, e.g. "hemoglobin") with a value in [low, high] given in `unit`."""

    lab: str
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    window: Window = field(default_factory=Window)

    def sql(self, terms: Terminology) -> Sql:
        lab = cdm.LAB_BY_LOINC.get(self.lab) or cdm.LAB_BY_KEY.get(self.lab)
        if lab is None:
            raise InputError(f"unknown lab {self.lab!r}", hint="use a LOINC code or key from docs/cdm.md")
        conversion = factor(lab, normalise_unit(self.unit)) if self.unit else 1.0
        low = None if self.low is None else self.low * conversion
        high = None if self.high is None else self.high * conversion
        bounds, params = lab_bounds("", low, high)
        when, when_params = self.window.point("start_date")
        where = f"system = 'loinc' AND code = ? AND {bounds} AND {when}"
        return _facts("lab", where, [lab.loinc, *params, *when_params])


def lab_bounds(
    alias: str, low: float | None, high: float | None, low_open: bool = False, high_open: bool = False
) -> Sql:
    """SQL for "the lab value is certainly within the bounds". A result reported with a FHIR comparator
    (value_code "<", "<=", ">", ">=": "<0.1 g/dL", below what the method detects) is a bound itself: "<0.5"
    meets "at most 0.5" but never "at least 0.1", and ">0.5" the reverse. The 1e-9 keeps a value converted
    between units (100 g/L is 10 g/dL) equal to the bound it was given in."""
    value, cmp = f"{alias}value_num", f"coalesce({alias}value_code, '')"
    parts, params = ["TRUE"], []
    if low is not None:
        met = f"({value} > ? OR ({cmp} = '>' AND {value} >= ?))" if low_open else f"{value} >= ?"
        parts.append(f"{cmp} NOT IN ('<', '<=') AND {met}")
        params += [low, low - 1e-9] if low_open else [low - 1e-9]
    if high is not None:
        met = f"({value} < ? OR ({cmp} = '<' AND {value} <= ?))" if high_open else f"{value} <= ?"
        parts.append(f"{cmp} NOT IN ('>', '>=') AND {met}")
        params += [high, high + 1e-9] if high_open else [high + 1e-9]
    return " AND ".join(parts), params


@dataclass(frozen=True)
class HasVariant:
    """present=True: a somatic variant in `gene`; False: gene tested by the panel and no variant found."""

    gene: str
    present: bool = True

    def sql(self, terms: Terminology) -> Sql:
        if self.gene not in cdm.GENES:
            raise InputError(
                f"gene {self.gene!r} is not on the CDM's panels",
                hint=f"one of {', '.join(sorted(cdm.GENES))}",
            )
        if self.present:
            return _facts("variant", "code = ? AND value_code = 'present'", [self.gene])
        return (
            "SELECT DISTINCT patient_id FROM fact WHERE kind = 'gene_tested' AND code = ? EXCEPT "
            "SELECT patient_id FROM fact WHERE kind = 'variant' AND code = ? AND value_code = 'present'"
        ), [self.gene, self.gene]


@dataclass(frozen=True)
class HasFinding:
    """A cytogenetic finding (CDM key, e.g. del5q, del17p) reported present (or absent)."""

    finding: str
    present: bool = True

    def sql(self, terms: Terminology) -> Sql:
        return _facts(
            "cyto", "code = ? AND value_code = ?", [self.finding, "present" if self.present else "absent"]
        )


@dataclass(frozen=True)
class HasGenotype:
    genotypes: Sequence[str]  # e.g. ["HbSS", "HbSbeta0"]

    def sql(self, terms: Terminology) -> Sql:
        return _facts(
            "genotype", "code IN (" + ",".join("?" * len(self.genotypes)) + ")", list(self.genotypes)
        )


@dataclass(frozen=True)
class OnMedication:
    """A medication (ATC code or CDM name, e.g. "hydroxyurea") taken at some time in the window."""

    medication: str
    window: Window = field(default_factory=Window)

    def sql(self, terms: Terminology) -> Sql:
        atc = cdm.MEDICATIONS[self.medication][0] if self.medication in cdm.MEDICATIONS else self.medication
        if atc not in cdm.ATC_TO_MED:
            raise InputError(
                f"medication {self.medication!r} is not in the CDM",
                hint=f"an ATC code or one of {', '.join(sorted(cdm.MEDICATIONS))}",
            )
        when, when_params = self.window.overlap("start_date", "end_date")
        return _facts("medication", f"system = 'atc' AND code = ? AND {when}", [atc, *when_params])


@dataclass(frozen=True)
class HadProcedure:
    """A procedure by SNOMED code or fairgrid key (allo-hsct, auto-hsct) performed in the window."""

    procedure: str = cdm.HSCT_SNOMED
    window: Window = field(default_factory=Window)

    def sql(self, terms: Terminology) -> Sql:
        when, when_params = self.window.point("start_date")
        return _facts("procedure", f"code = ? AND {when}", [self.procedure, *when_params])


@dataclass(frozen=True)
class Admissions:
    """At least `min_count` inpatient encounters (by reason code, default VOC D57.0) in the window."""

    min_count: int = 1
    reason: str = cdm.VOC_ICD10[0]
    window: Window = field(default_factory=Window)

    def sql(self, terms: Terminology) -> Sql:
        when, when_params = self.window.point("start_date")
        return (
            f"SELECT patient_id FROM fact WHERE kind = 'encounter' AND code = ? AND {when} "
            "GROUP BY patient_id HAVING count(DISTINCT rid) >= ?"
        ), [self.reason, *when_params, self.min_count]


@dataclass(frozen=True)
class AnyOf:
    criteria: Sequence[Criterion]

    def sql(self, terms: Terminology) -> Sql:
        return _combine(" UNION ", self.criteria, terms)


@dataclass(frozen=True)
class Not:
    criterion: Criterion

    def sql(self, terms: Terminology) -> Sql:
        inner, params = self.criterion.sql(terms)
        return f"SELECT patient_id FROM patient EXCEPT ({inner})", params


def _combine(op: str, criteria: Sequence[Criterion], terms: Terminology) -> Sql:
    if not criteria:
        return "SELECT patient_id FROM patient", []
    parts, params = [], []
    for criterion in criteria:
        part_sql, part_params = criterion.sql(terms)
        parts.append(f"({part_sql})")
        params += part_params
    return op.join(parts), params


def cohort(store: SiteStore, *criteria: Criterion) -> list[str]:
    """Sorted ids of the patients meeting every criterion (no criteria: all patients)."""
    sql, params = _combine(" INTERSECT ", criteria, store.terms)
    return sorted(row[0] for row in store.con.execute(sql, params).fetchall())


def count(store: SiteStore, *criteria: Criterion) -> int:
    sql, params = _combine(" INTERSECT ", criteria, store.terms)
    row = store.con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
    return int(row[0]) if row else 0
