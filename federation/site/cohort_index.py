"""An in-memory columnar index of a site store for counting cohorts in milliseconds.

The site agent answers the same kind of question many times over a store that changes only when the site
loads data. So it reads the store once into arrays: patients as positions 0..n-1, and every fact grouped by
(kind, system, code) with its patient position, dates as day numbers, numeric value and present flag.
A criterion is then a boolean vector over patients built from the few groups it names, and a question is
vector AND / OR / NOT. evaluate.py's SQL is the reference: tests check both give the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from federation.criteria import model as m
from federation.site.queries import _ICD10  # one rule for the ICD-10 prefix fallback
from federation.site.store import SiteStore
from federation.site.terminology import Terminology

NULL_DAY = np.iinfo(np.int32).min  # a missing date: never inside any window
EPOCH = date(1970, 1, 1)
Mask = npt.NDArray[np.bool_]
Days = npt.NDArray[np.int32]

_FACTS = """
WITH p AS (SELECT patient_id, (row_number() OVER (ORDER BY patient_id) - 1)::INTEGER AS idx FROM patient),
     k AS (SELECT kind, system, code, (row_number() OVER (ORDER BY kind, system, code) - 1)::INTEGER AS kid
           FROM (SELECT DISTINCT kind, coalesce(system, '') AS system, code FROM fact))
SELECT k.kid, p.idx,
       coalesce(date_diff('day', DATE '1970-01-01', f.start_date), -2147483648)::INTEGER AS s,
       coalesce(date_diff('day', DATE '1970-01-01', f.end_date), -2147483648)::INTEGER AS e,
       f.end_date IS NULL AS open_end,
       coalesce(f.value_num, 'NaN'::DOUBLE) AS v,
       coalesce(f.value_code = 'present', false) AS present,
       (CASE f.value_code WHEN '<' THEN 1 WHEN '<=' THEN 2 WHEN '>' THEN 3 WHEN '>=' THEN 4 ELSE 0
        END)::TINYINT AS cmp
FROM fact f JOIN k ON f.kind = k.kind AND coalesce(f.system, '') = k.system AND f.code = k.code
JOIN p USING (patient_id)
ORDER BY k.kid
"""


def _day(d: date) -> int:
    return (d - EPOCH).days


@dataclass(frozen=True)
class Group:
    patient: npt.NDArray[np.int32]
    start: Days
    end: Days
    open_end: Mask
    value: npt.NDArray[np.float64]
    present: Mask
    cmp: npt.NDArray[np.int8]  # a lab result's comparator: 0 none, 1 <, 2 <=, 3 >, 4 >= (queries.lab_bounds)


class CohortIndex:
    def __init__(self, store: SiteStore) -> None:
        con = store.con
        birth = "coalesce(date_diff('day', DATE '1970-01-01', birth_date), -2147483648)::INTEGER"
        death = birth.replace("birth_date", "deceased_date")
        pats = con.execute(
            f"SELECT coalesce(sex, ''), {birth}, {death} FROM patient ORDER BY patient_id"
        ).fetchall()
        self.n = len(pats)
        self.sex = np.array([p[0] for p in pats], dtype=object)
        self.birth = np.array([p[1] for p in pats], dtype=np.int32)
        self.death = np.array([p[2] for p in pats], dtype=np.int32)
        self.birth_month = CALENDAR.months(self.birth)
        keys = "SELECT DISTINCT kind, coalesce(system, ''), code FROM fact ORDER BY 1, 2, 3"
        self.keys = [tuple(r) for r in con.execute(keys).fetchall()]
        cols = con.execute(_FACTS).fetchnumpy()
        kid = cols["kid"]
        bounds = np.searchsorted(kid, np.arange(len(self.keys) + 1))
        self.groups: dict[tuple[str, str, str], Group] = {}
        for i, key in enumerate(self.keys):
            a, b = bounds[i], bounds[i + 1]
            self.groups[key] = Group(  # type: ignore[index]
                cols["idx"][a:b],
                cols["s"][a:b],
                cols["e"][a:b],
                cols["open_end"][a:b],
                cols["v"][a:b],
                cols["present"][a:b],
                cols["cmp"][a:b],
            )
        self.terms = store.terms
        self._firsts: dict[int, Days] = {}
        self._anyones: dict[int, Mask] = {}

    # --- helpers -------------------------------------------------------------------------------------

    def _matching(self, kind: str, system: str | None, codes: set[str], prefixes: list[str]) -> list[Group]:
        return [
            g
            for (k, s, c), g in self.groups.items()
            if k == kind
            and (system is None or s == system)
            and (c in codes or any(c.startswith(p) for p in prefixes))
        ]

    def _mask(self, groups: list[Group], keep: list[Mask]) -> Mask:
        out = np.zeros(self.n, dtype=bool)
        for g, k in zip(groups, keep, strict=True):
            out[g.patient[k]] = True
        return out

    def _codes(self, c: m.Diagnosis, terms: Terminology) -> tuple[set[str], list[str]]:
        codes = terms.descendants(c.system, c.code) if c.descendants else {c.code}
        prefixes: list[str] = []
        if c.descendants and c.system == "icd10":  # as the SQL path: D46 also covers D46.x not in the tree
            prefixes = [
                code + ("." if len(code) == 3 else "") for code in sorted(codes) if _ICD10.match(code)
            ]
        return codes, prefixes

    def anchor(self, q: m.Criteria) -> Days:
        """Each patient's first qualifying diagnosis day (NULL_DAY for none)."""
        diags = q.anchor_diagnoses()
        if diags:
            groups: list[Group] = []
            for dx in diags:
                codes, prefixes = self._codes(dx, self.terms)
                groups += self._matching("diagnosis", dx.system, codes, prefixes)
        else:
            groups = self._matching(
                "diagnosis", None, {c for (k, _, c) in self.groups if k == "diagnosis"}, []
            )
        first = np.full(self.n, np.iinfo(np.int32).max, dtype=np.int32)
        for g in groups:
            np.minimum(first, self._first_day(g), out=first)
        first[first == np.iinfo(np.int32).max] = NULL_DAY
        return first

    def _first_day(self, g: Group) -> Days:
        """Each patient's earliest dated event in the group (int32 max for none), computed once per group."""
        cached = self._firsts.get(id(g))
        if cached is None:
            ok = g.start != NULL_DAY
            pat, start = g.patient[ok], g.start[ok]
            order = np.lexsort((start, pat))  # by patient, then date: the first row of each patient wins
            pat, start = pat[order], start[order]
            head = np.ones(len(pat), dtype=bool)
            head[1:] = pat[1:] != pat[:-1]
            cached = np.full(self.n, np.iinfo(np.int32).max, dtype=np.int32)
            cached[pat[head]] = start[head]
            self._firsts[id(g)] = cached
        return cached

    def _window(self, g: Group, w: m.Within | None, anchor: Days, period: bool) -> Mask:
        has_start = g.start != NULL_DAY
        if w is None:
            return np.ones(len(g.patient), dtype=bool)
        if w.months_after_diagnosis is not None:
            a = anchor[g.patient]
            stop = CALENDAR.add_months(a, w.months_after_diagnosis)
            anchored = a != NULL_DAY
            if period:
                return (
                    anchored
                    & has_start
                    & (g.start <= stop)
                    & (g.open_end | ((g.end != NULL_DAY) & (g.end >= a)))
                )
            return anchored & has_start & (g.start >= a) & (g.start <= stop)
        keep = np.ones(len(g.patient), dtype=bool)
        lo = _day(w.start) if w.start else None
        hi = _day(w.end) if w.end else None
        if period:
            if hi is not None:
                keep &= has_start & (g.start <= hi)
            if lo is not None:
                keep &= g.open_end | ((g.end != NULL_DAY) & (g.end >= lo))
            return keep
        if lo is not None:
            keep &= has_start & (g.start >= lo)
        if hi is not None:
            keep &= has_start & (g.start <= hi)
        return keep

    def _events(self, groups: list[Group], w: m.Within | None, anchor: Days, period: bool = False,
                extra: list[Mask] | None = None) -> Mask:  # fmt: skip
        if w is None and extra is None:  # the common case: anyone with such an event, cached per group
            out = np.zeros(self.n, dtype=bool)
            for g in groups:
                out |= self._anyone(g)
            return out
        keep = [self._window(g, w, anchor, period) for g in groups]
        if extra is not None:
            keep = [k & e for k, e in zip(keep, extra, strict=True)]
        return self._mask(groups, keep)

    def _anyone(self, g: Group) -> Mask:
        cached = self._anyones.get(id(g))
        if cached is None:
            cached = np.zeros(self.n, dtype=bool)
            cached[g.patient] = True
            self._anyones[id(g)] = cached
        return cached

    def criterion(self, c: m.Criterion, anchor: Days, today: date) -> Mask:
        if isinstance(c, m.Diagnosis):
            codes, prefixes = self._codes(c, self.terms)
            return self._events(self._matching("diagnosis", c.system, codes, prefixes), c.within, anchor)
        if isinstance(c, m.Age):
            now = np.full(self.n, _day(today), dtype=np.int32)  # a patient who died is as old as at death
            at = (
                anchor
                if c.at == "diagnosis"
                else np.where(self.death != NULL_DAY, np.minimum(now, self.death), now)
            )
            ok = (self.birth != NULL_DAY) & (at != NULL_DAY)
            # DuckDB's date_diff('month', birth, at): the difference of the month parts, whatever the days
            age = np.floor((CALENDAR.months(at) - self.birth_month) / 12)
            keep = ok.copy()
            if c.min is not None:
                keep &= age >= c.min
            if c.max is not None:
                keep &= age <= c.max
            return keep
        if isinstance(c, m.Sex):
            return np.asarray(self.sex == c.value, dtype=bool)
        if isinstance(c, m.Lab):
            groups = self._matching("lab", "loinc", {c.loinc}, [])
            extra = []
            for g in groups:
                k = ~np.isnan(g.value)
                if c.min is not None:  # "<0.1" is at most 0.1: it meets no lower bound
                    at_least = g.value >= c.min - 1e-9
                    k &= (g.cmp != 1) & (g.cmp != 2)
                    k &= ((g.value > c.min) | ((g.cmp == 3) & at_least)) if c.min_exclusive else at_least
                if c.max is not None:
                    at_most = g.value <= c.max + 1e-9
                    k &= (g.cmp != 3) & (g.cmp != 4)
                    k &= ((g.value < c.max) | ((g.cmp == 1) & at_most)) if c.max_exclusive else at_most
                extra.append(k)
            return self._events(groups, c.within, anchor, extra=extra)
        if isinstance(c, m.Variant):
            if c.change is not None:
                groups = self._matching("variant_change", None, {f"{c.gene}:{c.change}"}, [])
            else:
                groups = self._matching("variant", None, {c.gene}, [])
            return self._events(groups, c.within, anchor, extra=[g.present for g in groups])
        if isinstance(c, m.Medication):
            return self._events(
                self._matching("medication", "atc", {c.atc}, []), c.within, anchor, period=True
            )
        if isinstance(c, m.Procedure):
            return self._events(self._matching("procedure", None, {c.code}, []), c.within, anchor)
        return self._events(self._matching("outcome", "fg-outcome", {c.code}, []), c.within, anchor)

    def cohort(self, q: m.Criteria, today: date | None = None) -> Mask:
        from federation.site.evaluate import check_recorded

        check_recorded(q, any(k == "variant_change" for k, _, _ in self.groups))
        today = today or date.today()
        anchor = self.anchor(q)
        result = np.ones(self.n, dtype=bool)
        for group in q.inclusion:
            any_of = np.zeros(self.n, dtype=bool)
            for c in group:
                any_of |= self.criterion(c, anchor, today)
            result &= any_of
        for c in q.exclusion:
            result &= ~self.criterion(c, anchor, today)
        return result

    def count(self, q: m.Criteria, today: date | None = None) -> int:
        return int(self.cohort(q, today).sum())


class _Calendar:
    """Day numbers to month numbers by table lookup (datetime64 conversions cost more than the counting)."""

    def __init__(self, first: date = date(1850, 1, 1), last: date = date(2150, 12, 31)) -> None:
        self.d0 = _day(first)
        days = np.arange(self.d0, _day(last) + 1, dtype=np.int64).astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        self.month = months.astype(np.int64).astype(np.int32)  # months since 1970-01
        self.dom = ((days - months.astype("datetime64[D]")).astype(np.int64) + 1).astype(np.int32)
        m_all = np.arange(self.month[0], self.month[-1] + 2, dtype=np.int64)
        self.m0 = int(m_all[0])
        self.first_day = (
            m_all.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64).astype(np.int32)
        )

    def months(self, days: Days) -> npt.NDArray[np.int64]:
        """Month numbers of valid days (callers mask NULL_DAY themselves)."""
        idx = np.clip(days.astype(np.int64) - self.d0, 0, len(self.month) - 1)
        return self.month[idx].astype(np.int64)

    def add_months(self, days: Days, n: int) -> Days:
        """date + INTERVAL n MONTH as DuckDB does it: the same day, clamped to the target month's last day."""
        idx = np.clip(days.astype(np.int64) - self.d0, 0, len(self.month) - 1)
        target = self.month[idx].astype(np.int64) + n - self.m0
        first = self.first_day[target]
        last = self.first_day[target + 1] - first
        out = first + np.minimum(self.dom[idx], last) - 1
        return np.where(days == NULL_DAY, NULL_DAY, out).astype(np.int32)


CALENDAR = _Calendar()
