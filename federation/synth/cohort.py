"""Synthetic patients for the three use cases, drawn from published figures (cited next to each number).

Dates are day ordinals (date.toordinal) until they are written. All randomness comes from one
`random.Random` per site, so the same seed gives the same cohort.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from federation.synth.risk import MODELS, event_time

CUTOFF = 739251  # date(2024, 12, 31).toordinal(): the data cut of every synthetic export
YEAR = 365.25


@dataclass(frozen=True)
class SiteProfile:
    """How one synthetic site differs from the others."""

    index: int
    age_shift: float  # years added to the age at diagnosis
    risk_mix: float  # >1: more high-risk referrals (tertiary centre)
    lab_scale: float  # analyser calibration (multiplies haemoglobin, albumin)
    followup_years: float  # longest follow-up (enrolment window length)
    has_ngs: bool
    si_units: bool  # reports g/L instead of g/dL for haemoglobin, albumin, M-protein


@dataclass
class Record:
    number: int  # the patient's index at its site (keys its pseudonymous id)
    sex: str
    birth: int
    dx: int
    age: float
    subtype: str
    last: int = 0  # end of follow-up (death or censoring)
    death: int | None = None
    labs: list[tuple[str, float]] = field(default_factory=list)  # (lab key, value in canonical unit) at dx
    cyto: list[tuple[str, bool]] = field(default_factory=list)
    genes_tested: list[str] = field(default_factory=list)
    variants: list[tuple[str, float]] = field(default_factory=list)  # (gene, VAF %)
    genotype: str | None = None
    scores: list[tuple[str, float, str]] = field(default_factory=list)
    meds: list[tuple[str, int, int | None]] = field(default_factory=list)
    procedures: list[tuple[str, int]] = field(default_factory=list)
    encounters: list[tuple[int, int]] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    truth: dict[str, float] = field(default_factory=dict)  # true linear predictors per outcome


def _clip(value: float, lo: float, hi: float) -> float:
    return lo if value < lo else hi if value > hi else value


def _lognorm(rng: random.Random, median: float, sdlog: float) -> float:
    return median * math.exp(rng.gauss(0.0, sdlog))


def _base(rng: random.Random, site: SiteProfile, p_male: float, age_mu: float, age_sd: float,
          age_lo: float, age_hi: float) -> tuple[str, float, int, int]:  # fmt: skip
    sex = "male" if rng.random() < p_male else "female"
    age = _clip(rng.gauss(age_mu + site.age_shift, age_sd), age_lo, age_hi)
    window = site.followup_years * YEAR
    dx = CUTOFF - int(0.25 * YEAR + rng.random() * window)
    birth = dx - int(age * YEAR)
    return sex, age, dx, birth


def _censor(rec: Record, rng: random.Random, times: dict[str, float]) -> None:
    """Turn event times (years from diagnosis) into dated outcomes, censored at the data cut."""
    horizon = (CUTOFF - rec.dx) / YEAR * (0.6 + 0.4 * rng.random())  # some loss to follow-up
    death_t = times.pop("death")
    end = min(horizon, death_t)
    for name, years in sorted(times.items()):
        if years < end:
            rec.outcomes.append((name, rec.dx + int(years * YEAR)))
    if death_t <= horizon:
        rec.death = rec.dx + int(death_t * YEAR)
    rec.last = rec.dx + int(end * YEAR)


# --- MDS -------------------------------------------------------------------------------------------
# Age/sex: median age at diagnosis ~71-76, M:F ~1.6 (Ma et al., Cancer 2007;109:1536; SEER).
# Mutation frequencies: Papaemmanuil et al., Blood 2013;122:3616 (n=738): SF3B1 28%, TET2 26%, ASXL1 20%,
# SRSF2 15%, DNMT3A 13%, RUNX1 9%, U2AF1 8%, TP53 8%, EZH2 6%. Cytogenetics: Schanz et al., JCO
# 2012;30:820 (del(5q) ~13%, -7/del(7q) ~6%, complex ~10%; TP53 in ~50% of complex karyotypes).
# Labs at diagnosis: Greenberg et al., Blood 2012 (IPSS-R cohort: median Hb ~9.8 g/dL, ANC ~1.8, PLT ~130).
MDS_GENES = ("SF3B1", "TET2", "ASXL1", "SRSF2", "DNMT3A", "RUNX1", "U2AF1", "TP53", "EZH2")
MDS_FREQ = {"SF3B1": 0.28, "TET2": 0.26, "ASXL1": 0.20, "SRSF2": 0.15, "DNMT3A": 0.13, "RUNX1": 0.09,
            "U2AF1": 0.08, "EZH2": 0.06}  # fmt: skip


def ipssr(cyto_points: float, blasts: float, hb: float, plt: float, anc: float) -> tuple[float, str]:
    """IPSS-R score and risk group (Greenberg et al., Blood 2012;120:2454, Table 2)."""
    score = cyto_points
    score += 0 if blasts <= 2 else 1 if blasts < 5 else 2 if blasts <= 10 else 3
    score += 0 if hb >= 10 else 1 if hb >= 8 else 1.5
    score += 0 if plt >= 100 else 0.5 if plt >= 50 else 1
    score += 0 if anc >= 0.8 else 0.5
    group = ("very low" if score <= 1.5 else "low" if score <= 3 else "intermediate" if score <= 4.5
             else "high" if score <= 6 else "very high")  # fmt: skip
    return score, group


def mds(rng: random.Random, site: SiteProfile, number: int) -> Record:
    sex, age, dx, birth = _base(rng, site, 0.615, 73.0, 9.5, 30.0, 96.0)
    complex_k = rng.random() < 0.10 * site.risk_mix
    minus7 = rng.random() < (0.35 if complex_k else 0.05)
    del5q = rng.random() < (0.6 if complex_k else 0.09)
    mut = {gene: rng.random() < freq for gene, freq in MDS_FREQ.items()}
    mut["TP53"] = rng.random() < (0.5 if complex_k else 0.10 if del5q else 0.03)
    eb = rng.random() < min(0.9, 0.30 * site.risk_mix + (0.25 if complex_k else 0.0))
    blasts = round(_clip(rng.uniform(5.0, 19.0) if eb else _lognorm(rng, 1.8, 0.6), 0.0, 19.0), 1)
    hb = round(_clip(rng.gauss(9.8, 1.6) * site.lab_scale, 4.5, 15.5), 1)
    plt = round(_clip(_lognorm(rng, 130.0, 0.75), 4.0, 900.0))
    anc = round(_clip(_lognorm(rng, 1.8, 0.7), 0.05, 15.0), 2)
    ldh = round(_clip(_lognorm(rng, 220.0, 0.35), 90.0, 2500.0))
    cyto_pts = 4.0 if complex_k and mut["TP53"] else 3.0 if complex_k else 2.0 if minus7 else 1.0
    score, group = ipssr(cyto_pts, blasts, hb, plt, anc)
    if del5q and not complex_k and not minus7 and not eb:
        subtype = "MDS-del5q"
    elif eb:
        subtype = "MDS-EB"
    elif mut["SF3B1"]:
        subtype = "MDS-RS"
    else:
        draw = rng.random()
        subtype = "MDS-MLD" if draw < 0.6 else "MDS-SLD" if draw < 0.9 else "MDS-U"
    rec = Record(number, sex, birth, dx, age, subtype)
    rec.labs = [("hemoglobin", hb), ("platelets", plt), ("anc", anc), ("bm_blasts", blasts), ("ldh", ldh)]
    rec.cyto = [("del5q", del5q), ("minus7_del7q", minus7), ("complex_karyotype", complex_k)]
    rec.genes_tested = list(MDS_GENES)
    rec.variants = [(gene, round(rng.uniform(5.0, 48.0), 1)) for gene in MDS_GENES if mut[gene]]
    rec.scores = [("ipss-r", score, group)]
    covariates = {
        "ipssr": score,
        "male": float(sex == "male"),
        **{gene: float(found) for gene, found in mut.items()},
    }
    _treat_mds(rng, rec, score, age)
    _draw(rng, rec, "mds", covariates)
    return rec


def _treat_mds(rng: random.Random, rec: Record, score: float, age: float) -> None:
    start = rec.dx + rng.randint(7, 60)
    if score > 4.5 and rng.random() < 0.7:
        rec.meds.append(("azacitidine", start, start + rng.randint(120, 720)))
        if age < 70 and rng.random() < 0.35:
            rec.procedures.append(("allo-hsct", start + rng.randint(150, 300)))
    elif rec.subtype == "MDS-del5q" and rng.random() < 0.6:
        rec.meds.append(("lenalidomide", start, start + rng.randint(180, 900)))
    elif rec.subtype == "MDS-RS" and rng.random() < 0.3:
        rec.meds.append(("luspatercept", start, None))
    elif rec.labs[0][1] < 10 and rng.random() < 0.5:
        rec.meds.append(("epoetin", start, None))


# --- SCD -------------------------------------------------------------------------------------------
# Genotypes in European SCD cohorts: HbSS ~65%, HbSC ~22%, HbSbeta0 ~6%, HbSbeta+ ~7% (Piel et al., NEJM
# 2017;376:1561; Rees et al., Lancet 2010;376:2018). Mostly children and young adults (median age ~20-25 in
# mixed paediatric/adult registries), sex ratio ~1:1. Hb ~8 g/dL in HbSS, ~11 in HbSC; HbF ~6-9% in HbSS
# untreated, ~15-20% on hydroxyurea (Charache et al., NEJM 1995). About 40% of severe genotypes on
# hydroxyurea in European registries.
SCD_GENOTYPES = (("HbSS", 0.65), ("HbSC", 0.22), ("HbSbeta0", 0.06), ("HbSbeta+", 0.07))


def scd(rng: random.Random, site: SiteProfile, number: int) -> Record:
    sex, age, dx, birth = _base(rng, site, 0.49, 22.0, 14.0, 1.0, 75.0)
    draw, genotype = rng.random(), "HbSbeta+"
    for name, share in SCD_GENOTYPES:
        if draw < share:
            genotype = name
            break
        draw -= share
    severe = genotype in ("HbSS", "HbSbeta0")
    hu = severe and rng.random() < min(0.9, 0.4 * site.risk_mix)
    hb_mu = 8.1 if severe else 10.9
    hb = round(_clip(rng.gauss(hb_mu, 1.1) * site.lab_scale, 4.5, 15.0), 1)
    hbf = round(_clip(_lognorm(rng, 16.0 if hu else 7.0 if severe else 2.0, 0.5), 0.2, 40.0), 1)
    ldh = round(_clip(_lognorm(rng, 420.0 if severe else 260.0, 0.35), 120.0, 3000.0))
    plt = round(_clip(_lognorm(rng, 380.0 if severe else 260.0, 0.35), 60.0, 1200.0))
    anc = round(_clip(_lognorm(rng, 4.5 if not hu else 3.2, 0.4), 0.5, 20.0), 2)
    rec = Record(number, sex, birth, dx, age, genotype)
    rec.genotype = genotype
    rec.labs = [("hemoglobin", hb), ("hbf", hbf), ("ldh", ldh), ("platelets", plt), ("anc", anc)]
    if hu:
        rec.meds.append(("hydroxyurea", dx + rng.randint(0, 365), None))
    covariates = {"severe_genotype": float(severe), "hbf5": hbf / 5.0, "hydroxyurea": float(hu)}
    _draw(rng, rec, "scd", covariates)
    return rec


# --- MM --------------------------------------------------------------------------------------------
# Median age 69, M:F ~1.3 (SEER; Kyle et al., Mayo Clin Proc 2003;78:21: IgG 52%, IgA 21%, light chain
# 16%). ISS I/II/III ~28/38/34% (Greipp et al., JCO 2005;23:3412: B2M, albumin). FISH: del(17p) ~10%,
# t(4;14) ~11%, t(14;16) ~4%, gain(1q) ~35%; high LDH ~11% (Palumbo et al., JCO 2015;33:2863). ASCT in about
# 60% of patients under 70.
MM_FISH = (("t_4_14", 0.11), ("t_14_16", 0.04), ("del17p", 0.10), ("gain1q", 0.35))


def mm(rng: random.Random, site: SiteProfile, number: int) -> Record:
    sex, age, dx, birth = _base(rng, site, 0.56, 68.5, 10.0, 30.0, 95.0)
    draw = rng.random()
    subtype = "IgG" if draw < 0.62 else "IgA" if draw < 0.87 else "light-chain"
    b2m = round(_clip(_lognorm(rng, 3.6 * site.risk_mix, 0.62), 0.8, 60.0), 1)
    alb = round(_clip(rng.gauss(3.6, 0.55) * site.lab_scale, 1.5, 5.5), 1)
    ldh = round(_clip(_lognorm(rng, 190.0, 0.35), 80.0, 3000.0))
    hb = round(_clip(rng.gauss(10.6, 1.9) * site.lab_scale, 5.0, 16.5), 1)
    mprot = round(_clip(_lognorm(rng, 3.0, 0.55), 0.2, 12.0), 1) if subtype != "light-chain" else 0.0
    fish = {finding: rng.random() < freq for finding, freq in MM_FISH}
    iss = 3 if b2m >= 5.5 else 1 if b2m < 3.5 and alb >= 3.5 else 2
    high_ca = fish["del17p"] or fish["t_4_14"] or fish["t_14_16"]
    high_ldh = ldh > 250
    riss = 1 if iss == 1 and not high_ca and not high_ldh else 3 if iss == 3 and (high_ca or high_ldh) else 2
    rec = Record(number, sex, birth, dx, age, subtype)
    rec.labs = [("hemoglobin", hb), ("albumin", alb), ("b2m", b2m), ("ldh", ldh), ("m_protein", mprot)]
    rec.cyto = sorted(fish.items())
    rec.scores = [("iss", float(iss), "ISS " + "I" * iss), ("r-iss", float(riss), "R-ISS " + "I" * riss)]
    start = dx + rng.randint(7, 45)
    rec.meds = [("bortezomib", start, start + rng.randint(100, 200)), ("lenalidomide", start, None),
                ("dexamethasone", start, start + rng.randint(100, 200))]  # fmt: skip
    if rng.random() < 0.3:
        rec.meds.append(("daratumumab", start, None))
    asct = age < 70 and rng.random() < 0.6
    if asct:
        when = start + rng.randint(150, 240)
        rec.meds.append(("melphalan", when - 2, when - 1))
        rec.procedures.append(("auto-hsct", when))
    covariates = {
        f"riss{riss}": 1.0,
        "asct": float(asct),
        **{finding: float(found) for finding, found in fish.items()},
    }
    _draw(rng, rec, "mm", covariates)
    return rec


def _draw(rng: random.Random, rec: Record, use_case: str, covariates: dict[str, float]) -> None:
    """Outcomes from the ground-truth model (risk.py)."""
    times: dict[str, float] = {}
    for hazard in MODELS[use_case]:
        with_age = {**covariates, "age10": (rec.age - hazard.age_centre) / 10.0}
        rec.truth[hazard.name] = round(hazard.linear_predictor(with_age), 6)
        if hazard.name == "voc":
            years = event_time(hazard, with_age, rng.random())
            horizon = (CUTOFF - rec.dx) / YEAR
            while years < horizon and len(rec.encounters) < 40:
                start = rec.dx + int(years * YEAR)
                rec.encounters.append((start, start + max(1, int(_lognorm(rng, 4.5, 0.45)))))
                years += event_time(hazard, with_age, rng.random())
        else:
            times[hazard.name] = event_time(hazard, with_age, rng.random())
    _censor(rec, rng, times)
    rec.encounters = [stay for stay in rec.encounters if stay[1] <= rec.last]
    rec.meds = [
        (med, begin, end if end is None or end <= rec.last else None)
        for med, begin, end in rec.meds
        if begin <= rec.last
    ]
    rec.procedures = [proc for proc in rec.procedures if proc[1] <= rec.last]


GENERATORS = {"mds": mds, "scd": scd, "mm": mm}
