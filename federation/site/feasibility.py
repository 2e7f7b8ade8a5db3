"""The site's answer to a feasibility question: evaluate on its own store, then its own disclosure control.

The site re-reads the criteria itself (it never trusts the hub's parsing), counts, passes the true count
through its policy and ledger, audits the question and returns only the disclosed answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from federation.criteria import CriteriaError, parse_criteria
from federation.site.cohort_index import CohortIndex
from federation.site.disclosure import Answer, Ledger, Status
from federation.site.home import SiteHome, open_site
from federation.site.policy import Policy, load_policy
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from registry.errors import FairgridError

LEDGER_FILE = "ledger.sqlite"


@dataclass
class Responder:
    home: SiteHome
    store: SiteStore
    policy: Policy
    ledger: Ledger

    @classmethod
    def open(cls, path: Path, *, terminology: Terminology | None = None) -> Responder:
        home = open_site(path)
        policy = load_policy(path)  # a bad policy file stops the agent before it connects
        store = SiteStore(home.store_path, terminology=terminology, read_only=True)
        return cls(home, store, policy, Ledger(path / LEDGER_FILE, home.config.secret))

    @property
    def site_id(self) -> str:
        return self.home.config.site_id

    @cached_property
    def index(self) -> CohortIndex:
        # Built once: the agent holds the store open read-only, so no load can change it meanwhile
        # (DuckDB lets a writer in only when no one else has the file open).
        return CohortIndex(self.store)

    def warm_up(self) -> None:
        """Load the unit registry, the terminology and the index before the first question, not during it."""
        q = parse_criteria({"inclusion": [[{"type": "lab", "loinc": "718-7", "max": 10, "unit": "g/L"}]]})
        self.index.count(q)

    def answer(self, user: str, criteria: Any) -> Answer:
        try:
            q = parse_criteria(criteria)
        except CriteriaError as exc:
            answer = Answer(Status.ERROR, reason=exc.message)
            self.ledger.audit(user, "-", str(criteria)[:2000], answer)
            return answer
        try:
            n = self.index.count(q)
        except FairgridError as exc:
            answer = Answer(Status.ERROR, reason=exc.message)
        else:
            answer = self.ledger.disclose(self.policy, user, q.key, n)
        self.ledger.audit(user, q.key, q.canonical(), answer)
        return answer

    def close(self) -> None:
        self.store.close()
