"""A site node's home directory: site.yaml (identity, secret, disclosure threshold), the store, quarantine.

The secret keys the pseudonyms the ETL makes; it never leaves the site and is created once at `site init`
(file mode 0600), so pseudonyms stay stable across loads.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from registry.errors import AlreadyExists, InputError, NotFound

_SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
CONFIG = "site.yaml"


@dataclass(frozen=True)
class SiteConfig:
    site_id: str
    secret: str
    small_cell_threshold: int = 10
    organisation: str = ""
    email: str = ""

    @property
    def display_name(self) -> str:
        return self.organisation or f"Site {self.site_id}"

    @property
    def contact_email(self) -> str:
        return self.email or f"data-access@{self.site_id}.example.org"


@dataclass(frozen=True)
class SiteHome:
    path: Path
    config: SiteConfig

    @property
    def store_path(self) -> Path:
        return self.path / "store.duckdb"

    @property
    def quarantine_dir(self) -> Path:
        return self.path / "quarantine"


def init_site(
    home: Path,
    site_id: str,
    *,
    secret: str | None = None,
    threshold: int = 10,
    organisation: str = "",
    email: str = "",
    force: bool = False,
) -> SiteHome:
    if not _SITE_ID.match(site_id):
        raise InputError(
            f"site id {site_id!r} is not valid", hint="use lower-case letters, digits and '-', e.g. site-a"
        )
    if threshold < 1:
        raise InputError("the small-cell threshold must be at least 1", hint="the consortium default is 10")
    cfg_path = home / CONFIG
    if cfg_path.exists() and not force:
        raise AlreadyExists(f"{home} is already a site home", hint="use another --home, or --force to reset")
    home.mkdir(parents=True, exist_ok=True)
    cfg = SiteConfig(site_id, secret or secrets.token_hex(32), threshold, organisation, email)
    cfg_path.write_text(yaml.safe_dump(asdict(cfg), sort_keys=True), encoding="utf-8")
    os.chmod(cfg_path, 0o600)
    if force and (home / "store.duckdb").exists():
        (home / "store.duckdb").unlink()
    (home / "quarantine").mkdir(exist_ok=True)
    return SiteHome(home, cfg)


def open_site(home: Path) -> SiteHome:
    cfg_path = home / CONFIG
    if not cfg_path.is_file():
        raise NotFound(f"{home} is not a site home (no {CONFIG})", hint="run `fairgrid site init` first")
    try:
        data = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
        cfg = SiteConfig(**data)
    except (yaml.YAMLError, TypeError) as e:
        raise InputError(
            f"{cfg_path} is not a valid site config: {e}", hint="re-run `fairgrid site init`"
        ) from e
    return SiteHome(home, cfg)
