"""`make demo`'s harvest step: a FAIR Data Point export (ontologies/examples/fdp-export.ttl) harvested
like any source, then the review queue, where its one record that violates the shapes waits for a curator."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from api.cli.output import data_console, styled
from registry.identity import local_operator
from registry.services.harvest import HarvestSource
from registry.validation.bundle import ONTOLOGIES_DIR
from registry.wiring import Registry

SOURCE_ID = "fdp-paris"
FDP_BASE = "https://fdp.hospital.example/"  # the export's record IRIs, kept as the FDP publishes them


def fdp_export(ontologies: Path | None = None) -> Path:
    return (ontologies or ONTOLOGIES_DIR) / "examples" / "fdp-export.ttl"


def harvest_demo_source(reg: Registry, console: Console | None = None) -> None:
    console = console or data_console()
    me = local_operator("demo")
    source = HarvestSource(SOURCE_ID, str(fdp_export(reg.settings.ontologies_dir)), base=FDP_BASE)
    result = reg.harvest.harvest(me, source)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.counts.items()))
    console.print(f"  harvest {SOURCE_ID} (FAIR Data Point export): {counts}")
    queue = reg.harvest.non_conformant(me, SOURCE_ID)
    console.print(
        f"  review queue (`fairgrid review`): {len(queue)} non-conformant record(s), kept as drafts"
    )
    for item in queue:
        console.print(f"    {item.iri} (draft revision {item.revision}, never published)")
        for v in item.violations:
            console.print(styled("violation", "red", f"{v.path}: {v.message}", indent="      "))
