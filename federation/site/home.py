"""A site node's home directory: site.yaml (identity, secret, disclosure threshold, training resources),
the store, quarantine.

The secret keys the pseudonyms the ETL makes; it never leaves the site and is created once at `site init`
(file mode 0600), so pseudonyms stay stable across loads.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from registry.errors import AlreadyExists, InputError, UnreadableInput
from registry.files import ensure_folder, write_atomic

_SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
CONFIG = "site.yaml"
MAX_GPUS = 1024  # a bound on the declaration, so a typo cannot publish an absurd figure


@dataclass(frozen=True)
class SiteConfig:
    site_id: str
    secret: str
    small_cell_threshold: int = 10
    organisation: str = ""
    email: str = ""
    # What the site offers to approved training apps (site.yaml `resources:`). The one source for the
    # published fg:gpuCount, the gate's GPU decision and the SuperNode's node config `gpu`.
    gpus: int = 0
    gpu_model: str = ""

    @property
    def has_gpu(self) -> bool:
        return self.gpus > 0

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
    gpus: int = 0,
    gpu_model: str = "",
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
    gpus, gpu_model = check_resources(gpus, gpu_model)  # before anything is written
    ensure_folder(home, "a site home", hint="give --home (or FAIRGRID_SITE_HOME) a folder you can write",
                  mode=0o700)  # fmt: skip
    cfg = SiteConfig(
        site_id, secret or secrets.token_hex(32), threshold, organisation, email, gpus, gpu_model
    )
    _write_private(cfg_path, _dump(cfg))
    if force and (home / "store.duckdb").exists():
        (home / "store.duckdb").unlink()
    (home / "quarantine").mkdir(exist_ok=True)
    return SiteHome(home, cfg)


def check_resources(gpus: Any, gpu_model: Any) -> tuple[int, str]:
    """A valid (gpus, gpu_model) declaration, or InputError; a model is only kept with at least one GPU."""
    if isinstance(gpus, bool) or not isinstance(gpus, int) or not 0 <= gpus <= MAX_GPUS:
        raise InputError(
            f"the GPU count must be a whole number from 0 to {MAX_GPUS}, not {str(gpus)[:40]!r}",
            hint="the GPUs this site offers to approved training apps, e.g. --gpus 1",
        )
    if not isinstance(gpu_model, str) or len(gpu_model) > 200 or any(ord(c) < 32 for c in gpu_model):
        raise InputError("the GPU model must be one line of text (at most 200 characters)")
    if gpu_model and gpus == 0:
        raise InputError("a GPU model was given for a site that declares no GPU", hint="give --gpus N too")
    return gpus, gpu_model.strip()


def _dump(cfg: SiteConfig) -> str:
    data = asdict(cfg)
    resources = {"gpus": data.pop("gpus")}
    model = data.pop("gpu_model")
    if model:
        resources["gpu_model"] = model
    return yaml.safe_dump({**data, "resources": resources}, sort_keys=True)


def set_resources(home: Path, gpus: int, gpu_model: str = "") -> SiteHome:
    """Declare the site's training resources in its site.yaml (everything else is kept as it was)."""
    site = open_site(home)
    gpus, gpu_model = check_resources(gpus, gpu_model)
    cfg = replace(site.config, gpus=gpus, gpu_model=gpu_model)
    _write_private(home / CONFIG, _dump(cfg))
    return SiteHome(home, cfg)


def declared_gpus(home: Path) -> int:
    """The GPUs the site at `home` declares; 0 for a folder with no site.yaml (it declares nothing)."""
    return open_site(home).config.gpus if (home / CONFIG).is_file() else 0


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte: created 0600 under a temporary name,
    then renamed over the old one (writing then chmod-ing leaves the secret world-readable meanwhile)."""
    write_atomic(path, text, private=True)


def open_site(home: Path) -> SiteHome:
    cfg_path = home / CONFIG
    if not cfg_path.is_file():
        raise UnreadableInput(
            f"{home} is not a site home (no {CONFIG})", hint="run `fairgrid site init` first"
        )
    try:
        data = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
        resources = data.pop("resources", None) or {}
        if not isinstance(resources, dict) or set(resources) - {"gpus", "gpu_model"}:
            raise TypeError("`resources` takes only gpus and gpu_model")
        gpus, gpu_model = check_resources(resources.get("gpus", 0), resources.get("gpu_model", ""))
        cfg = SiteConfig(**data, gpus=gpus, gpu_model=gpu_model)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, AttributeError, InputError) as exc:
        raise UnreadableInput(
            f"{cfg_path} is not a readable site config: {exc}",
            hint="re-run `fairgrid site init`, or `fairgrid site resources` for the resources",
        ) from exc
    return SiteHome(home, cfg)
