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

from federation.cdm import codes as c
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


def _kth(values: list[Any], k: int) -> tuple[Any, Any] | None:
    """(k-th smallest, k-th largest) of values, or None with fewer than k values."""
    if len(values) < k:
        return None
    s = sorted(values)
    return s[k - 1], s[-k]


def summarise(store: SiteStore, use_case: str, k: int) -> dict[str, Any] | None:
    """Protected figures for one use case, or None when the site has no patient with it."""
    like = " OR ".join("code LIKE ?" for _ in c.USE_CASE_ICD10[use_case])
    params = [p + "%" for p in c.USE_CASE_ICD10[use_case]]
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE d_pat AS SELECT patient_id, min(start_date) AS dx FROM fact "
        f"WHERE kind = 'diagnosis' AND system = 'icd10' AND ({like}) GROUP BY patient_id",
        params,
    )
    n_row = con.execute("SELECT count(*) FROM d_pat").fetchone()
    n = int(n_row[0]) if n_row else 0
    if n == 0:
        return None
    out: dict[str, Any] = {"use_case": use_case, "suppressed": n < k}
    if n < k:
        return out
    rec = con.execute(
        "SELECT count(*) FROM resource WHERE patient_id IN (SELECT patient_id FROM d_pat)"
    ).fetchone()
    out["individuals"] = n
    out["records"] = int(rec[0]) if rec else 0
    ages = [
        r[0]
        for r in con.execute(
            "SELECT date_diff('month', p.birth_date, coalesce(p.deceased_date, l.last)) // 12 FROM d_pat d "
            "JOIN patient p USING (patient_id) "
            "JOIN (SELECT patient_id, max(coalesce(end_date, start_date)) AS last "
            "FROM fact GROUP BY 1) l USING (patient_id)"
        ).fetchall()
    ]
    span_ages = _kth(ages, k)
    out["ages"] = (age_band(span_ages[0])[0], age_band(span_ages[1])[1]) if span_ages else None
    codes = con.execute(
        "SELECT system, code, count(DISTINCT patient_id) FROM fact WHERE patient_id IN (SELECT patient_id "
        "FROM d_pat) AND system IN ('icd10', 'orpha') GROUP BY 1, 2 HAVING count(DISTINCT patient_id) >= ? "
        "ORDER BY 1, 2",
        [k],
    ).fetchall()
    out["codes"] = [(s, code) for s, code, _ in codes]
    systems = con.execute(
        "SELECT DISTINCT system FROM fact WHERE patient_id IN (SELECT patient_id FROM d_pat) ORDER BY 1"
    ).fetchall()
    out["systems"] = [s for (s,) in systems]
    dates = con.execute(
        "SELECT d FROM (SELECT min(start_date) AS d FROM fact "
        "WHERE patient_id IN (SELECT patient_id FROM d_pat) "
        "GROUP BY patient_id UNION ALL SELECT max(coalesce(end_date, start_date)) FROM fact "
        "WHERE patient_id IN (SELECT patient_id FROM d_pat) GROUP BY patient_id)"
    ).fetchall()
    span = _kth([d for (d,) in dates if d is not None], k)
    if span:
        first, last = span
        end_day = calendar.monthrange(last.year, last.month)[1]
        out["temporal"] = (date(first.year, first.month, 1), date(last.year, last.month, end_day))
    return out


def describe_site(home: SiteHome, store: SiteStore, settings: Settings | None = None) -> Graph:
    settings = settings or Settings.from_env()
    base = settings.base_iri
    cfg = home.config
    k = cfg.small_cell_threshold
    g = Graph()
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
        g.bind(prefix, ns)
    # The site publishes its own descriptions: a stable IRI, so registering again updates one Site
    # record instead of minting a new publisher each time.
    site = URIRef(f"{base}site/{cfg.site_id}")
    g.add((site, RDF.type, fg.Site))
    g.add((site, RDF.type, foaf.Organization))
    g.add((site, foaf.name, Literal(cfg.display_name)))
    g.add((site, fg.siteId, Literal(cfg.site_id)))
    # The hub checks the site agent's signed answers against this key (federation/site/agent.py).
    g.add((site, fg.signingKey, Literal(site_public_key(home.path))))
    for uc in c.USE_CASES:
        s = summarise(store, uc, k)
        if s is None:
            continue
        ds = URIRef(f"{base}dataset/{cfg.site_id}-{uc}")
        title = f"{c.USE_CASE_TITLES[uc]} cohort at {cfg.display_name}"
        g.add((ds, RDF.type, dcat.Dataset))
        g.add((ds, dct.identifier, Literal(f"{cfg.site_id}-{uc}")))
        g.add((ds, dct.title, Literal(title, lang="en")))
        desc = (
            f"Pseudonymised patient-level data (FHIR R4B, fairgrid common data model) of the "
            f"{c.USE_CASE_TITLES[uc].lower()} use case held at {cfg.display_name}. Figures below "
            f"{k} individuals are withheld."
        )
        g.add((ds, dct.description, Literal(desc, lang="en")))
        g.add((ds, dct.publisher, site))
        cp = BNode(f"contact-{cfg.site_id}-{uc}")
        g.add((ds, dcat.contactPoint, cp))
        g.add((cp, RDF.type, vcard.Kind))
        g.add((cp, vcard.fn, Literal(f"Data access desk, {cfg.display_name}")))
        g.add((cp, vcard.hasEmail, URIRef("mailto:" + cfg.contact_email)))
        g.add((ds, dcat.theme, URIRef(vocab.DATA_THEME + "HEAL")))
        g.add((ds, dct.accessRights, URIRef(vocab.ACCESS_NON_PUBLIC)))
        g.add((ds, fg.hostedAt, site))
        g.add((ds, dcat.keyword, Literal(c.USE_CASE_TITLES[uc], lang="en")))
        if s["suppressed"]:
            continue
        nni = XSD.nonNegativeInteger
        g.add((ds, hdcat.numberOfRecords, Literal(s["records"], datatype=nni)))
        g.add((ds, hdcat.numberOfUniqueIndividuals, Literal(s["individuals"], datatype=nni)))
        if s["ages"]:
            g.add((ds, hdcat.minTypicalAge, Literal(int(s["ages"][0]), datatype=nni)))
            g.add((ds, hdcat.maxTypicalAge, Literal(int(s["ages"][1]), datatype=nni)))
        for system in s["systems"]:
            if system in CODING_SYSTEM_IRIS:
                g.add((ds, hdcat.hasCodingSystem, URIRef(CODING_SYSTEM_IRIS[system])))
        for system, code in s["codes"]:
            g.add(
                (ds, hdcat.hasCodeValues, URIRef((vocab.ICD10 if system == "icd10" else vocab.ORPHA) + code))
            )
        if "temporal" in s:
            period = BNode(f"period-{cfg.site_id}-{uc}")
            g.add((ds, dct.temporal, period))
            g.add((period, RDF.type, dct.PeriodOfTime))
            g.add((period, dcat.startDate, Literal(s["temporal"][0].isoformat(), datatype=XSD.date)))
            g.add((period, dcat.endDate, Literal(s["temporal"][1].isoformat(), datatype=XSD.date)))
    return g


def to_turtle(g: Graph) -> str:
    return g.serialize(format="turtle")
