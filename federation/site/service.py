"""What the site commands do: each takes the caller's identity first (a site operator, of this site when
the identity names one), opens the site home and its store, does one thing and returns a result for the
CLI to print. Errors come from registry/errors.py (and their subclasses in store.py), so the CLI maps them to
exit codes in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from federation.etl.etl import EtlReport, load_mapping, run_etl
from federation.site import queries
from federation.site.describe import describe_site, to_turtle
from federation.site.features import FeatureTable, feature_table
from federation.site.home import SiteHome, init_site, open_site, set_resources
from federation.site.reader import Inputs, expand
from federation.site.store import LoadFailed, LoadReport, SiteStore
from registry import code_forms
from registry.errors import InputError, PermissionDenied
from registry.identity import Identity, Role

Tick = Callable[[int], None]


def _operate(who: Identity, home: Path, action: str) -> SiteHome:
    """The site home, once `who` may operate it: a site operator (or admin), of this very site if named."""
    who.require(Role.SITE_OPERATOR, action=action)
    site = open_site(home)
    _own_site(who, site.config.site_id)
    return site


def _own_site(who: Identity, site_id: str) -> None:
    if who.site is not None and who.site != site_id and Role.ADMIN not in who.roles:
        raise PermissionDenied(
            f"{who.subject} operates site {who.site}, not {site_id}",
            hint="use the site home of your own site, or a token for this one",
        )


def init(
    who: Identity,
    home: Path,
    site_id: str,
    *,
    threshold: int,
    organisation: str,
    email: str,
    force: bool,
    gpus: int = 0,
    gpu_model: str = "",
) -> SiteHome:
    """A new site home: site.yaml (id, secret, threshold, resources) and an empty store."""
    who.require(Role.SITE_OPERATOR, action="create a site home")
    _own_site(who, site_id)
    site = init_site(home, site_id, threshold=threshold, organisation=organisation, email=email,
                     gpus=gpus, gpu_model=gpu_model, force=force)  # fmt: skip
    SiteStore(site.store_path).close()
    return site


def resources(
    who: Identity, home: Path, *, gpus: int | None = None, gpu_model: str | None = None
) -> SiteHome:
    """The site's declared training resources; with gpus given, declared anew (gpu_model kept unless given).

    Published by `describe` (fg:gpuCount), read by the gate and the SuperNode's node config."""
    site = _operate(who, home, "declare a site's training resources")
    if gpus is None and gpu_model is None:
        return site
    new_gpus = site.config.gpus if gpus is None else gpus
    model = site.config.gpu_model if gpu_model is None else gpu_model
    return set_resources(home, new_gpus, "" if new_gpus == 0 and gpu_model is None else model)


def plan_load(who: Identity, home: Path, paths: list[Path]) -> Inputs:
    """The files a load of `paths` into the site at `home` would read (the home is checked first)."""
    _operate(who, home, "load data into a site store")
    return expand(paths)


def load(
    who: Identity, home: Path, inputs: Inputs, *, skip_invalid: bool, progress: Tick | None = None
) -> LoadReport:
    """Load FHIR files into the site store. Strict by default (any bad record: nothing changes); with
    skip_invalid the good records load, but a run in which none could is refused like a strict one."""
    site = _operate(who, home, "load data into a site store")
    with SiteStore(site.store_path) as store:
        report = store.load_inputs(inputs, strict=not skip_invalid, progress=progress)
    if report.read == 0:
        passed = f" ({len(inputs.skipped)} file(s) passed over as not FHIR)" if inputs.skipped else ""
        raise InputError(
            f"no FHIR resources found in the given paths{passed}; nothing was loaded",
            hint="give NDJSON files, Bundle or resource JSON files, or folders holding them",
        )
    if report.rejected and report.loaded + report.unchanged == 0:
        raise LoadFailed(
            f"none of the {report.read} records could be loaded; nothing was loaded",
            details={"errors": report.to_dict()["rejected"]},
        )
    return report


def describe(who: Identity, home: Path) -> str:
    """The site's HealthDCAT-AP description (Turtle), with small-cell protection."""
    site = _operate(who, home, "describe a site's data")
    with SiteStore(site.store_path, read_only=True) as store:
        return to_turtle(describe_site(site, store))


def stats(who: Identity, home: Path) -> dict[str, Any]:
    site = _operate(who, home, "read a site store's counts")
    with SiteStore(site.store_path, read_only=True) as store:
        return {"site": site.config.site_id, **store.stats()}


@dataclass(frozen=True)
class CountFilter:
    """The `site count` options: every one given must hold."""

    codes: list[str] = field(default_factory=list)
    sex: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    variants: list[str] = field(default_factory=list)
    medications: list[str] = field(default_factory=list)

    def criteria(self, today: date) -> list[queries.Criterion]:
        out: list[queries.Criterion] = []
        if self.codes:
            out.append(queries.HasCondition([code_forms.icd10(code) for code in self.codes]))  # D469: D46.9
        if self.sex is not None:
            out.append(queries.Sex(self.sex))
        if self.min_age is not None or self.max_age is not None:
            out.append(queries.AgeBetween(self.min_age, self.max_age, at=today))
        out += [queries.HasVariant(gene.strip().upper()) for gene in self.variants]
        out += [queries.OnMedication(med.strip()) for med in self.medications]
        return out


def count(who: Identity, home: Path, selection: CountFilter, today: date | None = None) -> int:
    """Patients matching every criterion; an unknown code, sex, gene or medication is an InputError."""
    site = _operate(who, home, "count patients in a site store")
    with SiteStore(site.store_path, read_only=True) as store:
        return queries.count(store, *selection.criteria(today or date.today()))


def features(who: Identity, home: Path, use_case: str) -> FeatureTable:
    site = _operate(who, home, "export a site's feature table")
    with SiteStore(site.store_path, read_only=True) as store:
        return feature_table(store, use_case)


def etl(
    who: Identity,
    home: Path,
    mapping: Path,
    csv_files: list[Path],
    *,
    out: Path | None,
    progress: Tick | None = None,
) -> tuple[SiteHome, EtlReport]:
    """Map a hospital CSV export to pseudonymised FHIR and load the good rows (bad ones quarantined)."""
    site = _operate(who, home, "load a hospital export into a site store")
    rules = load_mapping(mapping)
    with SiteStore(site.store_path) as store:
        return site, run_etl(site, store, rules, csv_files, out=out, progress=progress)
