"""The files published for a record, written into a temporary folder.

- a model: its weights (the safetensors file the record's distribution points at, kept in the hub home under
  `models/<slug>/`), `model-card.md`, `metrics.json` (per round, per site as the sites disclosed it) and
  `ro-crate-metadata.json` (a Provenance Run Crate of the federated run; registry/publish/crate.py);
- a dataset description, terminology release or catalogue: the record's RDF as Turtle and JSON-LD, and an
  RO-Crate naming them.

Every file's bytes depend only on the record and the hub home, never on the clock, so a retry of the same
publication uploads nothing twice (the publisher keeps files whose md5 Zenodo already has).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox

from registry.errors import InputError, UnreadableInput
from registry.model import Record
from registry.publish.crate import About, CrateFile, record_crate, run_crate
from registry.publish.metadata import Graph, doi_of
from registry.publish.model_card import CardFacts, render_card
from registry.publish.publisher import PackageFile
from registry.publish.training import TrainingRun, read_run
from registry.rdf import COMMON_PREFIXES, serialize
from registry.vocab import DCAT, DCT, FG, MLDCAT, PROV, Kind

WEIGHTS = "model.safetensors"
METRICS = "metrics.json"
CARD = "model-card.md"
CRATE = "ro-crate-metadata.json"
LICENCE_NAL = "http://publications.europa.eu/resource/authority/licence/"


@dataclass(frozen=True)
class Package:
    folder: Path
    files: list[PackageFile]


@contextmanager
def build_package(
    record: Record, related: Mapping[str, Record], metadata: Mapping[str, Any], *, home: Path
) -> Iterator[Package]:
    """The package for `record` in a temporary folder, removed when the block ends. `metadata` is the
    Zenodo metadata made for the same record (the card and crate repeat its title, version, licence)."""
    folder = Path(tempfile.mkdtemp(prefix="fairgrid-publish-"))
    try:
        if record.kind is Kind.MODEL:
            files = _model_files(record, related, metadata, home, folder)
        else:
            files = _rdf_files(record, metadata, folder)
        yield Package(folder, [PackageFile(p.name, p) for p in files])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _about(record: Record, g: Graph, metadata: Mapping[str, Any]) -> About:
    licences = [o.value for o in g.objects(record.iri, DCT + "license") if isinstance(o, ox.NamedNode)]
    return About(
        iri=record.iri,
        title=str(metadata["title"]),
        description=g.text(record.iri, DCT + "description") or str(metadata["title"]),
        licence=licences[0] if licences else None,
        version=str(metadata["version"]),
        date_published=str(metadata["publication_date"]),
        kind=record.kind.value,
    )


def _crate_file(path: Path, description: str = "") -> CrateFile:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return CrateFile(path.name, path.stat().st_size, h.hexdigest(), description)


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _rdf_files(record: Record, metadata: Mapping[str, Any], folder: Path) -> list[Path]:
    g = Graph(record.triples)
    triples = sorted(record.triples, key=str)  # a stable order: the same bytes on every attempt
    slug = record.kind.slug
    ttl = folder / f"{slug}.ttl"
    ttl.write_bytes(serialize(triples, ox.RdfFormat.TURTLE, COMMON_PREFIXES))
    jsonld = folder / f"{slug}.jsonld"
    jsonld.write_bytes(serialize(triples, ox.RdfFormat.JSON_LD, COMMON_PREFIXES))
    files = [
        _crate_file(ttl, "The registry record (RDF, Turtle)"),
        _crate_file(jsonld, "The registry record (RDF, JSON-LD)"),
    ]
    crate = _write_json(folder / CRATE, record_crate(_about(record, g, metadata), files))
    return [ttl, jsonld, crate]


# --- models ---------------------------------------------------------------------------------------


def weights_urls(record: Record, g: Graph) -> list[str]:
    """Where the record says its files are: distributions' download URLs and MLDCAT-AP files' URLs."""
    urls: list[str] = []
    for dist in g.objects(record.iri, DCAT + "distribution"):
        for p in (DCAT + "downloadURL", DCAT + "accessURL"):
            urls += [o.value for o in g.objects(dist, p) if isinstance(o, ox.NamedNode)]
    for f in g.objects(record.iri, MLDCAT + "hasFile"):
        urls += [o.value for o in g.objects(f, MLDCAT + "url") if isinstance(o, ox.NamedNode)]
    return sorted(dict.fromkeys(urls), key=lambda u: (not u.endswith(".safetensors"), u))


def local_weights(urls: list[str], home: Path) -> Path:
    """The weights file a URL names inside `<home>/models/`: the hub serves `models/<slug>/<file>` from
    there. Anything outside that folder (`..`, links out, other hosts' paths) is not read."""
    models = (home / "models").resolve()
    for url in urls:
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.scheme == "file":
            candidate = Path(path)
        elif "/models/" in path:
            candidate = models / path.rsplit("/models/", 1)[1]
        else:
            continue
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if resolved.is_relative_to(models) and resolved.is_file() and resolved.suffix == ".safetensors":
            return resolved
    raise InputError(
        "the model's weights are not in the hub home: none of its file URLs "
        f"({', '.join(urls[:3]) or 'none'}) names a .safetensors file under {models}",
        hint="publish a model registered by a training run (fairgrid jobs run), whose weights the hub keeps",
    )


def _site_names(g: Graph, related: Mapping[str, Record]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rec in related.values():
        if rec.kind is not Kind.SITE:
            continue
        sid = g.text(rec.iri, FG + "siteId")
        name = g.text(rec.iri, "http://xmlns.com/foaf/0.1/name")
        if sid and name:
            out[sid] = name
    return out


def _fab_hash(g: Graph) -> str | None:
    """The Flower app bundle's hash: on the model record, or on the training job its run names."""
    for t in g.triples:
        if t.predicate.value == FG + "fabHash" and isinstance(t.object, ox.Literal):
            return str(t.object.value)
    return None


def _model_files(
    record: Record, related: Mapping[str, Record], metadata: Mapping[str, Any], home: Path, folder: Path
) -> list[Path]:
    g = Graph.of(record, related)
    source = local_weights(weights_urls(record, g), home)
    weights = folder / WEIGHTS
    try:
        shutil.copyfile(source, weights)
    except OSError as exc:
        raise UnreadableInput(f"the model's weights cannot be read ({type(exc).__name__})") from None
    metrics_src = source.parent / METRICS
    run = read_run(metrics_src) if metrics_src.is_file() else TrainingRun()
    metrics = _write_json(folder / METRICS, run.to_json())
    names = _site_names(g, related)
    datasets: list[str] = []
    for p in (MLDCAT + "trainedOn", PROV + "wasDerivedFrom"):
        datasets += [o.value for o in g.objects(record.iri, p) if isinstance(o, ox.NamedNode)]
    datasets = sorted(set(datasets))
    licence = str(metadata.get("license", ""))
    facts = CardFacts(
        title=str(metadata["title"]),
        iri=record.iri,
        description=g.text(record.iri, DCT + "description") or "",
        version=str(metadata["version"]),
        licence=licence,
        creators=[str(c.get("name", "")) for c in metadata.get("creators", [])],
        datasets=[(g.text(d, DCT + "title") or d, d) for d in datasets],
        site_names=names,
        intended_use=g.text(record.iri, MLDCAT + "intendedUse", FG + "intendedUse"),
        limitations=g.text(record.iri, MLDCAT + "limitations", FG + "limitations"),
        cohort=g.text(record.iri, FG + "cohortDescription"),
        doi=doi_of(record),
        publication_year=str(metadata["publication_date"])[:4],
    )
    card = folder / CARD
    card.write_text(render_card(facts, run), encoding="utf-8")
    files = [
        _crate_file(weights, "Final model weights (safetensors)"),
        _crate_file(metrics, "Metrics per round and per site, as the sites disclosed them"),
        _crate_file(card, "Model card"),
    ]
    creators = [o.value for o in g.objects(record.iri, DCT + "creator") if isinstance(o, ox.NamedNode)]
    crate = run_crate(
        _about(record, g, metadata),
        files,
        run,
        weights=WEIGHTS,
        fab_hash=_fab_hash(g),
        site_names=names,
        datasets=datasets,
        agent=creators[0] if creators else None,
    )
    return [weights, metrics, card, _write_json(folder / CRATE, crate)]
