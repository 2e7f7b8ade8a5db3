"""The site node's analytical store: one DuckDB file per site.

Why DuckDB: the workload is analytical (counts and feature tables over a few million facts), it is embedded
(no server at the hospital), columnar, loads CSV/NDJSON at memory speed, and has real transactions, so a load
is atomic. SQLite would do the same transactions but scans and aggregates several times slower.

Tables: `resource` (one row per FHIR resource, its JSON and content hash), `patient` (sex, birth and death
dates), `fact` (one row per coded element: diagnoses, labs in canonical units, findings, variants,
medications, procedures, encounters, with dates) and `load_log`.
Loads replace resources by type/id (so reloading the same data changes nothing) inside one transaction.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from federation.site.elements import OutsideCdm, RecordError
from federation.site.flatten import flatten
from federation.site.reader import Inputs, expand, read_items
from federation.site.statuses import not_counted
from federation.site.terminology import Terminology
from registry.config import Settings
from registry.errors import FairgridError, InputError, Unavailable, UnreadableInput

SCHEMA = """
CREATE TABLE IF NOT EXISTS resource (key VARCHAR, rtype VARCHAR, id VARCHAR, patient_id VARCHAR,
    hash VARCHAR, json VARCHAR);
CREATE TABLE IF NOT EXISTS patient (patient_id VARCHAR, sex VARCHAR, birth_date DATE, deceased_date DATE,
    deceased BOOLEAN);
CREATE TABLE IF NOT EXISTS fact (rid VARCHAR, idx INTEGER, patient_id VARCHAR, rtype VARCHAR, kind VARCHAR,
    system VARCHAR, code VARCHAR, value_num DOUBLE, unit VARCHAR, value_code VARCHAR, start_date DATE,
    end_date DATE);
CREATE TABLE IF NOT EXISTS load_log (loaded_at TIMESTAMP, sources VARCHAR, resources BIGINT, changed BIGINT);
"""
# Stores made before the deceased column (deceasedBoolean) get it, filled from the death dates they hold.
MIGRATE = """
ALTER TABLE patient ADD COLUMN IF NOT EXISTS deceased BOOLEAN;
UPDATE patient SET deceased = deceased_date IS NOT NULL WHERE deceased IS NULL;
"""
_COLUMNS = {
    "resource": "{'key':'VARCHAR','rtype':'VARCHAR','id':'VARCHAR','patient_id':'VARCHAR','hash':'VARCHAR',"
    "'json':'VARCHAR'}",
    "patient": "{'patient_id':'VARCHAR','sex':'VARCHAR','birth_date':'DATE','deceased_date':'DATE',"
    "'deceased':'BOOLEAN'}",
    "fact": "{'rid':'VARCHAR','idx':'INTEGER','patient_id':'VARCHAR','rtype':'VARCHAR','kind':'VARCHAR',"
    "'system':'VARCHAR','code':'VARCHAR','value_num':'DOUBLE','unit':'VARCHAR','value_code':'VARCHAR',"
    "'start_date':'DATE','end_date':'DATE'}",
}


# DuckDB's read_csv refuses a staging line over 2,000,000 bytes (its max_line_size) and the whole load with it
MAX_RESOURCE_BYTES = 1_000_000


class LoadFailed(InputError):
    code = "load_failed"
    hint = "fix the listed records (file:line and reason) and load again; the store is unchanged"


@dataclass
class LoadReport:
    read: int = 0
    loaded: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    narratives_dropped: int = 0  # resources whose text.div was left out of the store
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files passed over in folders, and why
    # resources stored without facts, as their status says (statuses.py), by reason
    not_counted: dict[str, int] = field(default_factory=dict)
    # resources of FHIR types the CDM does not use, by type: read, not stored
    passed_over: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "unchanged": self.unchanged,
            "rejected": [{"where": where, "reason": reason} for where, reason in self.rejected],
            "narratives_dropped": self.narratives_dropped,
            "skipped": [{"where": where, "reason": reason} for where, reason in self.skipped],
            "not_counted": dict(sorted(self.not_counted.items())),
            "passed_over": dict(sorted(self.passed_over.items())),
        }


# One input item: where it came from (file:line) and the parsed JSON, the raw text, or the error.
Item = tuple[str, Any, str | None]


class SiteStore:
    def __init__(self, path: Path | str, *, terminology: Terminology | None = None, read_only: bool = False):
        self.path = Path(path)
        self.terminology = terminology
        if read_only and not self.path.is_file():  # DuckDB would call this an I/O error
            raise UnreadableInput(f"{self.path}: no site store here", hint="run `fairgrid site init` first")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise Unavailable(f"cannot open the site store {self.path}: {exc}") from exc
        # DuckDB takes most of the machine by default; a site node shares it with other work, and
        # DuckDB spills to disk past the limit instead of failing.
        self.con.execute("SET memory_limit = ?", [Settings.from_env().site.memory_limit])
        # SQL for "the patient died"; a store older than the deceased column, read-only, has dates only
        self.deceased = "deceased"
        if not read_only:
            self.con.execute(SCHEMA)
            self.con.execute(MIGRATE)
        elif not self.con.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'patient' AND column_name = ?",
            ["deceased"],
        ).fetchone():
            self.deceased = "(deceased_date IS NOT NULL)"

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> SiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def terms(self) -> Terminology:
        if self.terminology is None:
            self.terminology = Terminology.load()
        return self.terminology

    # --- loading -------------------------------------------------------------------------------------

    def load_resources(self, items: Iterable[Item], *, strict: bool = True, source: str = "") -> LoadReport:
        """Check, flatten and load resources atomically.

        strict: any bad record fails the whole load (LoadFailed lists every one) and nothing changes.
        Not strict: bad records are reported in the returned LoadReport and the good ones load.
        Rows stream to temporary TSV files (memory stays flat), which DuckDB then reads in one transaction.
        """
        with tempfile.TemporaryDirectory(prefix="fairgrid-load-") as tmp:
            files = {table: Path(tmp) / f"{table}.tsv" for table in ("resource", "patient", "fact")}
            with (
                files["resource"].open("w", encoding="utf-8", newline="") as fr,
                files["patient"].open("w", encoding="utf-8", newline="") as fp,
                files["fact"].open("w", encoding="utf-8", newline="") as ff,
            ):
                report, accepted, drop = self._stage(items, _TsvSink(fr), _TsvSink(fp), _TsvSink(ff))
            if report.rejected and strict:
                raise LoadFailed(
                    f"{len(report.rejected)} of {report.read} records rejected; nothing was loaded",
                    details={"errors": report.to_dict()["rejected"]},
                )
            if accepted:  # a run that stores nothing is no load: not written, not in load_log
                self._write(files, accepted, sorted(drop), report, source)
        return report

    def _stage(
        self, items: Iterable[Item], res_out: _TsvSink, pat_out: _TsvSink, fact_out: _TsvSink
    ) -> tuple[LoadReport, int, set[str]]:
        report = LoadReport()
        known = self.terms.known
        seen: dict[str, str] = {}
        patients: set[str] = set()
        refs: list[tuple[str, str, str]] = []  # where, patient id, resource key
        for where, obj, raw in items:
            report.read += 1
            if isinstance(obj, FairgridError):
                report.rejected.append((where, obj.message))
                continue
            try:
                rtype, rid, pid, rfacts, prow = flatten(obj, known)
            except OutsideCdm as exc:  # a Practitioner in a FHIR server's export: not wrong, not used
                report.passed_over[exc.message] = report.passed_over.get(exc.message, 0) + 1
                continue
            except RecordError as exc:
                report.rejected.append((where, exc.message))
                continue
            key = f"{rtype}/{rid}"
            if key in seen:
                report.rejected.append((where, f"duplicate id {key} (first at {seen[key]})"))
                continue
            narrative = drop_narrative(obj)  # free text that can name the patient never reaches the store
            text = raw if raw is not None and not narrative else _dumps(obj)
            if "\t" in text or "\n" in text:
                text = text.replace("\t", " ").replace("\n", " ")
            size = len(text.encode())
            if size > MAX_RESOURCE_BYTES:  # the staging file's line limit; a CDM resource is a few KB
                report.rejected.append((where, f"{key} is {size:,} bytes; at most {MAX_RESOURCE_BYTES:,}"))
                continue
            seen[key] = where
            report.narratives_dropped += narrative
            if not rfacts and not prow and (void := not_counted(obj)):
                report.not_counted[void] = report.not_counted.get(void, 0) + 1
            if prow:
                patients.add(pid)
                pat_out.add(prow)
            else:
                refs.append((where, pid, key))
            res_out.add(
                (key, rtype, rid, pid, hashlib.blake2b(text.encode(), digest_size=12).hexdigest(), text)
            )
            for fact_row in rfacts:
                fact_out.add(fact_row)
        res_out.close()
        pat_out.close()
        fact_out.close()
        # every non-patient resource must point at a patient in this load or already in the store
        known_pids = patients | self.patient_ids()
        drop: set[str] = set()
        for where, pid, key in refs:
            if pid not in known_pids:
                report.rejected.append(
                    (where, f"subject Patient/{pid} is neither in this load nor in the store")
                )
                drop.add(key)
        return report, len(seen) - len(drop), drop

    def _write(
        self, files: dict[str, Path], accepted: int, drop: list[str], report: LoadReport, source: str
    ) -> None:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for name, path in files.items():
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE s_{name} AS SELECT * FROM read_csv(?, header=false, "
                    f"delim='\t', quote='', escape='', columns={_COLUMNS[name]}, auto_detect=false)",
                    [str(path)],
                )
            if drop:  # records whose patient is missing (non-strict loads only)
                con.execute("DELETE FROM s_resource WHERE list_contains(?, key)", [drop])
                con.execute("DELETE FROM s_fact WHERE list_contains(?, rid)", [drop])
            row = con.execute(
                "SELECT count(*) FROM s_resource s JOIN resource r ON r.key = s.key AND r.hash = s.hash"
            ).fetchone()
            report.unchanged = int(row[0]) if row else 0
            report.loaded = accepted - report.unchanged
            self._replace()
            con.execute(
                "INSERT INTO load_log VALUES (?, ?, ?, ?)",
                [datetime.now(UTC).replace(tzinfo=None), source, accepted, report.loaded],
            )
            con.execute("COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, FairgridError):
                raise
            if isinstance(exc, duckdb.Error):
                raise Unavailable(f"the site store rejected the load and was rolled back: {exc}") from exc
            raise
        finally:
            for name in files:
                con.execute(f"DROP TABLE IF EXISTS s_{name}")

    def _replace(self) -> None:
        con = self.con
        con.execute("DELETE FROM fact WHERE rid IN (SELECT key FROM s_resource)")
        con.execute("DELETE FROM resource WHERE key IN (SELECT key FROM s_resource)")
        con.execute("DELETE FROM patient WHERE patient_id IN (SELECT patient_id FROM s_patient)")
        con.execute("INSERT INTO resource SELECT * FROM s_resource")
        con.execute("INSERT INTO patient SELECT * FROM s_patient")
        con.execute("INSERT INTO fact SELECT * FROM s_fact")

    def load(
        self, paths: Iterable[Path], *, strict: bool = True, progress: Callable[[int], None] | None = None
    ) -> LoadReport:
        """Load FHIR NDJSON files, Bundle/resource JSON files, or directories of them."""
        return self.load_inputs(expand(list(paths)), strict=strict, progress=progress)

    def load_inputs(
        self, inputs: Inputs, *, strict: bool = True, progress: Callable[[int], None] | None = None
    ) -> LoadReport:
        report = self.load_resources(
            read_items(inputs.files, progress),
            strict=strict,
            source=",".join(str(path) for path in inputs.files),
        )
        report.skipped = [(str(path), why) for path, why in inputs.skipped]
        return report

    # --- small reads ---------------------------------------------------------------------------------

    def patient_ids(self) -> set[str]:
        return {row[0] for row in self.con.execute("SELECT patient_id FROM patient").fetchall()}

    def stats(self) -> dict[str, Any]:
        con = self.con
        by_type = dict(con.execute("SELECT rtype, count(*) FROM resource GROUP BY 1 ORDER BY 1").fetchall())
        row = con.execute("SELECT count(*) FROM patient").fetchone()
        loads = con.execute("SELECT count(*) FROM load_log").fetchone()
        return {
            "patients": int(row[0]) if row else 0,
            "resources": {str(rtype): int(value) for rtype, value in by_type.items()},
            "loads": int(loads[0]) if loads else 0,
        }


def drop_narrative(res: Any) -> bool:
    """Remove the narrative (`text`, also of contained resources) from a resource; True if there was one.

    The narrative is free XHTML written for people: it can hold names and identifiers the structured
    elements do not, and no query reads it, so the site store never keeps it."""
    if not isinstance(res, dict):
        return False
    found = res.pop("text", None) is not None
    contained = res.get("contained")
    for inner in contained if isinstance(contained, list) else []:
        found = drop_narrative(inner) or found
    return found


class _TsvSink:
    """Tab-separated, unquoted rows: no field holds a tab or newline (ids, codes and dates are checked; JSON
    text has tabs only as insignificant whitespace, replaced before). None and "" both load as NULL."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.buf: list[str] = []

    def add(self, row: tuple[Any, ...]) -> None:
        self.buf.append("\t".join("" if value is None else str(value) for value in row))
        if len(self.buf) >= 20000:
            self.close()

    def close(self) -> None:
        if self.buf:
            self.fh.write("\n".join(self.buf) + "\n")
            self.buf.clear()


def _dumps(obj: Any) -> str:
    import json

    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
