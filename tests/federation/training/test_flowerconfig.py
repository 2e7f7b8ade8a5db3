"""A job's flat Flower run config reads back as exactly what its approvals bind; anything else is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from federation.jobs.approvals import within
from federation.jobs.record import JobSpec, run_config
from federation.training.flowerconfig import approved_view, flower_run_config
from registry.errors import InputError

JOB = "https://w3id.org/fairgrid/job/j1"
CRITERIA = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}


def spec(**changes: Any) -> JobSpec:
    fields: dict[str, Any] = {
        "title": "t", "model": "https://w3id.org/fairgrid/model/m", "fab_hash": "0" * 64,
        "criteria": CRITERIA, "sites": ("hospital-a", "hospital-b"), "rounds": 3, "strategy": "FedProx",
        "purpose": "p", "expires": datetime.now(UTC) + timedelta(days=1),
        "hyperparameters": {"task": "mds-aml", "lr": 0.05, "local_epochs": 2, "proximal_mu": 0.1},
        "privacy": "central", "epsilon": 4.0, **changes,
    }  # fmt: skip
    return JobSpec(**fields)


def test_round_trip() -> None:
    s = spec()
    flat = flower_run_config(s, JOB)
    assert flat["task"] == "mds-aml" and flat["hp-local-epochs"] == 2 and flat["hp-proximal-mu"] == 0.1
    assert flat["num-server-rounds"] == 3 and flat["min-sites"] == 2 and flat["epsilon"] == 4.0
    assert "hp-task" not in flat and "delta" not in flat
    assert '"D46"' in str(flat["cohort"])
    assert all(isinstance(v, bool | int | float | str) for v in flat.values())
    assert approved_view(flat) == run_config(s)
    assert within(approved_view(flat), run_config(s)) is None
    plain = spec(privacy="none", epsilon=None, hyperparameters={"delta": 1e-6, "batch_size": 32})
    assert approved_view(flower_run_config(plain, JOB, min_sites=1)) == run_config(plain)


def test_a_changed_setting_is_not_within() -> None:
    s = spec()
    flat = {**flower_run_config(s, JOB), "hp-lr": 0.5}
    assert within(approved_view(flat), run_config(s)) is not None
    fewer = {**flower_run_config(s, JOB), "num-server-rounds": 2}
    assert within(approved_view(fewer), run_config(s)) is None  # fewer rounds stay within


def test_the_cohort_is_bound() -> None:
    s = spec()
    assert run_config(s)["cohort"] == flower_run_config(s, JOB)["cohort"]
    other = '{"inclusion":[[{"code":"C90","system":"icd10","type":"diagnosis"}]]}'
    why = within(approved_view({**flower_run_config(s, JOB), "cohort": other}), run_config(s))
    assert why is not None and "cohort" in why
    # the same criteria written another way are the same cohort
    respelled = '{"inclusion": [[{"type": "diagnosis", "code": "D46", "system": "icd10"}]]}'
    assert within(approved_view({**flower_run_config(s, JOB), "cohort": respelled}), run_config(s)) is None


@pytest.mark.parametrize(
    "change",
    [
        {"surprise": 1},  # unknown key
        {"hp-task": "mm-relapse-18m"},  # the task is the top-level key
        {"hp-Bad-Name": 1},
        {"num-server-rounds": "3"},
        {"num-server-rounds": True},
        {"min-sites": 0},
        {"strategy": "FedMagic"},
        {"privacy": "some"},
        {"gpu": "yes"},
        {"epsilon": -1.0},
        {"epsilon": float("nan")},
        {"cohort": "not json"},
        {"job": ""},
    ],
)
def test_malformed_refused(change: dict[str, Any]) -> None:
    flat = {**flower_run_config(spec(), JOB), **change}
    with pytest.raises(InputError):
        approved_view(flat)


def test_missing_key_refused() -> None:
    flat = flower_run_config(spec(), JOB)
    del flat["privacy"]
    with pytest.raises(InputError):
        approved_view(flat)


def test_bad_hyperparameters_refused() -> None:
    with pytest.raises(InputError):
        flower_run_config(spec(hyperparameters={"layers": [1, 2]}), JOB)
    with pytest.raises(InputError):
        flower_run_config(spec(hyperparameters={"Bad-Name": 1}), JOB)
    with pytest.raises(InputError):
        flower_run_config(spec(), JOB, min_sites=0)
    with pytest.raises(InputError, match="64-bit"):  # Flower's run config holds sint64
        flower_run_config(spec(hyperparameters={"hidden": 2**63}), JOB)
