"""Evaluating a criteria document (federation/criteria) on the site store: one DuckDB query per question.

Each criterion becomes a set of patient ids; an OR-group is their UNION, the inclusion their INTERSECT, and
the exclusion is taken away with EXCEPT. "Diagnosis" for age-at-diagnosis and months-after-diagnosis
windows is the patient's first diagnosis matching the query's inclusion diagnoses (any diagnosis when the
query names none). Every value reaches DuckDB as a bound parameter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from federation.criteria import model as m
from federation.site.queries import Sql, Window, attained_age, lab_bounds
from federation.site.queries import _codes_sql as codes_sql  # one code expansion for both query APIs
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from registry.errors import InputError


class NotRecorded(InputError):
    """The question needs data this site does not record (answered as an error for this site only)."""

    code = "not_recorded"
    hint = "leave the part out, or ask the sites that record it"


def _anchor(q: m.Criteria, terms: Terminology) -> Sql:
    diags = q.anchor_diagnoses()
    if not diags:
        return "SELECT patient_id, min(start_date) AS d FROM fact WHERE kind = 'diagnosis' GROUP BY 1", []
    parts, params = [], []
    for dx in diags:
        sql, p = codes_sql(dx.system, [dx.code], terms, dx.descendants)
        parts.append(f"({sql})")
        params += p
    where = " OR ".join(parts)
    return (
        f"SELECT patient_id, min(start_date) AS d FROM fact WHERE kind = 'diagnosis' AND ({where}) "
        "GROUP BY 1",
        params,
    )


def _window(w: m.Within | None, start: str, end: str | None = None) -> tuple[str, list[Any], bool]:
    """SQL bounding an event's date(s) to the window; whether it needs the diagnosis anchor `a.d`."""
    if w is None:
        return "TRUE", [], False
    if w.months_after_diagnosis is not None:
        stop = "a.d + to_months(CAST(? AS INTEGER))"
        if end is None:
            return f"{start} >= a.d AND {start} <= {stop}", [w.months_after_diagnosis], True
        return f"{start} <= {stop} AND ({end} IS NULL OR {end} >= a.d)", [w.months_after_diagnosis], True
    window = Window(w.start, w.end)  # the date windows are the query API's own
    sql, params = window.point(start) if end is None else window.overlap(start, end)  # periods overlap it
    return sql, params, False


def _event(kind: str, where: str, params: list[Any], w: m.Within | None, *, period: bool = False) -> Sql:
    t, tp, anchored = _window(w, "f.start_date", "f.end_date" if period else None)
    join = " JOIN anchor a USING (patient_id)" if anchored else ""
    return f"SELECT DISTINCT f.patient_id FROM fact f{join} WHERE f.kind = ? AND {where} AND {t}", [
        kind,
        *params,
        *tp,
    ]


def _age(c: m.Age, today: date) -> Sql:
    if c.at == "diagnosis":
        age, src, params = (
            "date_diff('month', p.birth_date, a.d) / 12",
            "patient p JOIN anchor a USING (patient_id)",
            [],
        )
    else:
        age, src, params = attained_age("p."), "patient p", [today]
    parts: list[str] = []
    args: list[Any] = []
    if c.min is not None:
        parts.append(f"floor({age}) >= ?")
        args += [*params, c.min]
    if c.max is not None:
        parts.append(f"floor({age}) <= ?")
        args += [*params, c.max]
    return f"SELECT p.patient_id FROM {src} WHERE {' AND '.join(parts) or 'TRUE'}", args


def _lab(c: m.Lab) -> Sql:
    bounds, params = lab_bounds("f.", c.min, c.max, c.min_exclusive, c.max_exclusive)
    return _event("lab", f"f.system = 'loinc' AND f.code = ? AND {bounds}", [c.loinc, *params], c.within)


def criterion_sql(c: m.Criterion, terms: Terminology, today: date) -> Sql:
    if isinstance(c, m.Diagnosis):
        sql, p = codes_sql(c.system, [c.code], terms, c.descendants)
        return _event("diagnosis", sql, p, c.within)  # its columns are fact's alone: no alias needed
    if isinstance(c, m.Age):
        return _age(c, today)
    if isinstance(c, m.Sex):
        return "SELECT patient_id FROM patient WHERE sex = ?", [c.value]
    if isinstance(c, m.Lab):
        return _lab(c)
    if isinstance(c, m.Variant):
        if c.change is not None:
            code = f"{c.gene}:{c.change}"
            return _event("variant_change", "f.code = ? AND f.value_code = 'present'", [code], c.within)
        return _event("variant", "f.code = ? AND f.value_code = 'present'", [c.gene], c.within)
    if isinstance(c, m.Medication):
        return _event("medication", "f.system = 'atc' AND f.code = ?", [c.atc], c.within, period=True)
    if isinstance(c, m.Procedure):
        return _event("procedure", "f.code = ?", [c.code], c.within)
    return _event("outcome", "f.system = 'fg-outcome' AND f.code = ?", [c.code], c.within)


def cohort_sql(q: m.Criteria, terms: Terminology, today: date | None = None) -> Sql:
    """`WITH anchor AS (...) <patient ids>` for the whole query."""
    today = today or date.today()
    anchor, params = _anchor(q, terms)
    groups: list[str] = []
    for group in q.inclusion:
        ors = []
        for c in group:
            sql, p = criterion_sql(c, terms, today)
            ors.append(f"SELECT patient_id FROM ({sql})")
            params += p
        groups.append(f"SELECT patient_id FROM ({' UNION '.join(ors)})")
    body = " INTERSECT ".join(groups)
    if q.exclusion:
        exc = []
        for c in q.exclusion:
            sql, p = criterion_sql(c, terms, today)
            exc.append(f"SELECT patient_id FROM ({sql})")
            params += p
        body = f"SELECT patient_id FROM ({body}) EXCEPT SELECT patient_id FROM ({' UNION '.join(exc)})"
    return f"WITH anchor AS ({anchor}) {body}", params


def check_recorded(q: m.Criteria, records_changes: bool) -> None:
    """NotRecorded when `q` asks for variant changes and the site records none (an answer of 0 would lie)."""
    for c in q.criteria():
        if isinstance(c, m.Variant) and c.change is not None and not records_changes:
            raise NotRecorded(f"this site records variants by gene only, not the change {c.change}")


def _records_changes(store: SiteStore) -> bool:
    return (
        store.con.execute("SELECT 1 FROM fact WHERE kind = 'variant_change' LIMIT 1").fetchone() is not None
    )


def count(store: SiteStore, q: m.Criteria, today: date | None = None) -> int:
    """The true number of patients matching `q` (never leaves the site before disclosure control)."""
    check_recorded(q, _records_changes(store))
    sql, params = cohort_sql(q, store.terms, today)
    row = store.con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
    return int(row[0]) if row else 0


def patients(store: SiteStore, q: m.Criteria, today: date | None = None) -> list[str]:
    """Sorted ids of the matching patients (for a training cohort, inside the site)."""
    check_recorded(q, _records_changes(store))
    sql, params = cohort_sql(q, store.terms, today)
    return sorted(r[0] for r in store.con.execute(sql, params).fetchall())
