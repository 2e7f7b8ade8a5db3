"""`fairgrid dev-zenodo`: serve the local stand-in for Zenodo (api/dev_zenodo) for the demo and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.output import err, out, styled
from api.cli.records import guarded
from api.dev_zenodo.app import DEFAULT_MAX_FILE_BYTES, NOTICE
from api.dev_zenodo.faults import Fault, FaultError, parse
from api.dev_zenodo.server import bind, build
from registry.errors import InputError, Unavailable


def register(app: typer.Typer) -> None:
    app.command(name="dev-zenodo")(dev_zenodo)


@guarded
def dev_zenodo(
    port: Annotated[int, typer.Option(help="TCP port (0: any free port)")] = 0,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    data: Annotated[
        Path | None, typer.Option(help="folder for the state (SQLite); default: a new temporary folder")
    ] = None,
    token: Annotated[
        list[str] | None,
        typer.Option("--token", help="accepted API token (repeatable); default: one made up"),
    ] = None,
    max_file_bytes: Annotated[
        int, typer.Option(help="largest file accepted (413 above)")
    ] = DEFAULT_MAX_FILE_BYTES,
    fail: Annotated[
        list[str] | None,
        typer.Option(
            help="inject failures, e.g. 'route=/api/files/*,status=503,count=2,method=PUT' (repeatable)"
        ),
    ] = None,
    fail_rate: Annotated[float, typer.Option(help="fail this share of API requests with 503 (0..1)")] = 0.0,
    seed: Annotated[int | None, typer.Option(help="random seed for --fail-rate")] = None,
    rate_limit: Annotated[
        int, typer.Option(help="API requests per minute per client, as Zenodo limits them (0: no limit)")
    ] = 0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
) -> None:
    """Serve a LOCAL STAND-IN for Zenodo's deposit API (not Zenodo; DOIs under the test prefix 10.5072)."""
    if not 0.0 <= fail_rate <= 1.0:
        raise InputError(f"--fail-rate {fail_rate} is not between 0 and 1")
    if rate_limit < 0:
        raise InputError("--rate-limit must not be negative")
    if max_file_bytes < 1:
        raise InputError("--max-file-bytes must be at least 1")
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is not a TCP port")
    faults: list[Fault] = []
    for spec in fail or []:
        try:
            faults.append(parse(spec))
        except FaultError as exc:
            raise InputError(f"--fail {spec!r}: {exc}", hint="see `fairgrid dev-zenodo --help`") from None
    tokens = [t for t in token or [] if t]
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    run = build(sock, data, tokens, max_file_bytes=max_file_bytes, fault_rate=fail_rate, seed=seed,
                rate_limit=rate_limit, faults=faults, log_level=log_level)  # fmt: skip
    err.print(styled(NOTICE, "bold yellow"))
    out.print(f"listening on {run.url}")
    out.print(f"set FAIRGRID_ZENODO_URL={run.url}")
    if not tokens:
        # A throw-away token for a local fake, shown once so the user can set it; given tokens are not echoed.
        out.print(f"set FAIRGRID_ZENODO_TOKEN={run.token}")
    out.print(f"state in {run.zenodo.store.path}")
    run.server.run(sockets=[sock])
