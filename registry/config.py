"""Settings read from the environment (FAIRGRID_*) once, with safe embedded defaults, then passed down.

`Settings.from_env()` is the only place that reads FAIRGRID_* variables for the registry and the API;
grouped sections (`auth`, `limits`) keep related settings together. A malformed value is an InputError
naming the variable, never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from registry.errors import InputError

DEFAULT_BASE_IRI = "https://w3id.org/fairgrid/"
# Terminologies are registered under their publishers' official IRIs.
TERMINOLOGY_BASES = ("http://id.who.int/icd/", "http://www.orpha.net/", "http://purl.obolibrary.org/obo/")
_TRUE = ("1", "true", "yes", "on")
N = TypeVar("N", int, float)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _number(e: Mapping[str, str], name: str, kind: type[N], default: N) -> N:
    raw = e.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InputError(
            f"{name}={raw!r} is not a number", hint=f"set {name} to a number or unset it"
        ) from None
    if value < 0:
        raise InputError(f"{name}={raw!r} must not be negative", hint=f"unset {name} for {default}")
    return value


@dataclass(frozen=True)
class AuthSettings:
    """How bearer tokens are verified: an OIDC provider's JWKS (production), or the local development
    key under $FAIRGRID_HOME/keys, and the latter only when asked for explicitly (FAIRGRID_DEV_AUTH=1)."""

    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    dev: bool = False

    @property
    def description(self) -> str:
        if self.jwks_url:
            return f"tokens verified against {self.jwks_url} (issuer {self.issuer}, audience {self.audience})"
        if self.dev:
            return "DEVELOPMENT sign-in (FAIRGRID_DEV_AUTH=1): tokens from `fairgrid dev-token` are accepted"
        return "no token verification configured"

    def check(self) -> None:
        """Refuse what a server must not start with: no verification at all, or a JWKS whose tokens
        could come from any issuer or be meant for any audience."""
        if self.jwks_url and self.dev:
            raise InputError(
                "FAIRGRID_JWKS_URL and FAIRGRID_DEV_AUTH=1 are both set",
                hint="unset FAIRGRID_DEV_AUTH in production; dev tokens are for local development only",
            )
        if self.jwks_url:
            missing = [n for n, v in (("FAIRGRID_JWT_ISSUER", self.issuer), ("FAIRGRID_JWT_AUDIENCE",
                       self.audience)) if not v]  # fmt: skip
            if missing:
                raise InputError(
                    f"FAIRGRID_JWKS_URL is set but {' and '.join(missing)} is not",
                    hint="tokens must be checked for the provider that issued them and for this registry: "
                    "set both to the values your OIDC provider puts in `iss` and `aud`",
                )
            return
        if not self.dev:
            raise InputError(
                "no way to verify sign-in tokens is configured",
                hint="set FAIRGRID_JWKS_URL, FAIRGRID_JWT_ISSUER and FAIRGRID_JWT_AUDIENCE for your OIDC "
                "provider; or, on a development machine only, FAIRGRID_DEV_AUTH=1 to accept "
                "`fairgrid dev-token` tokens",
            )

    @classmethod
    def from_env(cls, e: Mapping[str, str]) -> AuthSettings:
        return cls(
            jwks_url=e.get("FAIRGRID_JWKS_URL") or None,
            issuer=e.get("FAIRGRID_JWT_ISSUER") or None,
            audience=e.get("FAIRGRID_JWT_AUDIENCE") or None,
            dev=e.get("FAIRGRID_DEV_AUTH", "").strip().lower() in _TRUE,
        )


@dataclass(frozen=True)
class LimitSettings:
    """Protection against abusive queries (GraphQL document shape and deadline, SPARQL)."""

    graphql_max_depth: int = 10
    graphql_max_aliases: int = 15
    graphql_max_tokens: int = 2000  # the GraphiQL introspection query needs about 300
    graphql_timeout_s: float = 10.0
    sparql_timeout_s: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_concurrency: int = 4  # signed-in queries at once (each a worker process on the embedded store)
    sparql_anonymous_max_rows: int = 1_000
    sparql_anonymous_concurrency: int = 2  # a share of their own: anonymous load cannot lock users out

    @classmethod
    def from_env(cls, e: Mapping[str, str]) -> LimitSettings:
        d = cls()
        return cls(
            graphql_max_depth=_number(e, "FAIRGRID_GRAPHQL_MAX_DEPTH", int, d.graphql_max_depth),
            graphql_max_aliases=_number(e, "FAIRGRID_GRAPHQL_MAX_ALIASES", int, d.graphql_max_aliases),
            graphql_max_tokens=_number(e, "FAIRGRID_GRAPHQL_MAX_TOKENS", int, d.graphql_max_tokens),
            graphql_timeout_s=_number(e, "FAIRGRID_GRAPHQL_TIMEOUT_S", float, d.graphql_timeout_s),
            sparql_timeout_s=_number(e, "FAIRGRID_SPARQL_TIMEOUT_S", float, d.sparql_timeout_s),
            sparql_max_rows=_number(e, "FAIRGRID_SPARQL_MAX_ROWS", int, d.sparql_max_rows),
            sparql_concurrency=max(1, _number(e, "FAIRGRID_SPARQL_CONCURRENCY", int, d.sparql_concurrency)),
            sparql_anonymous_max_rows=_number(
                e, "FAIRGRID_SPARQL_ANONYMOUS_MAX_ROWS", int, d.sparql_anonymous_max_rows
            ),
            sparql_anonymous_concurrency=_number(
                e, "FAIRGRID_SPARQL_ANONYMOUS_CONCURRENCY", int, d.sparql_anonymous_concurrency
            ),
        )


@dataclass(frozen=True)
class SiteSettings:
    """A site node's process settings (its policy and identity are in site-policy.yaml and site.yaml)."""

    memory_limit: str = "1GB"  # DuckDB's share of the machine; it spills to disk past it
    terminologies: Path | None = None  # folder of SKOS terminologies for descendants (None: the bundled ones)
    # the site gate refuses every task once its last approvals sync is older (a withheld revocation)
    gate_max_staleness_s: float = 600.0
    # task processes forked from a server with torch/flwr imported (federation/site/task_processes.py)
    gate_fork_server: bool = True

    @classmethod
    def from_env(cls, e: Mapping[str, str]) -> SiteSettings:
        limit = e.get("FAIRGRID_SITE_MEMORY_LIMIT", "").strip() or "1GB"
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit):
            raise InputError(f"FAIRGRID_SITE_MEMORY_LIMIT={limit!r} is not a size", hint="e.g. 1GB or 512MB")
        folder = e.get("FAIRGRID_TERMINOLOGIES")
        staleness = _number(e, "FAIRGRID_GATE_MAX_STALENESS_S", float, 600.0)
        fork = e.get("FAIRGRID_GATE_FORK_SERVER", "").strip().lower()
        if fork not in ("", "0", "1", "true", "false"):
            raise InputError(f"FAIRGRID_GATE_FORK_SERVER={fork[:20]!r} is not 0 or 1")
        return cls(limit, Path(folder) if folder else None, staleness, fork not in ("0", "false"))


@dataclass(frozen=True)
class FederationSettings:
    """Feasibility fan-out: how long the hub waits for sites by default and at most, and how many API
    processes serve (the broker holds the site connections in one process, so it needs exactly one)."""

    deadline_ms: int = 2000
    max_deadline_ms: int = 30000
    workers: int = 1

    @classmethod
    def from_env(cls, e: Mapping[str, str]) -> FederationSettings:
        d = cls()
        return cls(
            deadline_ms=_number(e, "FAIRGRID_FEASIBILITY_DEADLINE_MS", int, d.deadline_ms),
            max_deadline_ms=_number(e, "FAIRGRID_FEASIBILITY_MAX_DEADLINE_MS", int, d.max_deadline_ms),
            workers=_number(e, "FAIRGRID_WORKERS", int, 1),
        )


class Secret:
    """A credential: its repr and str are masked, so logging or printing settings never shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class ZenodoSettings:
    """Where `fairgrid publish` deposits (the real Zenodo and its sandbox by default; `fairgrid dev-zenodo`
    for the demo and tests) and with which personal access tokens."""

    url: str = "https://zenodo.org"
    sandbox_url: str = "https://sandbox.zenodo.org"
    token: Secret | None = None
    sandbox_token: Secret | None = None
    community: str | None = None

    def target(self, sandbox: bool) -> tuple[str, Secret | None]:
        return (self.sandbox_url, self.sandbox_token) if sandbox else (self.url, self.token)

    @classmethod
    def from_env(cls, e: Mapping[str, str]) -> ZenodoSettings:
        d = cls()
        token, sandbox_token = (
            e.get("FAIRGRID_ZENODO_TOKEN", "").strip(),
            e.get("FAIRGRID_ZENODO_SANDBOX_TOKEN", "").strip(),
        )
        return cls(
            url=_http_url(e, "FAIRGRID_ZENODO_URL", d.url),
            sandbox_url=_http_url(e, "FAIRGRID_ZENODO_SANDBOX_URL", d.sandbox_url),
            token=Secret(token) if token else None,
            sandbox_token=Secret(sandbox_token) if sandbox_token else None,
            community=e.get("FAIRGRID_ZENODO_COMMUNITY", "").strip() or None,
        )


def _http_url(e: Mapping[str, str], name: str, default: str) -> str:
    raw = e.get(name, "").strip()
    if not raw:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or "@" in parts.netloc:
        raise InputError(
            f"{name} is not a plain http(s) URL",
            hint=f"e.g. {default} (the token goes in a *_TOKEN variable)",
        )
    return raw.rstrip("/")


HOME_HINT = "set FAIRGRID_HOME to a folder you can write (it is created if missing)"


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(".fairgrid"))
    base_iri: str = DEFAULT_BASE_IRI
    # IRIs in input are kept when under one of these bases; others are refused.
    allowed_bases: tuple[str, ...] = ()
    max_record_bytes: int = 50 * 1024 * 1024
    store_url: str | None = None  # SPARQL endpoint; None means embedded Oxigraph
    search_url: str | None = None  # OpenSearch/Elasticsearch; None means the embedded index
    search_alias: str | None = None  # the alias on that cluster (several registries can share one)
    port: int = 8080  # where `make demo` says the API is served
    # Other SHACL shapes / background vocabularies than the bundled ones (None: the bundled folders)
    shapes_dir: Path | None = None
    ontologies_dir: Path | None = None
    # Which bundled terminologies `fairgrid init` and the demo register: "complete" (ICD-10 2019, HPO,
    # ORPHA: ~210,000 triples) or "subset" (the use cases' few dozen codes, for quick throwaway homes)
    terminology_set: str = "complete"
    auth: AuthSettings = field(default_factory=AuthSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    # Harvest sources (id, URL or file) that `fairgrid serve` harvests every `harvest_interval_s` (0: never)
    harvest_sources: tuple[tuple[str, str], ...] = ()
    harvest_interval_s: float = 3600.0
    federation: FederationSettings = field(default_factory=FederationSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    # Where the training ServerApp (run by the SuperLink) writes each run's progress, model and metrics
    training_out: Path | None = None
    # Control API (host:port) of a SuperLink the hub dispatches approved training jobs to; keep it local
    superlink_control: str | None = None
    zenodo: ZenodoSettings = field(default_factory=ZenodoSettings)

    @property
    def all_allowed_bases(self) -> tuple[str, ...]:
        # records harvested from a configured source keep its IRIs, and curators may fix them
        harvested = tuple(
            _origin(url) for _, url in self.harvest_sources if url.startswith(("http://", "https://"))
        )
        return (self.base_iri, *TERMINOLOGY_BASES, *self.allowed_bases, *harvested)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        base = e.get("FAIRGRID_BASE_IRI", DEFAULT_BASE_IRI)
        if not base.endswith(("/", "#")):
            base += "/"
        return cls(
            home=Path(e.get("FAIRGRID_HOME", ".fairgrid")),
            base_iri=base,
            allowed_bases=_split(e.get("FAIRGRID_ALLOWED_BASES", "")),
            max_record_bytes=_number(e, "FAIRGRID_MAX_RECORD_BYTES", int, 50 * 1024 * 1024),
            store_url=e.get("FAIRGRID_STORE_URL") or None,
            search_url=e.get("FAIRGRID_SEARCH_URL") or None,
            search_alias=e.get("FAIRGRID_SEARCH_ALIAS") or None,
            port=_number(e, "FAIRGRID_PORT", int, 8080),
            shapes_dir=Path(e["FAIRGRID_SHAPES_DIR"]) if e.get("FAIRGRID_SHAPES_DIR") else None,
            ontologies_dir=Path(e["FAIRGRID_ONTOLOGIES_DIR"]) if e.get("FAIRGRID_ONTOLOGIES_DIR") else None,
            terminology_set=_terminology_set(e.get("FAIRGRID_TERMINOLOGY_SET", "")),
            auth=AuthSettings.from_env(e),
            limits=LimitSettings.from_env(e),
            federation=FederationSettings.from_env(e),
            site=SiteSettings.from_env(e),
            training_out=Path(e["FAIRGRID_TRAINING_OUT"]) if e.get("FAIRGRID_TRAINING_OUT") else None,
            superlink_control=e.get("FAIRGRID_SUPERLINK_CONTROL") or None,
            zenodo=ZenodoSettings.from_env(e),
            harvest_sources=_harvest_sources(e.get("FAIRGRID_HARVEST_SOURCES", "")),
            harvest_interval_s=_number(e, "FAIRGRID_HARVEST_INTERVAL_S", float, 3600.0),
        )


TERMINOLOGY_SETS = ("complete", "subset")


def _terminology_set(raw: str) -> str:
    value = raw.strip().lower() or "complete"
    if value not in TERMINOLOGY_SETS:
        raise InputError(
            f"FAIRGRID_TERMINOLOGY_SET={raw!r} is not one of {', '.join(TERMINOLOGY_SETS)}",
            hint="unset FAIRGRID_TERMINOLOGY_SET for the complete terminologies",
        )
    return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _harvest_sources(value: str) -> tuple[tuple[str, str], ...]:
    """FAIRGRID_HARVEST_SOURCES: `id=url-or-file,...` (ids checked where they are used)."""
    out: list[tuple[str, str]] = []
    for item in _split(value):
        sid, sep, where = item.partition("=")
        if not sep or not sid.strip() or not where.strip():
            raise InputError(
                f"FAIRGRID_HARVEST_SOURCES: {item[:80]!r} is not id=url",
                hint="list sources as id=url, comma separated, e.g. fdp-leiden=https://fdp.example.org/",
            )
        out.append((sid.strip(), where.strip()))
    if len({sid for sid, _ in out}) != len(out):
        raise InputError(
            "FAIRGRID_HARVEST_SOURCES names a source id twice", hint="give each source its own id"
        )
    return tuple(out)
