"""Where fairgrid's shapes and background vocabularies live, and which apply to what.

The official DCAT-AP 3.0.1 and MLDCAT-AP 3.1.0 shapes (copied unchanged into shapes/official/)
plus fairgrid's health, site and terminology profiles are one shapes graph; targets pick focus
nodes by class. Access-rights profiles have no targets: they are applied to each dataset whose
dct:accessRights names them, because SHACL Core has no conditional targets. The HealthDCAT-AP
Release 5 shapes join the graph in the plain form registry/validation/health.py reads them into.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from registry.validation.health import RELEASE_FILE, HealthShapes, load_release
from registry.vocab import ACCESS_NON_PUBLIC, ACCESS_PUBLIC, ACCESS_RESTRICTED

ROOT = Path(__file__).resolve().parents[2]

OFFICIAL_SHAPES = (
    "official/shapes.ttl",
    "official/range.ttl",
    "official/shapes_recommended.ttl",
    "official/mdr-vocabularies.shape.ttl",
)
FAIRGRID_SHAPES = ("health.ttl", "fairgrid.ttl", "access.ttl")
# MLDCAT-AP also constrains dcat:Dataset etc. its own way; it applies to model records only.
MODEL_SHAPES = ("official/mldcat-ap-SHACL.ttl",)

# Access right → local name of the untargeted profile shape in shapes/access.ttl.
ACCESS_PROFILES = {
    ACCESS_PUBLIC: "PublicDataset",
    ACCESS_RESTRICTED: "RestrictedDataset",
    ACCESS_NON_PUBLIC: "NonPublicDataset",
}


# The bundled folders; Settings.shapes_dir / ontologies_dir (FAIRGRID_SHAPES_DIR, ..._ONTOLOGIES_DIR) may
# name others, and are handed to the functions below by whoever holds the Settings.
SHAPES_DIR = ROOT / "shapes"
ONTOLOGIES_DIR = ROOT / "ontologies"


def shape_files(models: bool = False, shapes: Path | None = None) -> list[Path]:
    base = shapes or SHAPES_DIR
    names = (*OFFICIAL_SHAPES, *FAIRGRID_SHAPES, *(MODEL_SHAPES if models else ()))
    return [base / f for f in names if (base / f).exists()]


def background_files(ontologies: Path | None = None) -> list[Path]:
    base = ontologies or ONTOLOGIES_DIR
    files = [base / "fairgrid.ttl"]
    for sub in ("vocabularies", "terminologies"):
        files += sorted((base / sub).glob("*.ttl"))
    return [f for f in files if f.exists()]


def terminology_files(ontologies: Path | None = None) -> list[Path]:
    return sorted(((ontologies or ONTOLOGIES_DIR) / "terminologies").glob("*.ttl"))


def example_catalogue(ontologies: Path | None = None) -> Path:
    return (ontologies or ONTOLOGIES_DIR) / "examples" / "consortium.ttl"


def read_triples(files: list[Path]) -> list[ox.Triple]:
    out: list[ox.Triple] = []
    for f in files:
        out += [q.triple for q in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE)]
    return out


@dataclass(frozen=True)
class Bundle:
    shapes: tuple[ox.Triple, ...]  # for every kind
    background: tuple[ox.Triple, ...]
    model_shapes: tuple[ox.Triple, ...] = ()  # added for machine learning model records
    health: HealthShapes = HealthShapes()  # its triples are in `shapes` too


@cache
def load_bundle(shapes: Path | None = None, ontologies: Path | None = None) -> Bundle:
    base = shapes or SHAPES_DIR
    health = load_release(base / RELEASE_FILE)
    return Bundle(
        (*read_triples(shape_files(shapes=base)), *health.shapes),
        tuple(read_triples(background_files(ontologies))),
        tuple(read_triples([base / f for f in MODEL_SHAPES if (base / f).exists()])),
        health,
    )
