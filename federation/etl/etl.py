"""`fairgrid etl`: a hospital's CSV export -> pseudonymised CDM FHIR resources -> the site store.

Each row is mapped (columns, local codes through the mapping's tables, units to UCUM), built with the CDM
builders, validated with fhir.resources (R4B models) and with the site loader's CDM checks (codes, units,
impossible values). A bad row is quarantined with file:line and reason (in the report and in
HOME/quarantine/<file>.rejected.csv, which holds no row content, so no identifier); good rows load.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from federation.cdm import build
from federation.cdm import codes as cdm
from federation.cdm.units import ucum_code
from federation.etl.cells import Cells
from federation.etl.pseudo import Pseudonymiser
from federation.site.elements import RecordError
from federation.site.flatten import flatten
from federation.site.home import SiteHome
from federation.site.store import SiteStore
from registry.errors import InputError, UnreadableInput
from registry.files import ensure_folder

Json = dict[str, Any]


@dataclass
class EtlReport:
    rows: int = 0
    resources: int = 0
    loaded: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)


class _MappingLoader(yaml.SafeLoader):
    """YAML with every key as written: local codes are text, and YAML 1.1 would read the keys 1 and 2
    (sex as many national registries code it) as numbers, 010 as the octal 8, and NO or ON as booleans,
    so that a code the mapping lists was then "unknown". A key given twice is refused, not overwritten."""


def _keys_as_written(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    seen: set[str] = set()
    for key_node, _ in node.value:  # the keys written here; a merged one (<<: *codes) may be overridden
        if not isinstance(key_node, yaml.ScalarNode):  # a list or a mapping as a key
            raise yaml.constructor.ConstructorError(None, None, "a key must be text", key_node.start_mark)
        if key_node.value in seen:
            why = f"the key {key_node.value!r} is given twice"
            raise yaml.constructor.ConstructorError(None, None, why, key_node.start_mark)
        if key_node.tag != "tag:yaml.org,2002:merge":
            seen.add(key_node.value)
    loader.flatten_mapping(node)  # merged keys first, then these: the later wins, as YAML says
    return {key.value: loader.construct_object(value, deep=True) for key, value in node.value}


_MappingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _keys_as_written)


def load_mapping(path: Path) -> Json:
    try:
        mapping = yaml.load(path.read_text(encoding="utf-8"), Loader=_MappingLoader)  # noqa: S506 - a SafeLoader
    except OSError as exc:
        raise UnreadableInput(f"{path}: cannot read the mapping ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise UnreadableInput(f"{path}: the mapping is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableInput(
            f"{path}: the mapping is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    if (
        not isinstance(mapping, dict)
        or not isinstance(mapping.get("tables"), dict)
        or not isinstance(mapping.get("codes"), dict)
    ):
        raise InputError(
            f"{path}: a mapping needs `tables` and `codes`", hint="start from mappings/synthetic.yaml"
        )
    Cells.of(mapping, str(path))  # a wrong `csv:` block is refused before any row is read
    return mapping


class Mapper:
    def __init__(self, mapping: Json, pseudo: Pseudonymiser) -> None:
        self.mapping, self.pseudo = mapping, pseudo
        self.cells = Cells.of(mapping, "the mapping")
        self.codes: Json = mapping["codes"]
        self.units: dict[str, str] = {
            str(local): str(ucum) for local, ucum in (mapping.get("units") or {}).items()
        }

    def _code(self, table: str, local: str) -> Any:
        table_codes = self.codes.get(table) or {}
        if local not in table_codes:
            raise RecordError(
                f"unknown local {table} code {local!r} (add it to codes.{table} in the mapping)"
            )
        return table_codes[local]

    def table_of(self, header: list[str]) -> str | None:
        for name, spec in self.mapping["tables"].items():
            if set(spec.get("match") or []) <= set(header):
                return str(name)
        return None

    def patient(self, row: dict[str, str]) -> Json:
        spec = self.mapping["tables"]["patients"]
        local = row.get(spec["id"], "").strip()
        if not local:
            raise RecordError(f"missing patient id column {spec['id']!r}")
        sex = self._code("sex", row.get(spec["sex"], "").strip())
        born_raw = row.get(spec["birth_date"], "").strip()  # empty in an export de-identified that way
        born = self.cells.day(born_raw, "birth date") if born_raw else None
        died_raw = row.get(spec.get("death_date", ""), "").strip()
        died = self.cells.day(died_raw, "death date") if died_raw else None
        if died and born and died < born:
            raise RecordError(f"death date {died} is before birth date {born}")
        if born and born > self.pseudo.reference:
            raise RecordError(f"birth date {born} is after the reference date {self.pseudo.reference}")
        dead = self.pseudo.shift(local, died).isoformat() if died else None
        birth = self.pseudo.birth(born) if born else None
        return build.patient(self.pseudo.patient_id(local), sex, birth, dead)

    def event(self, row: dict[str, str]) -> Json:
        spec = self.mapping["tables"]["events"]
        local = row.get(spec["patient"], "").strip()
        if not local:
            raise RecordError(f"missing patient id column {spec['patient']!r}")
        pid, pseudo = self.pseudo.patient_id(local), self.pseudo
        cat = self._code("category", row.get(spec["category"], "").strip())
        code = row.get(spec["code"], "").strip()
        value = row.get(spec.get("value", ""), "").strip()
        unit = row.get(spec.get("unit", ""), "").strip()
        when = pseudo.shift(local, self.cells.day(row.get(spec["date"], ""), "event date")).isoformat()
        end_raw = row.get(spec.get("end_date", ""), "").strip()
        end = pseudo.shift(local, self.cells.day(end_raw, "end date")).isoformat() if end_raw else None
        rid = pseudo.resource_id(cat, local, row.get(spec["date"], ""), code, value, unit, end_raw)
        if cat == "diagnosis":
            use_case, subtype = self._code("diagnosis", code)
            return build.diagnosis(rid, pid, use_case, subtype, when)
        if cat == "lab":
            lab = cdm.LAB_BY_KEY[self._code("lab", code)]
            ucum = self.units.get(unit) or ucum_code(lab, unit)
            comparator, number = self.cells.bounded(value, lab.key)  # "<0.5": below what the lab measures
            return build.lab(rid, pid, lab, number, ucum, when, comparator)
        if cat == "cytogenetics":
            return build.cytogenetics(
                rid, pid, self._code("cytogenetics", code), bool(self._code("result", value)), when
            )
        if cat == "panel":
            genes = [gene for gene in value.split("|") if gene]
            unknown = [gene for gene in genes if gene not in cdm.GENES]
            if unknown or not genes:
                raise RecordError(f"unknown or missing panel genes {unknown or value!r}")
            return build.region_studied(rid, pid, genes, when)
        if cat == "variant":
            if code not in cdm.GENES:
                raise RecordError(f"unknown gene {code!r}")
            return build.variant(rid, pid, code, when, self.cells.number(value, "VAF") if value else None)
        if cat == "genotype":
            return build.genotype(rid, pid, self._code("genotype", code), when)
        if cat == "score":
            return build.score(
                rid, pid, self._code("score", code), self.cells.number(value, "score"), unit, when
            )
        if cat == "medication":
            return build.medication(rid, pid, self._code("medication", code), when, end)
        if cat == "procedure":
            return build.procedure(rid, pid, self._code("procedure", code), when)
        if cat == "admission":
            self._code("admission", code)
            if end is None:
                raise RecordError("an admission needs an end date")
            return build.encounter(rid, pid, when, end)
        if cat == "outcome":
            return build.outcome(rid, pid, self._code("outcome", code), when)
        raise RecordError(f"category {cat!r} has no CDM mapping")


def validate_fhir(res: Json) -> None:
    """Full fhir.resources (R4B) model validation; RecordError with the first problems."""
    try:
        get_fhir_model_class(res["resourceType"]).model_validate(res)
    except ValidationError as exc:
        msgs = "; ".join(
            f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()[:3]
        )
        raise RecordError(f"FHIR validation failed: {msgs}") from None


def _rows(path: Path, separator: str, encoding: str) -> Iterator[tuple[int, list[str], dict[str, str]]]:
    try:
        fh = path.open(newline="", encoding=encoding)
    except OSError as exc:
        raise UnreadableInput(f"{path}: cannot read ({exc.strerror})") from exc
    with fh:
        reader = csv.DictReader(fh, delimiter=separator)
        header = list(reader.fieldnames or [])
        try:
            for row in reader:
                yield (
                    reader.line_num,
                    header,
                    {column: (cell or "") for column, cell in row.items() if isinstance(column, str)},
                )
        except UnicodeDecodeError as exc:
            raise _not_the_encoding(path, encoding, exc) from exc
        except csv.Error as exc:
            raise UnreadableInput(f"{path}:{reader.line_num}: unreadable CSV ({exc})") from exc


def _not_the_encoding(path: Path, encoding: str, exc: UnicodeDecodeError) -> UnreadableInput:
    # the decoder reads ahead in blocks: where it failed is no line of the file, so none is named
    name = "UTF-8" if encoding == "utf-8-sig" else encoding
    bad = exc.object[exc.start : exc.start + 1]
    return UnreadableInput(
        f"{path}: the text is not {name} (it holds the byte {bad!r})",
        hint="name the export's encoding in the mapping, e.g. csv: {encoding: cp1252} for Excel on Windows",
    )


def run_etl(
    home: SiteHome,
    store: SiteStore,
    mapping: Json,
    csv_paths: list[Path],
    *,
    out: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> EtlReport:
    if out is not None:  # before anything is loaded: a load must not end in an unwritable --out
        ensure_folder(out, "the NDJSON output folder", hint="give --out a folder you can write")
    ref = mapping.get("reference_date")
    pseudo = Pseudonymiser(home.config.secret, date.fromisoformat(str(ref)) if ref else date.today())
    mapper = Mapper(mapping, pseudo)
    report = EtlReport()
    tables: dict[str, list[tuple[Path, str, str]]] = {"patients": [], "events": []}
    for path in csv_paths:
        encoding = "utf-8-sig"
        try:
            encoding = mapper.cells.encoding_of(path)
            with path.open(newline="", encoding=encoding) as fh:
                separator = mapper.cells.separator_of(fh.readline())
                fh.seek(0)
                header = next(csv.reader(fh, delimiter=separator), [])
        except UnicodeDecodeError as exc:
            raise _not_the_encoding(path, encoding, exc) from exc
        except (OSError, csv.Error) as exc:
            raise UnreadableInput(f"{path}: cannot read ({exc})") from exc
        kind = mapper.table_of(header)
        if kind not in tables:
            raise UnreadableInput(
                f"{path}: header {header} matches no table of the mapping",
                hint="check `tables.*.match` and `csv.separator` in the mapping",
            )
        tables[kind].append((path, separator, encoding))
    items: list[tuple[str, Json, str | None]] = []
    known = store.terms.known
    for kind in ("patients", "events"):
        for path, separator, encoding in tables[kind]:
            for line, _header, row in _rows(path, separator, encoding):
                report.rows += 1
                where = f"{path}:{line}"
                try:
                    res = mapper.patient(row) if kind == "patients" else mapper.event(row)
                    validate_fhir(res)
                    flatten(res, known)
                except RecordError as exc:
                    report.rejected.append((where, exc.message))
                    continue
                items.append((where, res, None))
                if progress:
                    progress(1)
    report.resources = len(items)
    load = store.load_resources(iter(items), strict=False, source=",".join(map(str, csv_paths)))
    report.rejected += load.rejected
    report.loaded, report.unchanged = load.loaded, load.unchanged
    bad = {where for where, _ in load.rejected}
    if out is not None:
        _write_ndjson(out, [res for where, res, _ in items if where not in bad])
    _quarantine(home, report.rejected)
    return report


def _write_ndjson(out: Path, resources: list[Json]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[str]] = {}
    for res in resources:
        by_type.setdefault(res["resourceType"], []).append(json.dumps(res, separators=(",", ":")))
    for rtype, lines in sorted(by_type.items()):
        (out / f"{rtype}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _quarantine(home: SiteHome, rejected: list[tuple[str, str]]) -> None:
    by_file: dict[str, list[tuple[str, str]]] = {}
    for where, reason in rejected:
        file, _, line = where.rpartition(":")
        by_file.setdefault(file, []).append((line, reason))
    home.quarantine_dir.mkdir(parents=True, exist_ok=True)
    for file, rows in by_file.items():
        with (home.quarantine_dir / (Path(file).name + ".rejected.csv")).open(
            "w", newline="", encoding="utf-8"
        ) as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(("file", "line", "reason"))
            writer.writerows((file, line, reason) for line, reason in rows)
