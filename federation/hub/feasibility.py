"""Feasibility at the hub: check and normalise the question, fan it out, sum what the sites disclosed, audit.

The total is computed only from the sites' disclosed answers and says how precise it is: EXACT, ROUNDED,
LOWER_BOUND (some site answered "below its threshold"), NOISY, or UPPER_BOUND (catalogue counts). Sites that
did not answer are named, never guessed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from federation.criteria import Criteria, CriteriaError, parse_criteria
from federation.criteria import model as m
from federation.hub.audit import HubAudit
from federation.hub.broker import SiteReply, SiteStatus
from federation.hub.sites import SiteDirectory
from registry.errors import InputError, NotFound, Unavailable
from registry.identity import Identity, Role
from registry.model import Record
from registry.search.port import MAX_FIRST, SearchFilter, SearchQuery
from registry.services.records import RecordService
from registry.services.search import SearchService
from registry.services.terms import TermService
from registry.vocab import HEALTH, ICD10, ORPHA, Kind

ASKERS = (Role.RESEARCHER, Role.CONSORTIUM_MEMBER, Role.EXTERNAL_SITE)


class SiteGateway(Protocol):
    """Where the site connections are: the in-process broker, or one reached over loopback."""

    def connected(self) -> set[str]: ...

    async def ask(
        self, sites: list[str], user: str, criteria: dict[str, Any], deadline_s: float
    ) -> dict[str, SiteReply]: ...


@dataclass(frozen=True)
class SiteCount:
    site: str
    status: SiteStatus
    count: int | None = None
    precision: str | None = None
    threshold: int | None = None
    epsilon: float = 0.0
    reason: str | None = None


@dataclass(frozen=True)
class Total:
    count: int | None
    precision: str | None
    upper: int | None = None  # with LOWER_BOUND: the most the sites below their threshold could add


@dataclass(frozen=True)
class FeasibilityResult:
    query_id: str
    criteria_key: str
    source: str  # SITES | CATALOGUE
    total: Total
    sites: list[SiteCount] = field(default_factory=list)
    missing_sites: list[str] = field(default_factory=list)


def total_of(counts: list[SiteCount]) -> Total:
    ok = [c for c in counts if c.status is SiteStatus.OK]
    if not ok:
        return Total(None, None)
    known = sum(c.count or 0 for c in ok)
    hidden = [c for c in ok if c.precision == "BELOW_THRESHOLD"]
    slack = sum(max(0, (c.threshold or 1) - 1) for c in hidden)
    precisions = {c.precision for c in ok}
    precision = "EXACT"
    for name in ("ROUNDED", "BELOW_THRESHOLD", "NOISY"):  # the loosest wins
        if name in precisions:
            precision = "LOWER_BOUND" if name == "BELOW_THRESHOLD" else name
    return Total(known, precision, known + slack if hidden else None)


class FeasibilityService:
    def __init__(
        self,
        gateway: SiteGateway,
        directory: SiteDirectory,
        terms: TermService,
        records: RecordService,
        search: SearchService,
        audit: HubAudit,
        *,
        default_deadline_ms: int = 2000,
        max_deadline_ms: int = 30000,
        single_process: bool = True,
    ) -> None:
        self.gateway, self.directory, self.terms = gateway, directory, terms
        self.records, self.search_service, self.audit = records, search, audit
        self.default_deadline_ms, self.max_deadline_ms = default_deadline_ms, max_deadline_ms
        self.single_process = single_process

    @staticmethod
    def require_asker(who: Identity) -> None:
        """Who may ask, checked before anything about the question is said (401/403 before 400)."""
        who.require(*ASKERS, action="ask for feasibility counts")

    def check_single_process(self) -> None:
        if not self.single_process:
            raise Unavailable(
                "this hub runs several API worker processes, and site agents' connections would be spread "
                "over them: feasibility is not served here",
                hint="serve feasibility from one process (fairgrid serve without --workers) on its own port",
            )

    def parse(self, who: Identity, criteria: Any) -> Criteria:
        """The checked, normalised question; every code must be in the registry's terminologies."""

        def known(system: str, code: str) -> bool:
            try:
                c = self.terms.concept(who, f"ORPHA:{code}" if system == "orpha" else code)
            except (NotFound, InputError):
                return False
            return c.iri.startswith(ORPHA if system == "orpha" else ICD10)  # HP:... is no ICD-10 code

        return parse_criteria(criteria, known=known)

    def site_status(self, who: Identity) -> list[dict[str, Any]]:
        who.require(*ASKERS, Role.SITE_OPERATOR, Role.CURATOR, action="see which sites are connected")
        connected = self.gateway.connected()
        return [
            {"site": e.site_id, "name": e.name, "iri": e.iri, "connected": e.site_id in connected}
            for e in sorted(self.directory.sites().values(), key=lambda e: e.site_id)
        ]

    def _sites(self, asked: list[str] | None) -> list[str]:
        registered = sorted(self.directory.sites())
        if not asked:
            return sorted(set(registered) | self.gateway.connected())
        unknown = sorted(set(asked) - set(registered))
        if unknown:
            raise InputError(
                f"unknown site {unknown[0][:80]!r}",
                hint=f"registered sites: {', '.join(registered) or 'none'}",
            )
        return sorted(set(asked))

    def _deadline_s(self, deadline_ms: int | None) -> float:
        ms = self.default_deadline_ms if deadline_ms is None else deadline_ms
        if not 1 <= ms <= self.max_deadline_ms:
            raise InputError(f"deadline {ms} ms is outside 1..{self.max_deadline_ms} ms")
        return ms / 1000

    async def ask(
        self, who: Identity, criteria: Any, sites: list[str] | None = None, deadline_ms: int | None = None
    ) -> FeasibilityResult:
        self.require_asker(who)
        self.check_single_process()
        q = self.parse(who, criteria)
        targets, deadline_s = self._sites(sites), self._deadline_s(deadline_ms)
        try:
            replies = await self.gateway.ask(targets, who.subject, q.to_json(), deadline_s)
        except BaseException:  # cancelled (caller gone, shutdown) after the question went out to the sites
            unfinished = [
                {"site": s, "status": "UNFINISHED", "precision": None, "epsilon": 0.0} for s in targets
            ]
            self.audit.record(uuid.uuid4().hex, who.subject, "SITES", q.key, q.canonical(), unfinished, None)
            raise
        floors = {s: e.threshold for s, e in self.directory.sites().items()}
        counts = [_floored(_site_count(replies[s]), floors.get(s)) for s in targets]
        result = FeasibilityResult(
            uuid.uuid4().hex,
            q.key,
            "SITES",
            total_of(counts),
            counts,
            [c.site for c in counts if c.status is not SiteStatus.OK],
        )
        self._audit(who, result, q)
        return result

    def catalogue(self, who: Identity, criteria: Any) -> FeasibilityResult:
        """Sum of numberOfUniqueIndividuals over the dataset records whose diseases meet every group made
        only of diagnoses: an upper bound (other criteria cannot be applied to metadata; patients may be
        counted in several datasets)."""
        self.require_asker(who)
        q = self.parse(who, criteria)
        matching: set[str] | None = None
        for group in q.inclusion:
            if not all(isinstance(c, m.Diagnosis) for c in group):
                continue
            codes = [
                f"ORPHA:{c.code}" if c.system == "orpha" else c.code
                for c in group
                if isinstance(c, m.Diagnosis)
            ]
            found = self._datasets(who, SearchFilter(kinds=[Kind.DATASET.value], diseases=codes))
            matching = found if matching is None else matching & found
        if matching is None:
            matching = self._datasets(who, SearchFilter(kinds=[Kind.DATASET.value]))
        records = self.records.get_many(who, sorted(matching))
        total = 0
        for rec in records.values():
            if isinstance(rec, Record):
                value = rec.value(HEALTH + "numberOfUniqueIndividuals")
                total += int(value) if value and value.isdigit() else 0
        result = FeasibilityResult(uuid.uuid4().hex, q.key, "CATALOGUE", Total(total, "UPPER_BOUND"))
        self._audit(who, result, q)
        return result

    def _datasets(self, who: Identity, f: SearchFilter) -> set[str]:
        out: set[str] = set()
        after: str | None = None
        while True:
            res = self.search_service.search(
                who, SearchQuery(filters=f, first=MAX_FIRST, after=after, snippets=False)
            )
            out |= {h.iri for h in res.hits}
            if not res.has_next or res.end_cursor is None:
                return out
            after = res.end_cursor

    def _audit(self, who: Identity, r: FeasibilityResult, q: Criteria) -> None:
        sites = [
            {"site": c.site, "status": c.status.value, "precision": c.precision, "epsilon": c.epsilon}
            for c in r.sites
        ]
        self.audit.record(r.query_id, who.subject, r.source, q.key, q.canonical(), sites, r.total.precision)


def _site_count(reply: SiteReply) -> SiteCount:
    a = reply.answer or {}
    if reply.status is not SiteStatus.OK:
        return SiteCount(reply.site, reply.status, epsilon=float(a.get("epsilon") or 0), reason=reply.reason)
    count = a.get("count")
    return SiteCount(
        reply.site,
        SiteStatus.OK,
        int(count) if isinstance(count, int) else None,
        a.get("precision"),
        a.get("threshold"),
        float(a.get("epsilon") or 0),
    )


def _floored(c: SiteCount, threshold: int | None) -> SiteCount:
    """The site's registered fg:disclosureThreshold applied on top of its own policy: a count under it
    (a site whose policy file lets less out, or a hostile agent) is passed on as below that threshold."""
    if c.count is None or threshold is None or threshold <= 1 or c.count >= threshold:
        return c
    return SiteCount(c.site, c.status, None, "BELOW_THRESHOLD", threshold, c.epsilon, c.reason)


__all__ = ["CriteriaError", "FeasibilityResult", "FeasibilityService", "SiteCount", "SiteGateway", "Total"]
