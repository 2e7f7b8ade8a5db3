"""The official HealthDCAT-AP Release 5 shapes, made plain SHACL Core and applied the way the release means.

The file (shapes/official/healthdcat-ap-shapes.ttl) is kept unchanged; this module reads it into the
form both validators (compiled and pySHACL) are given, in one place, so they cannot disagree on it:

- Its shapes reuse the DCAT-AP shapes' IRIs (`:Dataset_Shape`, ...) because the release means to
  extend an imported DCAT-AP graph. Loaded into one graph with DCAT-AP 3.0.1 they would merge and
  every dataset, health or not, would have to be NON_PUBLIC. The shapes the file defines are renamed
  into the file's own namespace (the IRI it names itself by); references to DCAT-AP shapes it does
  not define (`:Agent_Shape`, `:PeriodOfTime_Shape`) keep pointing at DCAT-AP.
- `sh:extends` is no SHACL 1.0 term, nor DASH's; the file uses it for inheritance ("the extending
  shape's nodes must also meet the extended shape"), which SHACL Core says with `sh:node`. pySHACL
  ignores unknown predicates, so unresolved it would silently drop Agent_Shape there.
- Class targets are removed: the release describes health datasets, not every DCAT record, so its
  shapes apply only inside a record that describes a health dataset (`targets`).
- The file is the NON_PUBLIC profile ("the HealthDCAT-AP NON_PUBLIC data specification"): it is
  applied as published to NON_PUBLIC health datasets. RESTRICTED data is also reached only by
  request (fairgrid's access.ttl treats the two alike), so RESTRICTED datasets get the same shape
  without its NON_PUBLIC access-right check. PUBLIC datasets get none of it: the file does not
  define the PUBLIC profile its comments refer to (its HDAB, for one, makes no sense for open data).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from registry.validation.graph import Graph, Node
from registry.vocab import (
    ACCESS_NON_PUBLIC,
    ACCESS_PUBLIC,
    ACCESS_RESTRICTED,
    DATA_THEME,
    DCAT,
    DCT,
    HEALTH,
    RDF,
    SH,
)

RELEASE_FILE = "official/healthdcat-ap-shapes.ttl"
DCATAP_SHAPES = "https://semiceu.github.io/DCAT-AP/releases/3.0.0/html/shacl/shapes.ttl#"
RELEASE_NS = "https://code.europa.eu/healthdataeu/healthdcat-ap/shapes.ttl#"
DATASET_SHAPE = RELEASE_NS + "Dataset_Shape"  # the NON_PUBLIC profile
RESTRICTED_DATASET_SHAPE = RELEASE_NS + "Dataset_Shape_RESTRICTED"  # derived here, see the module docstring
HEAL = ox.NamedNode(DATA_THEME + "HEAL")

_TYPE = ox.NamedNode(RDF + "type")
_NODE_SHAPE = ox.NamedNode(SH + "NodeShape")
_PROPERTY = ox.NamedNode(SH + "property")
_PATH = ox.NamedNode(SH + "path")
_TARGET_CLASS = ox.NamedNode(SH + "targetClass")
_EXTENDS = ox.NamedNode(SH + "extends")
_NODE = ox.NamedNode(SH + "node")
_ACCESS_RIGHTS = ox.NamedNode(DCT + "accessRights")
_THEME = ox.NamedNode(DCAT + "theme")
_DATASET = ox.NamedNode(DCAT + "Dataset")
_CATALOG = ox.NamedNode(DCAT + "Catalog")
_HAS_DATASET = ox.NamedNode(DCAT + "dataset")


@dataclass(frozen=True)
class HealthShapes:
    shapes: tuple[ox.Triple, ...] = ()
    profiles: tuple[tuple[str, str], ...] = ()  # (access right, dataset shape)
    targets: tuple[tuple[str, str], ...] = ()  # (shape, class) applied inside health records


def load_release(path: Path) -> HealthShapes:
    if not path.exists():
        return HealthShapes()
    raw = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    defined = {t.subject for t in raw if t.predicate == _TYPE and t.object == _NODE_SHAPE}

    def rename(n: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if n in defined and isinstance(n, ox.NamedNode) and n.value.startswith(DCATAP_SHAPES):
            return ox.NamedNode(RELEASE_NS + n.value[len(DCATAP_SHAPES) :])
        return n

    triples: list[ox.Triple] = []
    targets: list[tuple[str, str]] = []
    for t in raw:
        s, o = rename(t.subject), rename(t.object)
        if t.predicate == _TARGET_CLASS:
            targets.append((s.value, o.value))
            continue
        triples.append(ox.Triple(s, _NODE if t.predicate == _EXTENDS else t.predicate, o))  # type: ignore[arg-type]
    triples += _restricted_form(triples)
    return HealthShapes(
        tuple(triples),
        ((ACCESS_NON_PUBLIC, DATASET_SHAPE), (ACCESS_RESTRICTED, RESTRICTED_DATASET_SHAPE)),
        tuple((s, c) for s, c in targets if s != DATASET_SHAPE),
    )  # fmt: skip


def _restricted_form(triples: list[ox.Triple]) -> list[ox.Triple]:
    g = Graph(triples)
    dataset = ox.NamedNode(DATASET_SHAPE)
    restricted = ox.NamedNode(RESTRICTED_DATASET_SHAPE)
    out = [ox.Triple(restricted, _TYPE, _NODE_SHAPE)]
    for prop in g.objects(dataset, _PROPERTY):
        if g.value(prop, _PATH) != _ACCESS_RIGHTS:  # the one property that names NON_PUBLIC
            out.append(ox.Triple(restricted, _PROPERTY, prop))  # type: ignore[arg-type]
    return out


def is_health_dataset(data: Graph, node: Node) -> bool:
    """A dataset on the EU health theme, or one that uses any HealthDCAT-AP property."""
    if not data.is_instance(node, _DATASET):
        return False
    return HEAL in data.objects(node, _THEME) or any(
        p.value.startswith(HEALTH) for p in data.predicates_of(node)
    )


def _profiled(data: Graph, node: Node) -> bool:
    """A health dataset the release applies to: one not (only) PUBLIC."""
    if not is_health_dataset(data, node):
        return False
    return {r.value for r in data.objects(node, _ACCESS_RIGHTS)} != {ACCESS_PUBLIC}


def health_targets(health: HealthShapes, data: Graph, own: Iterable[Node]) -> list[tuple[str, Node]]:
    """(release shape, focus node) pairs for a record's own nodes.

    Each NON_PUBLIC or RESTRICTED health dataset gets the profile of its access right, and one that
    names no access right fairgrid knows the release's own (NON_PUBLIC), which then reports it. A
    record with such a dataset, or a catalogue listing one, also gets the release's class-targeted
    shapes on its own nodes of those classes."""
    nodes = list(own)
    profiles = dict(health.profiles)
    out: list[tuple[str, Node]] = []
    datasets = [n for n in nodes if _profiled(data, n)]
    for ds in datasets:
        shapes = {profiles[r.value] for r in data.objects(ds, _ACCESS_RIGHTS) if r.value in profiles}
        out += [(s, ds) for s in sorted(shapes or {DATASET_SHAPE})]
    catalogues = [
        n
        for n in nodes
        if data.is_instance(n, _CATALOG) and any(_profiled(data, d) for d in data.objects(n, _HAS_DATASET))
    ]
    if datasets or catalogues:
        for shape, cls in health.targets:
            out += [(shape, n) for n in nodes if data.is_instance(n, ox.NamedNode(cls))]
    return out
