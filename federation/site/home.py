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

from registry.errors import AlreadyExists, InputError, UnreadableInput

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
            f"site id {site_id!r} is not valid", hint="use lower-case letters, digits and '-', exc.g. site-a"
        )
    if threshold < 1:
        raise InputError("the small-cell threshold must be at least 1", hint="the consortium default is 10")
    cfg_path = home / CONFIG
    if cfg_path.exists() and not force:
        raise AlreadyExists(f"{home} is already a site home", hint="use another --home, or --force to reset")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    cfg = SiteConfig(site_id, secret or secrets.token_hex(32), threshold, organisation, email)
    _write_private(cfg_path, yaml.safe_dump(asdict(cfg), sort_keys=True))
    if force and (home / "store.duckdb").exists():
        (home / "store.duckdb").unlink()
    (home / "quarantine").mkdir(exist_ok=True)
    return SiteHome(home, cfg)


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte: created 0600 under a temporary name,
    then renamed over the old one (writing then chmod-ing leaves the secret world-readable meanwhile)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def open_site(home: Path) -> SiteHome:
    cfg_path = home / CONFIG
    if not cfg_path.is_file():
        raise UnreadableInput(
            f"{home} is not a site home (no {CONFIG})", hint="run `fairgrid site init` first"
        )
    try:
        data = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
        cfg = SiteConfig(**data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError) as exc:
        raise UnreadableInput(
            f"{cfg_path} is not a readable site config: {exc}", hint="re-run `fairgrid site init`"
        ) from exc
    return SiteHome(home, cfg)
