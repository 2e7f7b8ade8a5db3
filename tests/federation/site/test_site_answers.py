"""The site's answer path (criteria -> count -> disclosure -> audit) on a real store and ledger."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from federation.cdm import build
from federation.cdm.codes import LAB_BY_KEY
from federation.site.disclosure import Status
from federation.site.feasibility import Responder
from federation.site.home import SiteHome
from federation.site.store import SiteStore

HB = LAB_BY_KEY["hemoglobin"]


@pytest.fixture
def responder(home: SiteHome, store: SiteStore, tmp_path: Path) -> Responder:
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
        dx = {
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
