"""Real small site homes for the training tests: synthetic cohorts (federation/synth) loaded into DuckDB
site stores, one home per synthetic site (as in `fairgrid synth`, the last site has no NGS panel)."""

from __future__ import annotations

from pathlib import Path

from federation.site.home import init_site
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from federation.synth.run import synthesize


def make_homes(root: Path, use_case: str = "mds", sites: int = 2, patients: int = 250) -> list[Path]:
    synthesize(use_case, sites, patients, 11, root / "synth")
    homes = []
    for site_dir in sorted((root / "synth").glob("site-*")):
        home = init_site(root / site_dir.name, site_dir.name, secret="test-secret", threshold=5)
        (home.path / "site-policy.yaml").write_text("threshold: 5\nrounding: 5\n", encoding="utf-8")
        with SiteStore(home.store_path, terminology=Terminology.fallback()) as store:
            store.load([site_dir / "fhir"])
        homes.append(home.path)
    return homes
