"""`fairgrid synth`: K synthetic sites of one use case, each written by emit.SiteWriter.

Layout under OUT: ground_truth.json (the risk models of risk.py), and per site `site-<k>/` with
`fhir/*.ndjson`,
`csv/patients.csv` + `csv/events.csv` (the hospital export), `truth.csv` (true linear predictors per
patient, for evaluation only) and `profile.json` (how the site differs). Same seed, same bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from federation.cdm.codes import USE_CASES
from federation.synth import risk
from federation.synth.cohort import GENERATORS, SiteProfile
from federation.synth.emit import SiteWriter
from registry.errors import InputError
from registry.files import ensure_folder


def site_profiles(use_case: str, sites: int, seed: int) -> list[SiteProfile]:
    """Sites differ in case mix, age, lab calibration, units and follow-up; with 2+ sites the last has no
    NGS panel (the consortium's "incomplete node")."""
    rng = random.Random(f"{seed}|{use_case}|profiles")
    out = []
    for index in range(sites):
        out.append(
            SiteProfile(
                index=index,
                age_shift=round(rng.uniform(-4.0, 4.0), 2),
                risk_mix=round(rng.uniform(0.8, 1.4), 2),
                lab_scale=round(rng.uniform(0.96, 1.04), 3),
                followup_years=round(rng.uniform(3.0, 10.0), 1),
                has_ngs=not (sites > 1 and index == sites - 1),
                si_units=index % 2 == 1,
            )
        )
    return out


def synthesize(
    use_case: str,
    sites: int,
    patients: int,
    seed: int,
    out: Path,
    progress: Callable[[int], None] | None = None,
) -> dict[str, object]:
    """Write the cohorts; returns a summary (resources per site and type). `patients` is per site."""
    if use_case not in USE_CASES:
        raise InputError(f"unknown use case {use_case!r}", hint=f"use one of {', '.join(USE_CASES)}")
    if sites < 1 or patients < 1:
        raise InputError("--sites and --patients must be at least 1", hint="e.g. --sites 3 --patients 1000")
    ensure_folder(out, "the output folder", hint="give --out a folder you can write")
    (out / "ground_truth.json").write_text(
        json.dumps({"seed": seed, "models": risk.describe()}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    gen = GENERATORS[use_case]
    summary: dict[str, object] = {}
    for profile in site_profiles(use_case, sites, seed):
        name = f"site-{profile.index + 1}"
        site_dir = out / name
        rng = random.Random(f"{seed}|{use_case}|site|{profile.index}")
        writer = SiteWriter(site_dir, use_case, profile, seed)
        try:
            for number in range(patients):
                writer.add(gen(rng, profile, number), rng)
                if progress and number % 1000 == 999:
                    progress(1000)
        finally:
            writer.close()
        if progress:
            progress(patients % 1000)
        (site_dir / "profile.json").write_text(
            json.dumps(
                {"use_case": use_case, "patients": patients, **asdict(profile)}, indent=2, sort_keys=True
            )
            + "\n",
            encoding="utf-8",
        )
        summary[name] = dict(writer.counts)
    return summary
