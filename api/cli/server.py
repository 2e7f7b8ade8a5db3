"""Server commands: serve, dev-token, reindex, index-sync (registered on the `fairgrid` CLI)."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Annotated

import httpx
import typer

from api import serving
from api.cli import main
from api.cli.output import EXIT_INVALID, EXIT_UNAVAILABLE, err, out, print_json, styled
from api.cli.records import guarded, progress
from registry.config import Settings
from registry.errors import InputError, Unavailable
from registry.wiring import Registry, open_registry

if TYPE_CHECKING:
    import uvicorn


def _server(settings: Settings, host: str, port: int, log_level: str) -> tuple[uvicorn.Server, Registry]:
    import uvicorn

    from api.app import create_app
    from api.auth import Authenticator

    reg = open_registry(settings)
    app = create_app(reg, Authenticator(settings))
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, **serving.server_options())
    return uvicorn.Server(config), reg


def _print_urls(urls: dict[str, str]) -> None:
    for name, url in urls.items():
        out.print(f"{name:>10}: {url}")


@guarded
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
    workers: Annotated[
        int,
        typer.Option(
            envvar="FAIRGRID_WORKERS",
            help="worker processes (0: one per CPU core); more than 1 needs FAIRGRID_STORE_URL",
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level (warning hides access lines)")] = "info",
    once: Annotated[
        bool, typer.Option("--once", help="start, check /readyz, print the URLs and stop (for tests)")
    ] = False,
) -> None:
    """Serve the HTTP API (REST, linked data, SPARQL, GraphQL) on the registry home.

    Sign-in needs FAIRGRID_JWKS_URL with FAIRGRID_JWT_ISSUER and FAIRGRID_JWT_AUDIENCE, or, on a
    development machine, FAIRGRID_DEV_AUTH=1; without either the server refuses to start (exit 1)."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is not a TCP port", hint="e.g. --port 8080 (0: any free port)")
    settings = main.settings()
    settings.auth.check()
    if settings.auth.dev:
        err.print(
            styled("warning:", "bold yellow", f"{settings.auth.description}; never use this in production")
        )
    base = f"http://{host}:{port}"
    urls = {"api docs": f"{base}/docs", "graphql": f"{base}/graphql", "sparql": f"{base}/sparql",
            "catalogue": f"{base}/catalog", "readiness": f"{base}/readyz"}  # fmt: skip
    n = serving.worker_count(workers)
    level = "warning" if once else log_level
    if n > 1:
        serving.check_workers(settings, n)
        if not once:
            _print_urls(urls)
            out.print(f"   workers: {n}")
            serving.run_workers(settings, host, port, n, level)
            return
        status: list[int] = []

        def report(ready: httpx.Response) -> None:
            _print_urls(urls)
            out.print(f"   workers: {n}\nreadiness: {ready.status_code} {ready.text}")
            status.append(ready.status_code)

        if not serving.run_workers(settings, host, port, n, level, on_ready=report):
            err.print(styled("error:", "bold red", f"the workers did not start on {base}"))
            raise typer.Exit(EXIT_UNAVAILABLE)
        if status != [200]:
            raise typer.Exit(EXIT_UNAVAILABLE)
        return
    sock = _listen(host, port)  # before the store is opened: a taken port is refused, never a traceback
    server, reg = _server(settings, host, port, level)
    try:
        if not once:
            _print_urls(urls)
            server.run(sockets=[sock])
            return
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not server.started:
            err.print(styled("error:", "bold red", f"the server did not start on {base}"))
            raise typer.Exit(EXIT_UNAVAILABLE)
        ready = httpx.get(f"{base}/readyz", timeout=10)
        _print_urls(urls)
        out.print(f"readiness: {ready.status_code} {ready.text}")
        server.should_exit = True
        thread.join(15)
        if ready.status_code != 200:
            raise typer.Exit(EXIT_UNAVAILABLE)
    finally:
        reg.close()
        sock.close()


def _listen(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror}", hint="check --host") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise Unavailable(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="another process may use the port: stop it or choose another --port",
        ) from None
    return sock


@guarded
def dev_token(
    role: Annotated[list[str], typer.Option("--role", help="role(s): researcher, curator, admin, ...")],
    subject: Annotated[str, typer.Option(help="the token's subject (user name)")] = "dev-user",
    ttl: Annotated[int, typer.Option(help="lifetime in seconds")] = 8 * 3600,
    site: Annotated[
        str | None, typer.Option(help="the site id a site-operator token operates (its `site` claim)")
    ] = None,
) -> None:
    """Print a development bearer token signed with the key under $FAIRGRID_HOME/keys. Only a server
    started with FAIRGRID_DEV_AUTH=1 (as `make demo` does) accepts it."""
    from api.auth import dev_token as make_token
    from api.auth import parse_role

    if ttl < 1:  # a token that has expired when printed signs nobody in
        raise InputError(f"--ttl {ttl}: a token must live at least 1 second", hint="e.g. --ttl 3600")
    settings = main.settings()
    roles = [parse_role(r) for r in role]
    typer.echo(make_token(settings.home, subject, roles, ttl_s=ttl, site=site))
    if not settings.auth.dev:
        err.print("note: only a server started with FAIRGRID_DEV_AUTH=1 accepts this token", style="dim")


@guarded
def reindex() -> None:
    """Rebuild the search index from the store (the new index replaces the old one when complete)."""
    with main.registry() as reg:
        with progress() as bar:
            task = bar.add_task("reindexing", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            n = reg.search.reindex(main.me(), progress=step)
        out.print(f"indexed {n} record(s)")


@guarded
def index_sync(
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Drain the outbox into the search index once. Exit 3 when entries stay pending (index down),
    1 when records were left out because the index cannot hold them."""
    with main.registry() as reg:
        report = reg.search.sync()
    if json_out:
        print_json(report.__dict__)
    else:
        out.print(f"indexed {report.indexed}, deleted {report.deleted}, pending {report.pending}")
        if report.error:
            err.print(styled("index unavailable:", "yellow", report.error))
        for iri, why in report.unindexable.items():
            err.print(styled("left out of the index:", "red", f"{iri}: {why}"))
    if report.error:
        raise typer.Exit(EXIT_UNAVAILABLE)
    if report.unindexable:
        raise typer.Exit(EXIT_INVALID)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("dev-token")(dev_token)
    app.command("reindex")(reindex)
    app.command("index-sync")(index_sync)
