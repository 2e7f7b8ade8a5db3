"""The site's answer path (criteria -> count -> disclosure -> audit) on a real store and ledger."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from federation.cdm import build
from federation.cdm.codes import LAB_BY_KEY
from federation.site.disclosure import Status
from federation.site.feasibility import Responder
from federation.site.home import SiteHome
from federation.site.policy import PolicyError
from federation.site.store import SiteStore

HB = LAB_BY_KEY["hemoglobin"]


@pytest.fixture
def responder(home: SiteHome, store: SiteStore, tmp_path: Path) -> Iterator[Responder]:
    res = []
    for i in range(40):
        pid = f"p{i}"
        res += [build.patient(pid, "female" if i % 2 else "male", f"{1940 + i % 30}-01"),
                build.diagnosis(f"{pid}-dx", pid, "mds", "MDS-EB", "2018-01-10"),
                build.lab(f"{pid}-hb", pid, HB, 70 + i, "g/L", "2018-01-10")]  # fmt: skip
    (tmp_path / "p.ndjson").write_text("\n".join(json.dumps(r) for r in res) + "\n")
    store.load([tmp_path / "p.ndjson"])
    store.close()
    (home.path / "site-policy.yaml").write_text("threshold: 1\nrounding: 1\nepsilon: 0.5\nbudget: 2\n")
    r = Responder.open(home.path)
    yield r
    r.close()


def spellings(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        dx: dict[str, Any] = {
            "type": "diagnosis",
            "system": rng.choice(["icd10", "ICD10"]),
            "code": rng.choice(["D46", "d46", " D46"]).strip(),
        }
        if rng.random() < 0.5:
            dx["descendants"] = True
        lab = rng.choice(
            [
                {"type": "lab", "loinc": "718-7", "max": 9.5, "unit": "g/dL"},
                {"type": "lab", "loinc": "718-7", "max": 95, "unit": "g/L"},
                {"type": "lab", "loinc": "718-7", "comparator": "<=", "value": 95, "unit": "g/L"},
                {"type": "lab", "loinc": "718-7", "comparator": "<=", "value": 9.5, "unit": "g/dL"},
            ]
        )
        groups = [[dx] * rng.randint(1, 2), [lab]]
        rng.shuffle(groups)
        out.append({"inclusion": groups})
    return out


def test_a_thousand_spellings_of_one_question_give_one_answer_and_spend_once(responder: Responder) -> None:
    answers = [responder.answer("mallory", doc) for doc in spellings(1000)]
    assert {(a.status, a.count) for a in answers} == {(Status.OK, answers[0].count)}
    assert sum(a.epsilon for a in answers) == pytest.approx(0.5)
    assert responder.ledger.spent("mallory") == pytest.approx(0.5)


def test_budget_runs_out_per_user_and_the_refusal_is_audited(responder: Responder) -> None:
    qs = [{"inclusion": [[{"type": "age", "min": m}]]} for m in (60, 61, 62, 63, 64)]
    assert [responder.answer("eve", q).status for q in qs] == [Status.OK] * 4 + [
        Status.REFUSED
    ]  # 4 x 0.5 = 2
    log = responder.ledger.audit_log(user="eve")
    assert log[-1]["status"] == "REFUSED" and "budget" in log[-1]["reason"]
    assert responder.answer("bob", qs[4]).status is Status.OK


def test_a_question_the_site_cannot_read_is_an_error_answer(responder: Responder) -> None:
    a = responder.answer("u", {"inclusion": [[{"type": "nonsense"}]]})
    assert a.status is Status.ERROR and "/inclusion/0/0/type" in (a.reason or "")
    b = responder.answer("u", {"inclusion": [[{"type": "variant", "gene": "TP53", "change": "p.R248Q"}]]})
    assert b.status is Status.ERROR and "gene only" in (b.reason or "")


def test_noise_without_a_budget_stops_the_site_before_it_answers(home: SiteHome, store: SiteStore) -> None:
    # With epsilon and no budget, equivalent questions in different normal forms (age >= 0, >= 1, ... for
    # adults) each drew fresh noise at no cost: averaging enough of them washed the noise out.
    store.close()
    (home.path / "site-policy.yaml").write_text("threshold: 1\nrounding: 1\nepsilon: 0.5\n")
    with pytest.raises(PolicyError, match="epsilon needs a budget: set budget"):
        Responder.open(home.path)


def test_equivalent_questions_spend_per_question_until_the_budget_refuses(responder: Responder) -> None:
    # Every patient is an adult: these are one cohort in five normal forms. Each spends epsilon once as a
    # whole question (two groups, one count), so the budget (2 = 4 x 0.5) bounds what averaging can learn.
    qs = [{"inclusion": [[{"type": "age", "min": m}], [{"type": "sex", "value": "female"},
                                                       {"type": "sex", "value": "male"}]]}
          for m in range(5)]  # fmt: skip
    answers = [responder.answer("mallory", q) for q in qs]
    assert [a.status for a in answers] == [Status.OK] * 4 + [Status.REFUSED]
    assert [a.epsilon for a in answers] == [0.5] * 4 + [0.0]
    assert responder.ledger.spent("mallory") == pytest.approx(2.0)
    refused = answers[-1]
    assert refused.count is None and "privacy budget spent (2 of 2)" in (refused.reason or "")
    entry = responder.ledger.audit_log(user="mallory")[-1]  # audited at the site, with no number released
    assert (entry["status"], entry["released"], entry["epsilon"]) == ("REFUSED", None, 0.0)
    assert "budget" in entry["reason"]
