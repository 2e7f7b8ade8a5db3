"""Which bundled terminology files a registry registers.

ontologies/terminologies/*.ttl are small hand-checked subsets (the use cases' codes); they are also the
validation background, which needs no terminology concept (codes are checked by the term service against
the registered terminologies). ontologies/terminologies/complete/ holds ICD-10 2019, HPO and the ORPHA
codes as generated from maintained packages (generate.py there), registered by `fairgrid init` and the
demo unless FAIRGRID_TERMINOLOGY_SET=subset.
"""

from __future__ import annotations

from pathlib import Path

from registry.validation.bundle import ONTOLOGIES_DIR


def terminology_files(ontologies: Path | None = None, terminology_set: str = "complete") -> list[Path]:
    folder = (ontologies or ONTOLOGIES_DIR) / "terminologies"
    if terminology_set == "complete" and sorted((folder / "complete").glob("*.ttl")):
        folder = folder / "complete"
    return sorted(folder.glob("*.ttl"))
