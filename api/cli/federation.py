"""Federation commands: `site serve` (the site agent), `site audit`, `audit` (the hub's log), `feasibility`.

Presentation only: each command opens what it needs and calls a federation service.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from api.cli.output import EXIT_UNAVAILABLE, err, feasibility_table, out, print_json, styled
from api.cli.records import guarded
from registry import json_text
from registry.errors import InputError, Unavailable, UnreadableInput
from registry.redact import redact

HomeOpt = Annotated[
    Path,
    typer.Option("--home", envvar="FAIRGRID_SITE_HOME", help="site home directory (site init creates it)"),
]
SinceOpt = Annotated[str | None, typer.Option(help="only entries since this date or time (ISO 8601)")]
UserOpt = Annotated[str | None, typer.Option(help="only this user's entries")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the entries as JSON")]
AUDIT_LIMIT = 1000  # entries `fairgrid audit` lists at once, the oldest first


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError as exc:  # also a year out of range after the time zone: say which
        raise InputError(
            f"--since {value!r} is not an ISO 8601 date or time ({exc})", hint="e.g. 2026-12-01"
        ) from None


def _user(value: str | None) -> str | None:
    """An argument that is not UTF-8 arrives as lone surrogates, which no log holds (SQLite refuses them)."""
    try:
        return None if value is None else value.encode("utf-8").decode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"--user {value!r} is not UTF-8 text") from None


def _when(at: float) -> str:
    # an entry's time as the log holds it when no date has it (an edited or imported log)
    try:
        return datetime.fromtimestamp(at).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return f"{at:g}"


@guarded
def site_serve(
    home: HomeOpt,
    hub: Annotated[str, typer.Option(help="the hub's base URL, e.g. https://hub.example.org")],
    token: Annotated[
        str, typer.Option(envvar="FAIRGRID_SITE_TOKEN", help="a site-operator token for this site")
    ],
    hub_key: Annotated[
        str | None,
        typer.Option(help="the hub's Ed25519 public key (base64); default: pinned on first contact"),
    ] = None,
) -> None:
    """Run the site agent: dial out to the hub, answer feasibility questions under the site's own policy."""
    from federation.site.agent import Agent
    from federation.site.feasibility import Responder

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    responder = Responder.open(home)
    responder.warm_up()
    agent = Agent(responder, hub, token, hub_key)
    policy = responder.policy.describe()
    # the hub URL may carry credentials (https://user:password@hub/): masked as in every error and log line
    err.print(
        f"site {responder.site_id}: agent for {redact(agent.url)}; disclosure policy {json.dumps(policy)}"
    )
    try:
        asyncio.run(agent.run_forever())
    except KeyboardInterrupt:
        pass
    finally:
        responder.close()


@guarded
def site_audit(
    home: HomeOpt, since: SinceOpt = None, user: UserOpt = None, json_out: JsonOpt = False
) -> None:
    """Show the site's audit log: every question, who asked, the status, what was released, epsilon spent."""
    from federation.site.feasibility import Responder

    responder = Responder.open(home)
    try:
        entries = responder.ledger.audit_log(_since(since), _user(user))
    finally:
        responder.close()
    if json_out:
        print_json(entries)
        return
    for e in entries:
        released = e["released"] if e["released"] is not None else "-"
        line = f"{_when(e['at'])}  {e['user']}  {e['status']:<8} {released:>6}  eps {e['epsilon']:g}"
        line += f"  {e['query']}"
        out.print(line)  # a data console (output.py): criteria a site could not parse are as sent, '[/]' too


@guarded
def audit(since: SinceOpt = None, user: UserOpt = None, json_out: JsonOpt = False) -> None:
    """Show the hub's audit log: feasibility questions (statuses and precision per site; never counts),
    training-job decisions and runs (the job IRI, each site's status), publications to Zenodo (the record
    IRI, DOI, revision)."""
    from api.cli import main as cli  # here, not at import: main imports this module
    from api.federation import AUDIT_FILE
    from federation.hub.audit import HubAudit

    home = cli.settings().home
    after, who = _since(since), _user(user)
    if not home.is_dir():  # reading a log must not make a registry home where there was none
        err.print(f"no registry home at {home}: nothing has been logged there")
        entries = []
    else:
        log = HubAudit(home / AUDIT_FILE)
        try:
            entries = log.entries(after, who, limit=AUDIT_LIMIT + 1)
        finally:
            log.close()
    if len(entries) > AUDIT_LIMIT:  # said on stderr (--json stays JSON): later entries exist
        entries = entries[:AUDIT_LIMIT]
        err.print(f"showing the oldest {AUDIT_LIMIT} entries only: give --since the last one's time "
                  f"({_when(entries[-1]['at'])}) to see later ones")  # fmt: skip
    if json_out:
        print_json(entries)
        return
    for e in entries:
        when = _when(e["at"])
        if e["detail"] is not None:  # a registry event: a publication
            facts = "  ".join(f"{k} {v}" for k, v in e["detail"].items() if v is not None)
            line = f"{when}  {e['user']}  {e['source']}  {e['query']}  {facts}"
        else:
            sites = ", ".join(f"{s['site']} {s['status']}" for s in e["sites"]) or "-"
            # a job decision or run (federation/jobs/audit_entry.py ids) has no total: questions do
            total = "" if str(e["id"]).startswith(("job-", "train-")) else f"total {e['precision'] or '-'}  "
            line = f"{when}  {e['user']}  {e['source']}  {total}[{sites}]  {e['query']}"
        out.print(line)  # a data console (output.py): '[sites]' is printed, not read as a tag


@guarded
def feasibility(
    criteria: Annotated[Path, typer.Argument(help="a criteria document (JSON file; - for standard input)")],
    hub: Annotated[
        str, typer.Option(envvar="FAIRGRID_HUB", help="the hub's base URL")
    ] = "http://127.0.0.1:8080",
    token: Annotated[str | None, typer.Option(envvar="FAIRGRID_TOKEN", help="a bearer token")] = None,
    deadline_ms: Annotated[int | None, typer.Option(help="how long the hub waits for sites")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the hub's JSON answer")] = False,
) -> None:
    """Ask the hub how many patients match across the sites (per site and in total)."""
    data = sys.stdin.buffer.read() if str(criteria) == "-" else _read(criteria)
    try:
        doc = json_text.loads(data)
    except ValueError as exc:  # undecodable bytes too: the input could not be parsed (exit 2, as validate)
        raise UnreadableInput(
            f"{criteria}: not JSON ({exc})", hint="give a criteria document in JSON (UTF-8)"
        ) from None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        r = httpx.post(f"{hub.rstrip('/')}/feasibility", json={"criteria": doc, "deadline_ms": deadline_ms},
                       headers=headers, timeout=60)  # fmt: skip
    except httpx.HTTPError as exc:
        raise Unavailable(f"cannot reach the hub at {hub}: {type(exc).__name__}") from None
    body = (
        r.json()
        if r.headers.get("content-type", "").startswith(("application/json", "application/problem"))
        else {}
    )
    if r.status_code != 200:
        err.print(styled("error:", "bold red", str(body.get("detail") or r.text[:300])))
        raise typer.Exit(EXIT_UNAVAILABLE if r.status_code >= 500 else 1)
    if json_out:
        print_json(body)
        return
    feasibility_table(body)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror}") from None


def register(app: typer.Typer, site_app: typer.Typer) -> None:
    site_app.command("serve")(site_serve)
    site_app.command("audit")(site_audit)
    app.command("audit")(audit)
    app.command("feasibility")(feasibility)
