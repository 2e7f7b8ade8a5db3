"""Writing one synthetic site: FHIR NDJSON (one file per resource type) and the hospital's flat CSV export.

The CSV is what a hospital data warehouse would hand over: local codes, local unit spellings and direct
identifiers (synthetic names, record numbers, postcodes, full birth dates) that the ETL must remove. The FHIR
NDJSON is the same cohort as a site FHIR server would export it: pseudonymous ids, birth month only.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from datetime import date
from pathlib import Path
from typing import IO

from federation.cdm import build
from federation.cdm.codes import HOTSPOTS, LAB_BY_KEY
from federation.synth.cohort import CUTOFF, Record, SiteProfile

RESOURCE_TYPES = ("Patient", "Condition", "Observation", "MedicationStatement", "Procedure", "Encounter")
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_FLUSH = 20000

LOCAL_LAB = {"hemoglobin": "HGB", "platelets": "PLT", "anc": "NEUT", "bm_blasts": "BMBLAST", "hbf": "HBF",
             "ldh": "LDH", "b2m": "B2MG", "albumin": "ALB", "m_protein": "MSPIKE"}  # fmt: skip
LOCAL_UNIT = {"hemoglobin": "g/dl", "platelets": "10^9/l", "anc": "10^9/l", "bm_blasts": "%", "hbf": "%",
              "ldh": "U/l", "b2m": "mg/l", "albumin": "g/dl", "m_protein": "g/dl"}  # fmt: skip
SI_LABS = ("hemoglobin", "albumin", "m_protein")  # reported in g/L by SI sites
LOCAL_CYTO = {"del5q": "DEL5Q", "minus7_del7q": "MONO7", "complex_karyotype": "CK", "t_4_14": "T414",
              "t_14_16": "T1416", "del17p": "DEL17P", "gain1q": "GAIN1Q"}  # fmt: skip
LOCAL_DIAG = {"MDS-SLD": "MDS-SLD", "MDS-RS": "MDS-RS", "MDS-EB": "MDS-EB", "MDS-MLD": "MDS-MLD",
              "MDS-del5q": "MDS-5Q", "MDS-U": "MDS-U", "HbSS": "SCD-SS", "HbSC": "SCD-SC",
              "HbSbeta0": "SCD-SB0", "HbSbeta+": "SCD-SB+", "IgG": "MM-IGG", "IgA": "MM-IGA",
              "light-chain": "MM-LC"}  # fmt: skip
LOCAL_HBB = {"HbSS": "SS", "HbSC": "SC", "HbSbeta0": "SB0", "HbSbeta+": "SB+"}
LOCAL_SCORE = {"ipss-r": "IPSSR", "iss": "ISS", "r-iss": "RISS"}
LOCAL_MED = {"azacitidine": "VIDAZA", "lenalidomide": "REVLIMID", "luspatercept": "REBLOZYL",
             "epoetin": "EPREX",
             "hydroxyurea": "SIKLOS", "bortezomib": "VELCADE", "daratumumab": "DARZALEX",
             "dexamethasone": "DEXA", "melphalan": "ALKERAN"}  # fmt: skip
LOCAL_PROC = {"allo-hsct": "ALLOSCT", "auto-hsct": "AUTOSCT"}
LOCAL_OUTCOME = {"aml-transformation": "AML", "progression": "PROG"}
PATIENT_COLUMNS = ("mrn", "first_name", "last_name", "birth_date", "sex", "postcode", "phone", "death_date")
EVENT_COLUMNS = ("mrn", "event_date", "end_date", "category", "local_code", "value", "unit")
_FIRST = ("Ana", "Jan", "Lea", "Marc", "Sofia", "Luca", "Eva", "Tom", "Ines", "Noah", "Mia", "Karl", "Zoe",
          "Ali", "Nora", "Hugo", "Ida", "Omar", "Lina", "Emil")  # fmt: skip
_LAST = ("Berger", "Rossi", "Dubois", "Nowak", "Jansen", "Garcia", "Novak", "Silva", "Weber", "Moreau",
         "Costa", "Larsen", "Horvat", "Kowalski", "Meyer", "Bianchi", "Fischer", "Martin", "Peeters",
         "Ortiz")  # fmt: skip


def _d(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


class SiteWriter:
    def __init__(self, out: Path, use_case: str, site: SiteProfile, seed: int) -> None:
        self.use_case, self.site, self.seed = use_case, site, seed
        (out / "fhir").mkdir(parents=True, exist_ok=True)
        (out / "csv").mkdir(parents=True, exist_ok=True)
        self._fh: dict[str, IO[str]] = {
            rtype: (out / "fhir" / f"{rtype}.ndjson").open("w", encoding="utf-8", newline="\n")
            for rtype in RESOURCE_TYPES
        }
        self._buf: dict[str, list[str]] = {rtype: [] for rtype in RESOURCE_TYPES}
        names = ("csv/patients.csv", "csv/events.csv", "truth.csv")  # truth.csv: for evaluators only
        self._csv_files = [(out / name).open("w", encoding="utf-8", newline="") for name in names]
        self._patients, self._events, self._truth = (
            csv.writer(fh, lineterminator="\n") for fh in self._csv_files
        )
        self._patients.writerow(PATIENT_COLUMNS)
        self._events.writerow(EVENT_COLUMNS)
        self._truth.writerow(("patient_id", "mrn", "outcome", "linear_predictor"))
        self.counts: dict[str, int] = dict.fromkeys(RESOURCE_TYPES, 0)
        self._mrn_prefix = f"{use_case.upper()}{site.index + 1}"

    def _emit(self, rtype: str, res: dict[str, object]) -> None:
        buf = self._buf[rtype]
        buf.append(_ENCODE(res))
        if len(buf) >= _FLUSH:
            self._flush(rtype)

    def _flush(self, rtype: str) -> None:
        buf = self._buf[rtype]
        if buf:
            self._fh[rtype].write("\n".join(buf) + "\n")
            self.counts[rtype] += len(buf)
            buf.clear()

    def close(self) -> None:
        for rtype in RESOURCE_TYPES:
            self._flush(rtype)
            self._fh[rtype].close()
        for fh in self._csv_files:
            fh.close()

    def pid(self, number: int) -> str:
        key = f"{self.seed}|{self.use_case}|{self.site.index}|{number}".encode()
        return hashlib.blake2b(key, digest_size=8).hexdigest()

    def add(self, rec: Record, rng: random.Random) -> None:
        pid, site, emit = self.pid(rec.number), self.site, self._emit
        mrn = f"{self._mrn_prefix}{rec.number:07d}"
        dx, cyto_day, score_day = _d(rec.dx), _d(rec.dx + 3), _d(rec.dx + 7)
        death = _d(rec.death) if rec.death is not None else None
        emit("Patient", build.patient(pid, rec.sex, _d(rec.birth)[:7], death))
        onset = _d(rec.birth + 180) if self.use_case == "scd" else dx  # SCD: diagnosed by newborn screening
        emit("Condition", build.diagnosis(pid + "-dx", pid, self.use_case, rec.subtype, onset))
        birth_full = _d(rec.birth + rng.randint(0, 27))  # day of birth exists only in the hospital export
        phone = f"+3{rng.randint(10, 99)} {rng.randint(100000, 9999999)}"
        sex = "M" if rec.sex == "male" else "F"
        postcode = f"{rng.randint(1000, 99999):05d}"
        self._patients.writerow((mrn, rng.choice(_FIRST), rng.choice(_LAST), birth_full, sex, postcode, phone,
                                 death or ""))  # fmt: skip
        ev = self._events.writerow
        ev((mrn, onset, "", "DIAG", LOCAL_DIAG[rec.subtype], "", ""))
        for key, value in rec.labs:
            lab = LAB_BY_KEY[key]
            si = site.si_units and key in SI_LABS
            lab_value = round(value * 10, 1) if si else value
            emit(
                "Observation",
                build.lab(
                    f"{pid}-lab-{key}".replace("_", "-"), pid, lab, lab_value, "g/L" if si else lab.unit, dx
                ),
            )
            ev((mrn, dx, "", "LAB", LOCAL_LAB[key], lab_value, "g/l" if si else LOCAL_UNIT[key]))
        for key, present in rec.cyto:
            emit(
                "Observation",
                build.cytogenetics(f"{pid}-cyto-{key}".replace("_", "-"), pid, key, present, cyto_day),
            )
            ev((mrn, cyto_day, "", "CYTO", LOCAL_CYTO[key], "POS" if present else "NEG", ""))
        if rec.genes_tested and site.has_ngs:
            emit("Observation", build.region_studied(f"{pid}-ngs", pid, rec.genes_tested, cyto_day))
            ev((mrn, cyto_day, "", "PANEL", "MYELOID", "|".join(rec.genes_tested), ""))
            for gene, vaf in rec.variants:
                emit(
                    "Observation",
                    build.variant(f"{pid}-var-{gene}", pid, gene, cyto_day, vaf, _hotspot(pid, gene)),
                )
                ev((mrn, cyto_day, "", "MUT", gene, vaf, "%"))
        if rec.genotype:
            emit("Observation", build.genotype(f"{pid}-hbb", pid, rec.genotype, onset))
            ev((mrn, onset, "", "HBB", LOCAL_HBB[rec.genotype], "", ""))
        for key, value, cat in rec.scores:
            emit("Observation", build.score(f"{pid}-score-{key}", pid, key, value, cat, score_day))
            ev((mrn, score_day, "", "SCORE", LOCAL_SCORE[key], value, cat))
        for number, (med, start, end) in enumerate(rec.meds):
            emit("MedicationStatement", build.medication(f"{pid}-med-{number}", pid, med, _d(start),
                                                         _d(end) if end else None))  # fmt: skip
            ev((mrn, _d(start), _d(end) if end else "", "MED", LOCAL_MED[med], "", ""))
        for number, (key, when) in enumerate(rec.procedures):
            emit("Procedure", build.procedure(f"{pid}-proc-{number}", pid, key, _d(when)))
            ev((mrn, _d(when), "", "PROC", LOCAL_PROC[key], "", ""))
        for number, (start, end) in enumerate(rec.encounters):
            emit("Encounter", build.encounter(f"{pid}-enc-{number}", pid, _d(start), _d(end)))
            ev((mrn, _d(start), _d(end), "ADM", "VOC", "", ""))
        for key, when in rec.outcomes:
            emit("Condition", build.outcome(f"{pid}-out-{key}", pid, key, _d(when)))
            ev((mrn, _d(when), "", "OUTCOME", LOCAL_OUTCOME[key], "", ""))
        for name, lp in sorted(rec.truth.items()):
            self._truth.writerow((pid, mrn, name, lp))


assert date(2024, 12, 31).toordinal() == CUTOFF


def _hotspot(pid: str, gene: str) -> str | None:
    """The protein change of a variant: a recurrent one for most, none (a private change) for a fifth.
    Chosen from a hash, not the random stream, so every other synthetic value stays as it was."""
    changes = HOTSPOTS.get(gene)
    if not changes:
        return None
    h = int.from_bytes(hashlib.sha256(f"{pid}:{gene}".encode()).digest()[:4], "big")
    return None if h % 5 == 0 else changes[h % len(changes)]
