"""The demo sites: MDS patients at two sites (the Cancer Centre treats MDS beside MM), SCD at one."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCTERMS

from federation.site.demo import build_demo_sites
from federation.site.home import open_site
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from federation.training.data import from_store

D46 = '{"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}'


def test_the_cancer_centre_holds_mds_beside_mm_and_describes_both(tmp_path: Path) -> None:
    files = build_demo_sites(tmp_path, patients=60)
    datasets = {}
    for f in files:
        graph = Graph().parse(f)
        datasets[f.stem] = sorted(str(o) for o in graph.objects(None, DCTERMS.identifier))
    assert datasets == {
        "demo-mds": ["demo-mds-mds"],
        "demo-scd": ["demo-scd-scd"],
        "demo-mm": ["demo-mm-mds", "demo-mm-mm"],
    }
    assert "Cancer Centre (MM, MDS)" in (tmp_path / "demo-mm.ttl").read_text()
    labelled: dict[str, set[str]] = {}
    for site in ("demo-mds", "demo-mm", "demo-scd"):
        home = open_site(tmp_path / "sites" / site)
        with SiteStore(home.store_path, terminology=Terminology.load(), read_only=True) as store:
            labelled[site] = set(from_store(store, "mds-aml", D46).patient_ids)
    # the MDS job trains at two sites, on different patients; the SCD site has no MDS patient
    assert labelled["demo-mds"] and labelled["demo-mm"] and not labelled["demo-scd"]
    assert not labelled["demo-mds"] & labelled["demo-mm"]
