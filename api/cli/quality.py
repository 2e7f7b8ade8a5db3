"""`fairgrid quality`: the catalogue's metadata-quality distribution (MQA rating bands, dimensions)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli import main
from api.cli.output import out, print_json
from api.cli.records import guarded
from registry.errors import InputError
from registry.services.quality_report import distribution
from registry.vocab import Kind


def register(app: typer.Typer) -> None:
    app.command(name="quality")(quality)


@guarded
def quality(
    kind: Annotated[str, typer.Option(help="record kind (Dataset, DataService, ...) or 'all'")] = "Dataset",
    json: Annotated[bool, typer.Option("--json", help="print the distribution as JSON")] = False,
) -> None:
    """Metadata quality over the catalogue (data.europa.eu MQA points): rating bands, dimension averages."""
    chosen = _kind(kind)
    with main.registry() as reg:
        dist = distribution(main.me(), reg.store, chosen)
    if json:
        print_json(dist.to_dict())
        return
    what = f"{chosen.value} records" if chosen is not None else "records"
    out.print(
        f"{dist.scored} scored {what} (+{dist.unscored} stored before scoring); average "
        f"{dist.average_total} of {dist.max_assessed} assessable points ({dist.max_total} in the MQA; "
        "URL reachability needs the network and is not assessed)"
    )
    bands = Table(title="Rating bands (MQA)")
    for col in ("band", "records", ""):
        bands.add_column(col)
    top = max(dist.bands.values(), default=0) or 1
    for name, n in dist.bands.items():
        bands.add_row(name, str(n), "#" * round(30 * n / top))
    out.print(bands)
    dims = Table(title="Average points per dimension")
    for col in ("dimension", "average", "assessed of", "MQA maximum"):
        dims.add_column(col)
    for d in dist.dimensions:
        dims.add_row(d.name, f"{d.average:g}", str(d.max_assessed), str(d.max))
    out.print(dims)


def _kind(name: str) -> Kind | None:
    if name.lower() == "all":
        return None
    for k in Kind:
        if name.lower() in (k.value.lower(), k.name.lower(), k.slug):
            return k
    raise InputError(f"unknown record kind {name!r}", hint="one of: all, " + ", ".join(k.value for k in Kind))
