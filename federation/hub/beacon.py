"""A GA4GH Beacon v2 face on feasibility: the same federated, disclosure-controlled counts.

Filters are ontology terms (CURIEs) ANDed together: ICD-10 (`ICD10:D46`) and ORPHA (`ORPHA:232`, also
`Orphanet_232`) become diagnosis criteria with their descendants; an HPO term is listed among the filtering
terms (the registry holds it) but sites record no phenotypes, so a query using it is answered with an error
rather than a silent zero. Counts are the hub's totals: a lower bound when some site was below its
threshold, which `info` says, with each site's status and reason (never its count). When no site answered
(all refused, timed out, down), the answer is a Beacon error response (503) naming each site's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federation.hub.broker import SiteStatus
from federation.hub.feasibility import FeasibilityResult, FeasibilityService
from registry.errors import InputError
from registry.identity import Identity
from registry.services.terms import TermService

API_VERSION = "v2.0.1"
BEACON_ID = "org.w3id.fairgrid.beacon"
INDIVIDUAL_SCHEMA = {"entityType": "individual", "schema": "beacon-individual-v2.0.0"}
GRANULARITIES = ("boolean", "count")
NO_ANSWER = 503  # the errorCode (and HTTP status) when no site answered
_WHY = {SiteStatus.NOT_CONNECTED: "the site's agent is not connected to the hub"}


@dataclass(frozen=True)
class BeaconFilter:
    id: str
    include_descendants: bool = True


def _shown(value: str) -> str:
    """A caller's value in an error: its start, not all of it (a GET's or a body's string has no cap)."""
    return repr(value) if len(value) <= 80 else f"{value[:80]!r}... ({len(value):,} characters)"


def _term(curie: str) -> tuple[str, str] | None:
    """(system, code) for a filter id the sites can evaluate; None for HPO; InputError otherwise."""
    text = curie.strip()
    head, sep, code = text.partition(":")
    if not sep and text.lower().startswith("orphanet_"):
        head, code = "orpha", text[len("orphanet_") :]
    system = {"icd10": "icd10", "icd-10": "icd10", "orpha": "orpha", "orphanet": "orpha", "hp": "hpo"}.get(
        head.lower()
    )
    if system is None or not code:
        raise InputError(
            f"filter {_shown(curie)} is not an ICD-10, ORPHA or HPO term",
            hint="use CURIEs such as ICD10:D46 or ORPHA:232 (GET /beacon/v2/filtering_terms lists them)",
        )
    return None if system == "hpo" else (system, code)


def criteria_of(filters: list[BeaconFilter]) -> dict[str, Any]:
    if not filters:
        raise InputError("a Beacon query needs at least one filter", hint="e.g. filters=ICD10:D46")
    groups = []
    for f in filters:
        term = _term(f.id)
        if term is None:
            raise InputError(
                f"filter {_shown(f.id)}: the sites record no phenotypes (HPO), so it cannot be counted"
            )
        groups.append(
            [{"type": "diagnosis", "system": term[0], "code": term[1], "descendants": f.include_descendants}]
        )
    return {"inclusion": groups}


class BeaconService:
    def __init__(self, feasibility: FeasibilityService, terms: TermService) -> None:
        self.feasibility, self.terms = feasibility, terms

    def meta(self, granularity: str | None = None, request: dict[str, Any] | None = None) -> dict[str, Any]:
        m: dict[str, Any] = {
            "beaconId": BEACON_ID,
            "apiVersion": API_VERSION,
            "returnedSchemas": [INDIVIDUAL_SCHEMA],
        }
        if granularity is not None:
            m["returnedGranularity"] = granularity
            m["receivedRequestSummary"] = request or {}
        return m

    def info(self) -> dict[str, Any]:
        return {
            "meta": self.meta(),
            "response": {
                "id": BEACON_ID,
                "name": "fairgrid hematology consortium beacon",
                "apiVersion": API_VERSION,
                "environment": "prod",
                "organization": {"id": "genomed4all", "name": "GenoMed4All consortium"},
                "description": "Counts of individuals across the consortium's hospitals (MDS, SCD, MM), "
                "each site applying its own disclosure control; no record-level data.",
                "version": "0.1.0",
            },
        }

    def map(self, base_url: str) -> dict[str, Any]:
        """`base_url`: where the caller reached this hub (one service answers every request at once)."""
        return {
            "meta": self.meta(),
            "response": {
                "$schema": "beacon-map-v2.0.0",
                "endpointSets": {
                    "individual": {
                        "entryType": "individual",
                        "rootUrl": f"{base_url}/beacon/v2/individuals",
                        "filteringTermsUrl": f"{base_url}/beacon/v2/filtering_terms",
                    }
                },
            },
        }

    def filtering_terms(self) -> dict[str, Any]:
        terms = []
        for c in sorted(self.terms.all_concepts(), key=lambda c: c.notation or c.iri):
            n = c.notation or ""
            if n.startswith(("ORPHA:", "HP:")) or ("icd" in c.scheme and n[:1].isalpha() and "-" not in n):
                curie = n if ":" in n else f"ICD10:{n}"
                terms.append(
                    {"type": "ontologyTerm", "id": curie, "label": c.label, "scopes": ["individual"]}
                )
        resources = [
            {
                "id": "icd10",
                "name": "ICD-10 (WHO 2019)",
                "namespacePrefix": "ICD10",
                "url": "https://icd.who.int/browse10/2019/en",
            },
            {"id": "orpha", "name": "ORPHAcodes", "namespacePrefix": "ORPHA", "url": "https://www.orpha.net"},
            {
                "id": "hp",
                "name": "Human Phenotype Ontology",
                "namespacePrefix": "HP",
                "url": "https://hpo.jax.org",
            },
        ]
        return {"meta": self.meta(), "response": {"filteringTerms": terms, "resources": resources}}

    async def individuals(
        self, who: Identity, filters: list[BeaconFilter], granularity: str
    ) -> dict[str, Any]:
        self.feasibility.require_asker(who)
        if granularity not in GRANULARITIES:
            raise InputError(
                f"requestedGranularity {_shown(granularity)} is not served", hint="use boolean or count"
            )
        summary = {
            "filters": [f.id for f in filters],
            "requestedGranularity": granularity,
            "apiVersion": API_VERSION,
        }
        r: FeasibilityResult = await self.feasibility.ask(who, criteria_of(filters))
        # each site's status and why (never its count): a caller learns which sites refused and why
        sites = [
            {"site": c.site, "status": c.status.value, "reason": c.reason or _WHY.get(c.status)}
            for c in r.sites
        ]
        info = {
            "countPrecision": r.total.precision,
            "countUpperBound": r.total.upper,
            "missingSites": r.missing_sites,
            "queryId": r.query_id,
            "sites": sites,
        }
        if r.total.count is None:
            # no site answered: "exists: false" would be an answer; Beacon says an error response instead
            why = "; ".join(f"{s['site']}: {s['status']}" + (f" ({s['reason']})" if s["reason"] else "")
                            for s in sites) or "no site is registered"  # fmt: skip
            error = {"errorCode": NO_ANSWER, "errorMessage": f"no site could answer: {why}"}
            return {"meta": self.meta(granularity, summary), "error": error, "info": info}
        response: dict[str, Any] = {"exists": r.total.count > 0}
        if granularity == "count":
            response["numTotalResults"] = r.total.count
        return {"meta": self.meta(granularity, summary), "responseSummary": response, "info": info}
