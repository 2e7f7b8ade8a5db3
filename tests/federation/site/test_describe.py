from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from federation.site.describe import describe_site
from federation.site.home import SiteHome, init_site
from federation.site.store import SiteStore
from registry import vocab
from registry.config import Settings

H = Namespace(vocab.HEALTH)
DCAT = Namespace(vocab.DCAT)
DCT = Namespace(vocab.DCT)
SETTINGS = Settings(base_iri="https://example.org/fg/")


def _describe(tmp_path: Path, store: SiteStore, threshold: int) -> Graph:
    home = init_site(tmp_path / f"h{threshold}", "site-t", secret="x", threshold=threshold)
    return describe_site(home, store, SETTINGS)


def test_dataset_record(store: SiteStore, home: SiteHome, cohorts: dict[str, Path], tmp_path: Path) -> None:
    store.load([cohorts["mds"] / "site-1" / "fhir"])
    g = describe_site(home, store, SETTINGS)
    ds = URIRef("https://example.org/fg/dataset/site-t-mds")
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert (ds, H.numberOfUniqueIndividuals, Literal(60, datatype=XSD.nonNegativeInteger)) in g
    assert int(g.value(ds, H.numberOfRecords)) > 60
    assert (ds, URIRef(vocab.FG + "hostedAt"), URIRef("https://example.org/fg/site/site-t")) in g
    assert (ds, DCAT.theme, URIRef(vocab.DATA_THEME + "HEAL")) in g
    assert (ds, DCT.accessRights, URIRef(vocab.ACCESS_NON_PUBLIC)) in g
    assert (ds, H.hasCodingSystem, URIRef("http://www.wikidata.org/entity/P494")) in g
    lo, hi = int(g.value(ds, H.minTypicalAge)), int(g.value(ds, H.maxTypicalAge))
    assert lo % 5 == 0 and hi % 5 == 4 and lo < hi  # 5-year bands
    period = g.value(ds, DCT.temporal)
    assert g.value(period, DCAT.startDate).datatype == XSD.date
    cp = g.value(ds, DCAT.contactPoint)
    assert str(g.value(cp, URIRef(vocab.VCARD + "hasEmail"))).startswith("mailto:")
    assert g.value(g.value(ds, DCT.publisher), URIRef(vocab.FOAF + "name")) is not None


def test_small_cells_suppressed(store: SiteStore, cohorts: dict[str, Path], tmp_path: Path) -> None:
    store.load([cohorts["mds"] / "site-1" / "fhir"])
    n_rows = store.con.execute(
        "SELECT code, count(DISTINCT patient_id) FROM fact WHERE system = 'icd10' GROUP BY 1"
    ).fetchall()
    counts = dict(n_rows)
    k = 10
    g = _describe(tmp_path, store, k)
    ds = URIRef("https://example.org/fg/dataset/site-t-mds")
    listed = {str(o).rsplit("/", 1)[1] for o in g.objects(ds, H.hasCodeValues) if vocab.ICD10 in str(o)}
    assert listed == {code for code, n in counts.items() if n >= k}
    assert any(n < k for n in counts.values())  # the test exercises a small cell
    # a threshold above the cohort size withholds every figure
    g = _describe(tmp_path, store, 61)
    assert (ds, RDF.type, DCAT.Dataset) in g
    for p in (H.numberOfRecords, H.numberOfUniqueIndividuals, H.minTypicalAge, H.hasCodeValues, DCT.temporal):
        assert g.value(ds, p) is None


def test_patients_without_birth_dates_are_described_without_ages(store: SiteStore, tmp_path: Path) -> None:
    """A site whose export leaves birth dates out describes its patients; the age range is left out."""
    import json

    from federation.cdm import build
    from federation.site.describe import summarise

    res = []
    for i in range(12):
        patient = build.patient(f"p{i}", "male", "1950-01")
        del patient["birthDate"]
        res += [patient, build.diagnosis(f"p{i}-dx", f"p{i}", "mm", "IgG", "2017-01-01")]
    (tmp_path / "in.ndjson").write_text("\n".join(json.dumps(r) for r in res) + "\n")
    store.load([tmp_path / "in.ndjson"])
    summary = summarise(store, "mm", 10)
    assert summary is not None and summary["individuals"] == 12 and summary["ages"] is None
