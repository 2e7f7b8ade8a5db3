"""Three synthetic demo sites for `make demo`: synthesise, init, load, describe.

Each site has its own use case; the Cancer Centre (demo-mm) also treats MDS, so it holds a second MDS
cohort (synthetic MDS site 2: SI units and no NGS panel, the consortium's "incomplete node") beside its
MM patients. The MDS training job thus trains at two sites, and demo-scd (paediatric SCD only) declines.
"""

from __future__ import annotations

import pathlib

from federation.cdm.codes import USE_CASES
from federation.site.describe import describe_site, to_turtle
from federation.site.home import init_site
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from federation.synth.run import synthesize

DEMO_SITES = {"mds": "demo-mds", "scd": "demo-scd", "mm": "demo-mm"}
ORGANISATIONS = {
    "mds": "Demo University Hospital (MDS)",
    "scd": "Demo Children's Hospital (SCD)",
    "mm": "Demo Cancer Centre (MM, MDS)",
}
# Synthetic cohorts loaded into each site: (use case, synth site number). MDS is synthesised with two
# sites so the two MDS cohorts differ as real hospitals do (case mix, units, follow-up, NGS).
COHORTS = {
    "demo-mds": [("mds", 1)],
    "demo-scd": [("scd", 1)],
    "demo-mm": [("mm", 1), ("mds", 2)],
}


def build_demo_sites(root: pathlib.Path, *, patients: int = 300, seed: int = 7) -> list[pathlib.Path]:
    """Synthesise the demo cohorts under root, load each site's into its store; return the describe Turtle
    files. `patients` is per cohort.

    Re-running replaces the demo sites (their homes are re-initialised with a fixed demo secret).
    """
    root.mkdir(parents=True, exist_ok=True)
    for uc in USE_CASES:
        n_sites = max(k for cohorts in COHORTS.values() for c, k in cohorts if c == uc)
        synthesize(uc, n_sites, patients, seed, root / "synth" / uc)
    out: list[pathlib.Path] = []
    for uc in USE_CASES:
        site_id = DEMO_SITES[uc]
        home = init_site(
            root / "sites" / site_id,
            site_id,
            secret=f"demo-secret-{site_id}",
            organisation=ORGANISATIONS[uc],
            email=f"data-access@{site_id}.example.org",
            force=True,
        )
        with SiteStore(home.store_path, terminology=Terminology.load()) as store:
            store.load([root / "synth" / c / f"site-{k}" / "fhir" for c, k in COHORTS[site_id]])
            ttl = to_turtle(describe_site(home, store))
        path = root / f"{site_id}.ttl"
        path.write_text(ttl, encoding="utf-8")
        out.append(path)
    return out
