"""Three synthetic demo sites (one per use case) for `make demo`: synthesise, init, load, describe."""

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
    "mm": "Demo Cancer Centre (MM)",
}


def build_demo_sites(root: pathlib.Path, *, patients: int = 300, seed: int = 7) -> list[pathlib.Path]:
    """Synthesise one site per use case under root, load it into its store; return the describe Turtle files.

    Re-running replaces the demo sites (their homes are re-initialised with a fixed demo secret).
    """
    root.mkdir(parents=True, exist_ok=True)
    out: list[pathlib.Path] = []
    for uc in USE_CASES:
        site_id = DEMO_SITES[uc]
        synthesize(uc, 1, patients, seed, root / "synth" / uc)
        home = init_site(
            root / "sites" / site_id,
            site_id,
            secret=f"demo-secret-{site_id}",
            organisation=ORGANISATIONS[uc],
            email=f"data-access@{site_id}.example.org",
            force=True,
        )
        with SiteStore(home.store_path, terminology=Terminology.load()) as store:
            store.load([root / "synth" / uc / "site-1" / "fhir"])
            ttl = to_turtle(describe_site(home, store))
        path = root / f"{site_id}.ttl"
        path.write_text(ttl, encoding="utf-8")
        out.append(path)
    return out
