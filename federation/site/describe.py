"""`fairgrid site describe`: HealthDCAT-AP dcat:Dataset records for a site's data, with small-cell protection.

One dataset per use case present at the site ({base}dataset/{site-id}-{use-case}). Disclosure control, with
threshold k from site.yaml (`small_cell_threshold`):
- counts (records, individuals) are published only when >= k; a dataset with fewer than k individuals
  publishes no figures at all;
- min/max typical age: ages at the last date known for each patient; the k-th youngest and k-th oldest,
  widened to their 5-year bands (so no single person's age shows);
- code values are listed only when >= k individuals carry them;
- temporal coverage runs from the k-th earliest to the k-th latest event date, widened to whole months.
Coding systems are identified by their Wikidata property IRIs, as in the HealthDCAT-AP examples.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from federation.cdm import codes as cdm
from federation.etl.pseudo import age_band
from federation.site.home import SiteHome
from federation.site.keys import site_public_key
from federation.site.store import SiteStore
from registry import vocab
from registry.config import Settings

WIKIDATA = "http://www.wikidata.org/entity/"
CODING_SYSTEM_IRIS: dict[str, str] = {
    "icd10": WIKIDATA + "P494",
    "orpha": WIKIDATA + "P1550",
    "loinc": WIKIDATA + "P4338",
    "hgnc": WIKIDATA + "P354",
    "atc": WIKIDATA + "P267",
    "snomed": WIKIDATA + "P5806",
}


def _kth(values: list[Any], threshold: int) -> tuple[Any, Any] | None:
    """(k-th smallest, k-th largest) of values, or None with fewer than k values."""
    if len(values) < threshold:
        return None
    ordered = sorted(values)
    return ordered[threshold - 1], ordered[-threshold]


def summarise(store: SiteStore, use_case: str, threshold: int) -> dict[str, Any] | None:
    """Protected figures for one use case, or None when the site has no patient with it."""
    like = " OR ".join("code LIKE ?" for _ in cdm.USE_CASE_ICD10[use_case])
    params = [prefix + "%" for prefix in cdm.USE_CASE_ICD10[use_case]]
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE d_pat AS SELECT patient_id, min(start_date) AS dx FROM fact "
        f"WHERE kind = 'diagnosis' AND system = 'icd10' AND ({like}) GROUP BY patient_id",
        params,
    )
    n_row = con.execute("SELECT count(*) FROM d_pat").fetchone()
    individuals = int(n_row[0]) if n_row else 0
    if individuals == 0:
        return None
    out: dict[str, Any] = {"use_case": use_case, "suppressed": individuals < threshold}
    if individuals < threshold:
        return out
    rec = con.execute(
        "SELECT count(*) FROM resource WHERE patient_id IN (SELECT patient_id FROM d_pat)"
    ).fetchone()
    out["individuals"] = individuals
    out["records"] = int(rec[0]) if rec else 0
    ages = [
        row[0]
        for row in con.execute(
            "SELECT date_diff('month', p.birth_date, coalesce(p.deceased_date, l.last)) // 12 FROM d_pat d "
            "JOIN patient p USING (patient_id) "
            "JOIN (SELECT patient_id, max(coalesce(end_date, start_date)) AS last "
            "FROM fact GROUP BY 1) l USING (patient_id) WHERE p.birth_date IS NOT NULL"
        ).fetchall()
    ]
    span_ages = _kth(ages, threshold)
    out["ages"] = (age_band(span_ages[0])[0], age_band(span_ages[1])[1]) if span_ages else None
    codes = con.execute(
        "SELECT system, code, count(DISTINCT patient_id) FROM fact WHERE patient_id IN (SELECT patient_id "
        "FROM d_pat) AND system IN ('icd10', 'orpha') GROUP BY 1, 2 HAVING count(DISTINCT patient_id) >= ? "
        "ORDER BY 1, 2",
        [threshold],
    ).fetchall()
    out["codes"] = [(system, code) for system, code, _ in codes]
    systems = con.execute(
        "SELECT DISTINCT system FROM fact WHERE patient_id IN (SELECT patient_id FROM d_pat) ORDER BY 1"
    ).fetchall()
    out["systems"] = [system for (system,) in systems]
    dates = con.execute(
        "SELECT d FROM (SELECT min(start_date) AS d FROM fact "
        "WHERE patient_id IN (SELECT patient_id FROM d_pat) "
        "GROUP BY patient_id UNION ALL SELECT max(coalesce(end_date, start_date)) FROM fact "
        "WHERE patient_id IN (SELECT patient_id FROM d_pat) GROUP BY patient_id)"
    ).fetchall()
    span = _kth([day for (day,) in dates if day is not None], threshold)
    if span:
        first, last = span
        end_day = calendar.monthrange(last.year, last.month)[1]
        out["temporal"] = (date(first.year, first.month, 1), date(last.year, last.month, end_day))
    return out


# What HealthDCAT-AP Release 5 requires of a NON_PUBLIC health dataset beyond DCAT-AP (shapes/README.md).
EHDS = URIRef("http://data.europa.eu/eli/reg/2025/327/oj")
PATIENT_LEVEL = URIRef("https://w3id.org/fairgrid/vocab/dataset-type/PATIENT_LEVEL")
EHR = URIRef(vocab.HEALTH_CATEGORY + "EHRS")  # HealthDCAT-AP: electronic health data from EHRs


def _kind(graph: Graph, node: BNode, name: str, email: str) -> BNode:
    vcard = Namespace(vocab.VCARD)
    graph.add((node, RDF.type, vcard.Kind))
    graph.add((node, vcard.fn, Literal(name)))
    graph.add((node, vcard.hasEmail, URIRef("mailto:" + email)))
    return node


def _health_terms(graph: Graph, ds: URIRef, site_id: str, key: str, name: str, base: str) -> None:
    """Legislation, category, type, provenance, HDAB and the federated distribution of a site dataset."""
    dcat, dct, hdcat = Namespace(vocab.DCAT), Namespace(vocab.DCT), Namespace(vocab.HEALTH)
    graph.add((ds, URIRef(vocab.DCATAP + "applicableLegislation"), EHDS))
    graph.add((ds, hdcat.healthCategory, EHR))  # site data comes from the hospitals' health records
    graph.add((ds, dct.type, PATIENT_LEVEL))
    prov = BNode(f"provenance-{key}")
    graph.add((ds, dct.provenance, prov))
    graph.add((prov, RDF.type, dct.ProvenanceStatement))
    note = f"Extracted from routine care records at {name}, pseudonymised and kept at the site."
    graph.add((prov, URIRef(vocab.RDFS + "label"), Literal(note, lang="en")))
    # Stable IRIs, not blank nodes: typed blank nodes would become new records at every registration.
    # The data stays at the site, so its access body is named after the site (a config setting later).
    hdab = URIRef(f"{base}hdab/{site_id}")
    graph.add((ds, hdcat.hdab, hdab))
    graph.add((hdab, RDF.type, URIRef(vocab.FOAF + "Organization")))
    graph.add((hdab, URIRef(vocab.FOAF + "name"), Literal(f"Health data access body for {name}")))
    hdab_contact = _kind(graph, BNode(f"hdab-contact-{site_id}"), name, f"hdab@{site_id}.example.org")
    graph.add((hdab, dcat.contactPoint, hdab_contact))
    dist = URIRef(f"{base}distribution/{key}-federated")
    graph.add((ds, dcat.distribution, dist))
    graph.add((dist, RDF.type, dcat.Distribution))
    graph.add((dist, dct.title, Literal(f"Federated analysis at {name}", lang="en")))
    graph.add((dist, dcat.accessURL, URIRef(base + "api/feasibility")))
    graph.add((dist, URIRef(vocab.DCATAP + "applicableLegislation"), EHDS))


def describe_site(home: SiteHome, store: SiteStore, settings: Settings | None = None) -> Graph:
    settings = settings or Settings.from_env()
    base = settings.base_iri
    cfg = home.config
    threshold = cfg.small_cell_threshold
    graph = Graph()
    dcat, dct, hdcat = Namespace(vocab.DCAT), Namespace(vocab.DCT), Namespace(vocab.HEALTH)
    foaf, vcard, fg = Namespace(vocab.FOAF), Namespace(vocab.VCARD), Namespace(vocab.FG)
    for prefix, ns in (
        ("dcat", dcat),
        ("dct", dct),
        ("healthdcatap", hdcat),
        ("foaf", foaf),
        ("vcard", vcard),
        ("fg", fg),
    ):
        graph.bind(prefix, ns)
    # The site publishes its own descriptions: a stable IRI, so registering again updates one Site
    # record instead of minting a new publisher each time.
    site = URIRef(f"{base}site/{cfg.site_id}")
    graph.add((site, RDF.type, fg.Site))
    graph.add((site, RDF.type, foaf.Organization))
    graph.add((site, foaf.name, Literal(cfg.display_name)))
    graph.add((site, fg.siteId, Literal(cfg.site_id)))
    # HealthDCAT-AP: a dataset's publisher has exactly one contact point
    contact = _kind(
        graph, BNode(f"contact-{cfg.site_id}"), f"Data access desk, {cfg.display_name}", cfg.contact_email
    )
    graph.add((site, dcat.contactPoint, contact))
    # The hub checks the site agent's signed answers against this key (federation/site/agent.py).
    graph.add((site, fg.signingKey, Literal(site_public_key(home.path))))
    # Declared in site.yaml `resources`; the hub's dispatch sends GPU jobs only to sites with gpuCount > 0.
    graph.add((site, fg.gpuCount, Literal(cfg.gpus, datatype=XSD.nonNegativeInteger)))
    if cfg.gpu_model:
        graph.add((site, fg.gpuModel, Literal(cfg.gpu_model)))
    for uc in cdm.USE_CASES:
        summary = summarise(store, uc, threshold)
        if summary is None:
            continue
        ds = URIRef(f"{base}dataset/{cfg.site_id}-{uc}")
        title = f"{cdm.USE_CASE_TITLES[uc]} cohort at {cfg.display_name}"
        graph.add((ds, RDF.type, dcat.Dataset))
        graph.add((ds, dct.identifier, Literal(f"{cfg.site_id}-{uc}")))
        graph.add((ds, dct.title, Literal(title, lang="en")))
        desc = (
            f"Pseudonymised patient-level data (FHIR R4B, fairgrid common data model) of the "
            f"{cdm.USE_CASE_TITLES[uc].lower()} use case held at {cfg.display_name}. Figures below "
            f"{threshold} individuals are withheld."
        )
        graph.add((ds, dct.description, Literal(desc, lang="en")))
        graph.add((ds, dct.publisher, site))
        cp = BNode(f"contact-{cfg.site_id}-{uc}")
        graph.add((ds, dcat.contactPoint, cp))
        graph.add((cp, RDF.type, vcard.Kind))
        graph.add((cp, vcard.fn, Literal(f"Data access desk, {cfg.display_name}")))
        graph.add((cp, vcard.hasEmail, URIRef("mailto:" + cfg.contact_email)))
        graph.add((ds, dcat.theme, URIRef(vocab.DATA_THEME + "HEAL")))
        graph.add((ds, dct.accessRights, URIRef(vocab.ACCESS_NON_PUBLIC)))
        graph.add((ds, fg.hostedAt, site))
        graph.add((ds, dcat.keyword, Literal(cdm.USE_CASE_TITLES[uc], lang="en")))
        _health_terms(graph, ds, cfg.site_id, f"{cfg.site_id}-{uc}", cfg.display_name, base)
        if summary["suppressed"]:
            continue
        nni = XSD.nonNegativeInteger
        graph.add((ds, hdcat.numberOfRecords, Literal(summary["records"], datatype=nni)))
        graph.add((ds, hdcat.numberOfUniqueIndividuals, Literal(summary["individuals"], datatype=nni)))
        if summary["ages"]:
            graph.add((ds, hdcat.minTypicalAge, Literal(int(summary["ages"][0]), datatype=nni)))
            graph.add((ds, hdcat.maxTypicalAge, Literal(int(summary["ages"][1]), datatype=nni)))
        for system in summary["systems"]:
            if system in CODING_SYSTEM_IRIS:
                graph.add((ds, hdcat.hasCodingSystem, URIRef(CODING_SYSTEM_IRIS[system])))
        for system, code in summary["codes"]:
            graph.add(
                (ds, hdcat.hasCodeValues, URIRef((vocab.ICD10 if system == "icd10" else vocab.ORPHA) + code))
            )
        if "temporal" in summary:
            period = BNode(f"period-{cfg.site_id}-{uc}")
            graph.add((ds, dct.temporal, period))
            graph.add((period, RDF.type, dct.PeriodOfTime))
            graph.add(
                (period, dcat.startDate, Literal(summary["temporal"][0].isoformat(), datatype=XSD.date))
            )
            graph.add((period, dcat.endDate, Literal(summary["temporal"][1].isoformat(), datatype=XSD.date)))
    return graph


def to_turtle(graph: Graph) -> str:
    return graph.serialize(format="turtle")
