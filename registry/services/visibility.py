"""Who may read a record's metadata.

Published metadata is public whatever the record's dct:accessRights: in DCAT-AP and HealthDCAT-AP that
property describes access to the *data*, and the metadata of a restricted health dataset is published
precisely so that people can find it and ask for access. A record whose metadata must not be public says
so explicitly, `fg:metadataVisibility fg:ConsortiumMetadata` (ontologies/fairgrid.ttl), and reading it
then needs a consortium role. A distribution that says nothing itself follows the datasets listing it:
consortium-only when any of them is, so the parts of a hidden dataset do not show it. Drafts are for
curators only (RecordService decides that from the revision).

Every read path (record lookup, batches, catalogue, search, SPARQL) uses these functions; none
re-derives the rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from registry.identity import Identity, Role
from registry.model import Record
from registry.sparql_text import iri, values
from registry.store.port import RecordStore
from registry.vocab import DCAT, METADATA_VISIBILITY, RDF_TYPE, VISIBILITY_CONSORTIUM, Kind

# Roles of consortium members (admin is implied by Identity.has). A researcher outside the consortium,
# a token without a known role and an anonymous caller read public metadata only.
CONSORTIUM_ROLES = (Role.CONSORTIUM_MEMBER, Role.CURATOR, Role.SITE_OPERATOR)

_DISTRIBUTION = iri(DCAT + "distribution")
_DISTRIBUTION_CLASS = iri(Kind.DISTRIBUTION.type_iri)
_TYPE = iri(RDF_TYPE)
_VARIABLE = re.compile(r"\?[A-Za-z_][A-Za-z0-9_]*\Z")
_VISIBILITY = iri(METADATA_VISIBILITY)
_CONSORTIUM = iri(VISIBILITY_CONSORTIUM)


def sees_consortium_metadata(identity: Identity) -> bool:
    return identity.has(*CONSORTIUM_ROLES)


def hidden_by_parents(store: RecordStore, dists: Sequence[str]) -> set[str]:
    """The distributions (of `dists`) that a consortium-only dataset lists."""
    if not dists:
        return set()
    rows = store.query(
        f"SELECT DISTINCT ?dist WHERE {{ VALUES ?dist {{ {values(dists)} }} "
        f"GRAPH ?d {{ ?d {_DISTRIBUTION} ?dist ; {_VISIBILITY} {_CONSORTIUM} }} }}"
    )
    return {row["dist"].value for row in rows}


def public_records(store: RecordStore, recs: Sequence[Record]) -> dict[str, bool]:
    """For each record, whether anyone (signed in or not) may read its metadata."""
    inherit = [r.iri for r in recs if r.kind is Kind.DISTRIBUTION and r.metadata_visibility is None]
    hidden = hidden_by_parents(store, inherit)
    return {r.iri: r.is_public and r.iri not in hidden for r in recs}


def public_pattern(var: str) -> str:
    """The rule of `public_records` as SPARQL filters over record graphs (a record's latest content is
    the graph named by its IRI), keeping the records bound to `var` (e.g. "?r") that anyone may read."""
    if not _VARIABLE.match(var):
        raise ValueError(f"not a SPARQL variable: {var!r}")
    # Naming the parent's graph by its subject skips the per-revision graphs (old content).
    return (
        f"FILTER NOT EXISTS {{ GRAPH {var} {{ {var} {_VISIBILITY} {_CONSORTIUM} }} }} "
        f"FILTER NOT EXISTS {{ GRAPH {var} {{ {var} {_TYPE} {_DISTRIBUTION_CLASS} "
        f"FILTER NOT EXISTS {{ {var} {_VISIBILITY} ?fg_own_visibility }} }} "
        f"GRAPH ?fg_parent {{ ?fg_parent {_DISTRIBUTION} {var} ; {_VISIBILITY} {_CONSORTIUM} }} }}"
    )


def readable(store: RecordStore, identity: Identity, recs: Sequence[Record]) -> dict[str, bool]:
    """For each record, whether this caller may read its metadata (drafts aside)."""
    if sees_consortium_metadata(identity):
        return {r.iri: True for r in recs}
    return public_records(store, recs)


def require_readable(identity: Identity, rec: Record, readable: bool) -> None:
    """Unauthenticated (anonymous) or PermissionDenied (signed in, no consortium role) when not."""
    if not readable:
        identity.require(*CONSORTIUM_ROLES, action=f"read {rec.iri}: its metadata is for the consortium only")
