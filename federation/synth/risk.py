"""The ground-truth risk models the synthetic outcomes are drawn from.

Every outcome in the synthetic cohorts comes from an exponential proportional-hazards model,
    hazard(t) = base_rate_per_year * exp(sum_j beta_j * x_j),
with the features x_j below computed from the patient's *true* data (before a site drops its NGS panel), and
an event time T = -ln(U) / hazard; the event is recorded when T falls before the patient's censoring time
(end of the site's follow-up). SCD vaso-occlusive crises are a Poisson process with the same kind of rate.
Later issues fit models on the federated data and compare their coefficients with these. The coefficients are
chosen so that baseline figures match the literature cited next to each model (order of magnitude, not fit).
Features: `age10` = (age at diagnosis - centre) / 10; binary features are 0/1; `ipssr` is the IPSS-R score
(0-10); `hbf5` = HbF % / 5; stages are one-hot against stage I.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Hazard:
    name: str
    base_rate: float  # events per patient-year at all covariates 0
    betas: tuple[tuple[str, float], ...]
    age_centre: float
    source: str

    def linear_predictor(self, covariates: dict[str, float]) -> float:
        return sum(beta * covariates.get(name, 0.0) for name, beta in self.betas)

    def rate(self, covariates: dict[str, float]) -> float:
        return self.base_rate * math.exp(self.linear_predictor(covariates))


MODELS: dict[str, tuple[Hazard, ...]] = {
    "mds": (
        Hazard(
            "aml-transformation", 0.03,
            (("ipssr", 0.30), ("TP53", 0.80), ("ASXL1", 0.35), ("RUNX1", 0.40), ("EZH2", 0.30),
             ("SF3B1", -0.40), ("age10", 0.10)),
            70.0,
            "Greenberg et al., Blood 2012;120:2454 (IPSS-R: 25% AML evolution by risk group); "
            "Bejar et al., NEJM 2011;364:2496 (TP53, ASXL1, RUNX1, EZH2 adverse; SF3B1 favourable)",
        ),
        Hazard(
            "death", 0.05,
            (("ipssr", 0.28), ("TP53", 0.70), ("ASXL1", 0.25), ("male", 0.15), ("age10", 0.45)),
            70.0,
            "Greenberg et al., Blood 2012 (median OS 8.8 y very low to 0.8 y very high risk)",
        ),
    ),
    "scd": (
        Hazard(
            "voc", 0.60,
            (("severe_genotype", 0.70), ("hbf5", -0.25), ("hydroxyurea", -0.35), ("age10", 0.05)),
            30.0,
            "Platt et al., NEJM 1991;325:11 (pain rate 0.8/patient-year in HbSS, lower in HbSC and with high "
            "HbF); Charache et al., NEJM 1995;332:1317 (hydroxyurea halves crisis rate)",
        ),
        Hazard(
            "death", 0.004,
            (("severe_genotype", 0.60), ("age10", 0.45), ("hbf5", -0.15)),
            30.0,
            "Platt et al., NEJM 1994;330:1639 (median survival 42 y men / 48 y women with HbSS)",
        ),
    ),
    "mm": (
        Hazard(
            "progression", 0.15,
            (("riss2", 0.45), ("riss3", 0.90), ("del17p", 0.50), ("t_4_14", 0.35), ("gain1q", 0.30),
             ("asct", -0.45), ("age10", 0.05)),
            65.0,
            "Palumbo et al., JCO 2015;33:2863 (R-ISS median PFS 66/42/29 months)",
        ),
        Hazard(
            "death", 0.04,
            (("riss2", 0.40), ("riss3", 1.00), ("del17p", 0.50), ("asct", -0.30), ("age10", 0.50)),
            65.0,
            "Palumbo et al., JCO 2015 (R-ISS 5-year OS 82%/62%/40%)",
        ),
    ),
}  # fmt: skip


def event_time(hazard: Hazard, covariates: dict[str, float], draw: float) -> float:
    """Years to the event for a uniform draw in (0, 1]."""
    return -math.log(max(draw, 1e-12)) / hazard.rate(covariates)


def describe() -> dict[str, object]:
    """The models as JSON-ready data (written to ground_truth.json next to the cohorts)."""
    return {
        uc: [
            {
                "outcome": hazard.name,
                "form": "exponential proportional hazards: rate = base_rate * exp(sum(beta * x))",
                "base_rate_per_year": hazard.base_rate,
                "betas": dict(hazard.betas),
                "age10": f"(age at diagnosis - {hazard.age_centre:g}) / 10",
                "source": hazard.source,
            }
            for hazard in hazards
        ]
        for uc, hazards in MODELS.items()
    }
