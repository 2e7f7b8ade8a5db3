"""The in-memory cohort index counts exactly what the reference SQL counts, on random questions over
synthetic patients of all three use cases."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.cdm import build
from federation.cdm import codes as cdm
from federation.criteria import parse_criteria
from federation.site import evaluate
from federation.site.cohort_index import CALENDAR, CohortIndex, _day
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from federation.synth.run import synthesize

TODAY = date(2026, 12, 1)
# Where the synthetic values lie (canonical units), so bounds cut through patients rather than miss them all.
LAB_RANGES = {"718-7": (6.0, 14.0), "777-3": (20.0, 400.0), "11150-0": (0.0, 20.0), "2532-0": (120.0, 600.0)}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteStore, CohortIndex]]:
    root = tmp_path_factory.mktemp("cohort")
    with SiteStore(root / "store.duckdb", terminology=Terminology.load()) as store:
        for i, uc in enumerate(cdm.USE_CASES):
            synthesize(uc, 1, 120, 100 + i, root / uc)
            store.load([root / uc / "site-1" / "fhir"])
        store.load([_bounded_results(store, root / "bounded.ndjson")])
    with SiteStore(root / "store.duckdb", terminology=Terminology.load(), read_only=True) as store:
        yield store, CohortIndex(store)


def _bounded_results(store: SiteStore, path: Path) -> Path:
    """Lab results reported as bounds ("<0.1", ">=400"), as laboratories report values beyond what the
    method measures: the synthetic cohorts have none, and the index reads them as the SQL does."""
    rng = random.Random(7)
    lines = []
    for n, pid in enumerate(sorted(store.patient_ids())[::3]):
        loinc = rng.choice(sorted(LAB_RANGES))
        low, high = LAB_RANGES[loinc]
        res = build.lab(f"bound-{n}", pid, cdm.LAB_BY_LOINC[loinc], round(rng.uniform(low, high), 1),
                        cdm.LAB_BY_LOINC[loinc].unit, f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-15")  # fmt: skip
        res["valueQuantity"]["comparator"] = rng.choice(["<", "<=", ">", ">="])
        lines.append(json.dumps(res))
    path.write_text("\n".join(lines) + "\n")
    return path


dates = st.dates(date(1990, 1, 1), date(2026, 12, 31)).map(date.isoformat)
within = st.one_of(
    st.none(),
    st.fixed_dictionaries({"months_after_diagnosis": st.integers(0, 60)}),
    st.fixed_dictionaries({}, optional={"from": dates, "to": dates}).filter(bool),
)


def event(c: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return within.map(
        lambda w: (
            c if w is None or ("from" in w and "to" in w and w["from"] > w["to"]) else {**c, "within": w}
        )
    )


criterion = st.one_of(
    st.sampled_from(["D46", "D46.2", "D57", "C90", "C90.0", "D57.0"]).flatmap(
        lambda code: st.booleans().flatmap(
            lambda d: event({"type": "diagnosis", "system": "icd10", "code": code, "descendants": d})
        )
    ),
    st.sampled_from(["52688", "232", "29073"]).flatmap(
        lambda c: event({"type": "diagnosis", "system": "orpha", "code": c})
    ),
    st.tuples(st.integers(0, 90), st.integers(0, 40), st.sampled_from(["today", "diagnosis"])).map(
        lambda t: {"type": "age", "min": t[0], "max": t[0] + t[1], "at": t[2]}
    ),
    st.sampled_from(["female", "male"]).map(lambda s: {"type": "sex", "value": s}),
    st.sampled_from(sorted(LAB_RANGES)).flatmap(
        lambda loinc: st.tuples(
            st.floats(*LAB_RANGES[loinc]).map(lambda v: round(v, 1)),
            st.sampled_from(["<", "<=", ">", ">=", "="]),
        ).flatmap(
            lambda t: event(
                {
                    "type": "lab",
                    "loinc": loinc,
                    "comparator": t[1],
                    "value": t[0],
                    "unit": cdm.LAB_BY_LOINC[loinc].unit,
                }
            )
        )
    ),
    st.sampled_from(sorted(LAB_RANGES)).flatmap(
        lambda loinc: st.tuples(*[st.floats(*LAB_RANGES[loinc]).map(lambda v: round(v, 1))] * 2).flatmap(
            lambda t: event(
                {
                    "type": "lab",
                    "loinc": loinc,
                    "min": min(t),
                    "max": max(t),
                    "unit": cdm.LAB_BY_LOINC[loinc].unit,
                }
            )
        )
    ),
    st.sampled_from(sorted(cdm.GENES)).flatmap(lambda g: event({"type": "variant", "gene": g})),
    st.sampled_from([(g, c) for g, cs in sorted(cdm.HOTSPOTS.items()) for c in cs]).flatmap(
        lambda gc: event({"type": "variant", "gene": gc[0], "change": gc[1]})
    ),
    st.sampled_from(sorted(cdm.ATC_TO_MED)).flatmap(lambda a: event({"type": "medication", "atc": a})),
    st.sampled_from(["allo-hsct", "auto-hsct", cdm.HSCT_SNOMED]).flatmap(
        lambda p: event({"type": "procedure", "code": p})
    ),
    st.sampled_from(sorted(cdm.OUTCOMES)).flatmap(lambda o: event({"type": "outcome", "code": o})),
)
questions = st.fixed_dictionaries(
    {"inclusion": st.lists(st.lists(criterion, min_size=1, max_size=3), min_size=1, max_size=3)},
    optional={"exclusion": st.lists(criterion, max_size=2)},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=questions)
def test_index_counts_what_sql_counts(site: tuple[SiteStore, CohortIndex], doc: dict[str, Any]) -> None:
    store, index = site
    q = parse_criteria(doc)
    assert index.count(q, TODAY) == evaluate.count(store, q, TODAY), q.canonical()


def test_results_reported_as_bounds_count_alike_at_their_own_value(
    site: tuple[SiteStore, CohortIndex],
) -> None:
    store, index = site
    rows = store.con.execute(
        "SELECT DISTINCT code, value_num FROM fact WHERE kind = 'lab' AND value_code IN ('<', '<=', '>', '>=')"
    ).fetchall()
    assert len(rows) > 50
    for loinc, value in rows[:30]:
        for comparator in ("<", "<=", ">", ">=", "="):
            lab = {"type": "lab", "loinc": loinc, "comparator": comparator, "value": value}
            q = parse_criteria({"inclusion": [[{**lab, "unit": cdm.LAB_BY_LOINC[loinc].unit}]]})
            assert index.count(q, TODAY) == evaluate.count(store, q, TODAY), q.canonical()


def test_the_questions_are_not_trivial(site: tuple[SiteStore, CohortIndex]) -> None:
    store, index = site
    mds = parse_criteria({"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]})
    assert 0 < index.count(mds, TODAY) < index.n
    sf3b1 = parse_criteria({"inclusion": [[{"type": "variant", "gene": "SF3B1", "change": "p.K700E"}]]})
    assert 0 < index.count(sf3b1, TODAY) == evaluate.count(store, sf3b1, TODAY)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(date(2020, 1, 31), 1, date(2020, 2, 29)), (date(2021, 1, 31), 1, date(2021, 2, 28)),
     (date(2020, 3, 15), 12, date(2021, 3, 15)), (date(2020, 12, 31), 2, date(2021, 2, 28))],
)  # fmt: skip
def test_month_arithmetic_is_duckdbs(day: date, months: int, expected: date) -> None:
    import numpy as np

    out = CALENDAR.add_months(np.array([_day(day)], dtype=np.int32), months)
    assert int(out[0]) == _day(expected)
