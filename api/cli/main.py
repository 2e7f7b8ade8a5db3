"""The `fairgrid` command line. Presentation only: every command calls a service."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from api.cli.usage import CommandLine
from registry.config import Settings
from registry.errors import FairgridError, UnreadableInput
from registry.identity import Identity, local_operator
from registry.redact import install_log_redaction
from registry.wiring import Registry, open_registry

app = typer.Typer(
    name="fairgrid",
    help="fairgrid: FAIR metadata registry and federated queries for the hematology consortium.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=CommandLine,
)
install_log_redaction()  # store and index URLs may carry credentials: never into a log line


def settings() -> Settings:
    return Settings.from_env()


def me() -> Identity:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "local"
    return local_operator(user)


def registry(read_only: bool = False, create: bool = False) -> Registry:
    """The registry of $FAIRGRID_HOME. Only the commands that fill a registry (`init`, `import`,
    `harvest`) create one: any other refuses a home with no store, as `site` commands refuse a folder
    that is not a site home, rather than answer from a new empty registry (a mistyped FAIRGRID_HOME,
    or the default ./.fairgrid of another working directory)."""
    s = settings()
    if not create and s.store_url is None and not (s.home / "store").is_dir():
        raise UnreadableInput(
            f"no registry at {s.home.resolve()} (FAIRGRID_HOME)",
            hint="run `fairgrid init` there first, or set FAIRGRID_HOME to the registry's folder",
        )
    return open_registry(s, read_only=read_only)


def _register_commands() -> None:
    from api.cli import federation, harvest, jobs, quality, records, server, site, terms

    records.register(app)
    quality.register(app)
    harvest.register(app)
    app.add_typer(terms.app, name="terms")
    server.register(app)
    site.register(app)
    federation.register(app, site.site_app)
    jobs.register(app)
    from api.cli import dev_zenodo

    dev_zenodo.register(app)
    from api.cli import publish

    publish.register(app)


_register_commands()


def main() -> None:
    from api.cli.output import fail

    try:
        app()
    except FairgridError as exc:
        fail(exc)


if __name__ == "__main__":
    main()

__all__ = ["app", "main", "me", "registry", "settings", "Path"]
