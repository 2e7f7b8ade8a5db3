"""Site-trusted data access for training: the only code the Flower app calls to touch patient data.

It is the installed fairgrid package, not part of the FAB, so custodians trust it once: it selects the
job's cohort with the site's own criteria evaluator, builds the feature matrix from the site's feature table
(federation/site/features.py) on the store opened read-only, and applies the site's disclosure policy to
every number the app reports (`disclose`) before the reply leaves the ClientApp.

Features are scaled with fixed clinical centres and spreads (written below, from the cohorts' published
medians that federation/synth/cohort.py cites), not from the data: every site scales identically without
sharing statistics. A value that is missing (a gene not tested, a site without an NGS panel) is 0 in the
matrix and 0 in the mask; the model sees the mask, so "not tested" never reads as "wild type".
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from federation.criteria import parse_criteria
from federation.site.evaluate import patients
from federation.site.features import feature_table
from federation.site.home import open_site
from federation.site.policy import Policy, load_policy
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from registry.errors import InputError

Matrix = npt.NDArray[np.float32]

# (kind, centre, spread): "bin" as is; "lin" (x - centre) / spread; "log" (ln x - ln centre) / spread.
_MDS = {
    "sex_male": ("bin", 0.0, 1.0),
    "age_at_dx": ("lin", 70.0, 10.0),
    "hemoglobin_g_dl": ("lin", 9.8, 1.6),
    "platelets_1e9_l": ("log", 130.0, 0.75),
    "anc_1e9_l": ("log", 1.8, 0.7),
    "bm_blasts_pct": ("lin", 5.0, 5.0),
    "ldh_u_l": ("log", 220.0, 0.35),
    "del5q": ("bin", 0.0, 1.0),
    "minus7_del7q": ("bin", 0.0, 1.0),
    "complex_karyotype": ("bin", 0.0, 1.0),
    **{
        f"mut_{gene}": ("bin", 0.0, 1.0)
        for gene in ("sf3b1", "tet2", "asxl1", "srsf2", "dnmt3a", "runx1", "u2af1", "tp53", "ezh2")
    },
    "ipss_r": ("lin", 3.0, 2.0),
}
_MM = {
    "sex_male": ("bin", 0.0, 1.0),
    "age_at_dx": ("lin", 68.5, 10.0),
    "hemoglobin_g_dl": ("lin", 10.6, 1.9),
    "albumin_g_dl": ("lin", 3.6, 0.55),
    "b2m_mg_l": ("log", 3.6, 0.62),
    "ldh_u_l": ("log", 190.0, 0.35),
    "m_protein_g_dl": ("lin", 3.0, 2.0),
    "t_4_14": ("bin", 0.0, 1.0),
    "t_14_16": ("bin", 0.0, 1.0),
    "del17p": ("bin", 0.0, 1.0),
    "gain1q": ("bin", 0.0, 1.0),
    "iss": ("lin", 2.0, 1.0),
    "r_iss": ("lin", 2.0, 1.0),
    # first-line autologous transplant: planned at diagnosis and part of the standard risk models
    "hsct": ("bin", 0.0, 1.0),
}


@dataclass(frozen=True)
class Task:
    name: str
    use_case: str
    outcome: str  # feature table prefix: <outcome>_event, <outcome>_years
    horizon_years: float
    features: dict[str, tuple[str, float, float]]
    metric: str = "auc"


TASKS = {
    # MDS: transformation to AML within 2 years of diagnosis. Treatments are left out: they follow the
    # diagnosis and are chosen by risk, so they would leak the outcome's proxies into the model.
    "mds-aml": Task("mds-aml", "mds", "aml_transformation", 2.0, _MDS),
    # MM: progression or relapse within 18 months of diagnosis.
    "mm-relapse-18m": Task("mm-relapse-18m", "mm", "progression", 1.5, _MM),
}
TEST_SHARE = 30  # percent of each site's patients held out, chosen by a hash of the pseudonymous id


def task_of(name: str) -> Task:
    if name not in TASKS:
        raise InputError(f"unknown training task {name!r}", hint=f"use one of {', '.join(sorted(TASKS))}")
    return TASKS[name]


def is_test(patient_id: str) -> bool:
    """Deterministic split: the same patient is in the same half in every run and every job."""
    digest = hashlib.sha256(f"fairgrid-split:{patient_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < TEST_SHARE


@dataclass(frozen=True)
class SiteData:
    task: str
    features: list[str]
    x: Matrix  # scaled values, 0 where missing
    mask: Matrix  # 1 value present / tested, 0 missing
    y: Matrix  # 1 event before the horizon, 0 event-free at the horizon
    test: npt.NDArray[np.bool_]
    patient_ids: list[str]

    def __len__(self) -> int:
        return len(self.patient_ids)

    def part(self, test: bool) -> SiteData:
        keep = self.test if test else ~self.test
        ids = [pid for pid, k in zip(self.patient_ids, keep, strict=True) if k]
        return SiteData(
            self.task, self.features, self.x[keep], self.mask[keep], self.y[keep], self.test[keep], ids
        )

    @staticmethod
    def concat(parts: list[SiteData]) -> SiteData:
        """Pooled data (for the benchmark's centralized baseline only: real sites never pool)."""
        first = parts[0]
        return SiteData(
            first.task,
            first.features,
            np.concatenate([p.x for p in parts]),
            np.concatenate([p.mask for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.test for p in parts]),
            [pid for p in parts for pid in p.patient_ids],
        )


def _scale(kind: str, centre: float, spread: float, value: float) -> float:
    if kind == "bin":
        return float(value)
    if kind == "log":
        return (math.log(max(float(value), 1e-6)) - math.log(centre)) / spread
    return (float(value) - centre) / spread


def _label(event: Any, years: Any, horizon: float) -> float | None:
    """1: the event by the horizon. 0: followed past the horizon without it. None: follow-up (death
    included) ended before the horizon without the event; left out, since whether it would have come is
    unknown. Counting deaths as 0 instead was tried: the same risk factors drive death, so the label then
    mostly says "died first" and no model separates it (AUC ~0.5 on the synthetic cohorts)."""
    if years is None:
        return None
    if event == 1 and years <= horizon:
        return 1.0
    if years >= horizon:
        return 0.0
    return None


def cohort_ids(store: SiteStore, cohort: Any) -> set[str] | None:
    """The patients the job's criteria select at this site; None when the job names no criteria."""
    if cohort is None or (isinstance(cohort, str) and not cohort.strip()):
        return None
    criteria = parse_criteria(cohort)  # CriteriaError (an InputError) names the offending part
    return set(patients(store, criteria))


def from_store(store: SiteStore, task_name: str, cohort: Any = None) -> SiteData:
    task = task_of(task_name)
    table = feature_table(store, task.use_case)
    selected = cohort_ids(store, cohort)
    index = {name: i for i, name in enumerate(table.columns)}
    names = list(task.features)
    ev, yr = index[f"{task.outcome}_event"], index[f"{task.outcome}_years"]
    rows_x: list[list[float]] = []
    rows_m: list[list[float]] = []
    labels: list[float] = []
    ids: list[str] = []
    for row in table.rows:
        pid = row[0]
        if selected is not None and pid not in selected:
            continue
        label = _label(row[ev], row[yr], task.horizon_years)
        if label is None:
            continue
        xs, ms = [], []
        for name in names:
            value = row[index[name]]
            if value is None:
                xs.append(0.0)
                ms.append(0.0)
            else:
                xs.append(_scale(*task.features[name], value))
                ms.append(1.0)
        rows_x.append(xs)
        rows_m.append(ms)
        labels.append(label)
        ids.append(pid)
    d = len(names)
    return SiteData(
        task.name,
        names,
        np.asarray(rows_x, dtype=np.float32).reshape(-1, d),
        np.asarray(rows_m, dtype=np.float32).reshape(-1, d),
        np.asarray(labels, dtype=np.float32),
        np.asarray([is_test(pid) for pid in ids], dtype=bool),
        ids,
    )


def load(site_home: Path | str, task_name: str, cohort: Any = None) -> SiteData:
    """The site's training data for a task and cohort, read from its store opened read-only."""
    home = open_site(Path(site_home))
    with SiteStore(home.store_path, terminology=Terminology.load(), read_only=True) as store:
        return from_store(store, task_name, cohort)


def site_policy(site_home: Path | str) -> Policy:
    return load_policy(Path(site_home))


# --- disclosure of what the app reports -------------------------------------------------------------

COUNT_KEYS = ("num-examples", "num-test", "num-events")  # rounded, suppressed below threshold


def _count(policy: Policy, n: float) -> float | None:
    """A count as the site releases it: rounded to its rounding, None below its threshold."""
    if n < policy.threshold:
        return None
    step = policy.rounding
    return float(max(0, step * round(n / step)) if step > 1 else round(n))


def disclose(metrics: dict[str, Any], policy: Policy) -> dict[str, float]:
    """The metrics a reply may carry: counts rounded or suppressed by the site's policy, and a metric
    computed on fewer patients than the threshold (an AUC on a tiny test set) suppressed with its count.

    Keys ending in `-n` give the count behind the metric of the same stem (`auc-n` for `auc`) and are never
    released. A suppressed or undefined value is NaN, not left out: Flower's strategies need every site's
    reply to carry the same keys.
    """
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if key.endswith("-n"):
            continue
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            out[key] = math.nan
            continue
        value = float(value)
        if not math.isfinite(value):
            out[key] = math.nan
        elif key in COUNT_KEYS:
            released = _count(policy, value)
            out[key] = math.nan if released is None else released
        else:
            behind = metrics.get(f"{key}-n")
            small = isinstance(behind, int | float) and behind < policy.threshold
            out[key] = math.nan if small else value
    return out


def describe(data: SiteData) -> str:
    """One line for logs: shapes only, never values or ids."""
    return json.dumps({"task": data.task, "patients": len(data), "features": len(data.features)})
