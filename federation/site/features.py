"""Feature tables for (federated) model training: one row per patient with a diagnosis of the use case.

Columns: patient_id, sex_male, age_at_dx, labs at diagnosis (first value, canonical unit, column named
`<lab key>_<unit>`), cytogenetic findings (1 present / 0 absent / NULL not tested), somatic variants
(1 found / 0 gene tested without variant / NULL gene not tested: the incomplete-node case), scores,
treatments ever given (0/1), transplant (0/1), and outcomes as (event 0/1, time in years from diagnosis to
the event or to the last date known for the patient). SCD adds the VOC admission count and rate per year.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from federation.cdm import codes as cdm
from federation.site.store import SiteStore
from federation.synth.cohort import MDS_GENES
from registry.errors import InputError

LABS = {
    "mds": ("hemoglobin", "platelets", "anc", "bm_blasts", "ldh"),
    "scd": ("hemoglobin", "hbf", "ldh", "platelets", "anc"),
    "mm": ("hemoglobin", "albumin", "b2m", "ldh", "m_protein"),
}
CYTO = {
    "mds": ("del5q", "minus7_del7q", "complex_karyotype"),
    "scd": (),
    "mm": ("t_4_14", "t_14_16", "del17p", "gain1q"),
}
GENES = {"mds": MDS_GENES, "scd": (), "mm": ()}
SCORES = {"mds": ("ipss-r",), "scd": (), "mm": ("iss", "r-iss")}
MEDS = {
    "mds": ("azacitidine", "lenalidomide", "luspatercept", "epoetin"),
    "scd": ("hydroxyurea",),
    "mm": ("bortezomib", "lenalidomide", "daratumumab"),
}
OUTCOMES = {"mds": ("aml-transformation",), "scd": (), "mm": ("progression",)}


@dataclass
class FeatureTable:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def to_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(self.columns)
            writer.writerows(self.rows)


def _col(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


def feature_table(store: SiteStore, use_case: str) -> FeatureTable:
    if use_case not in cdm.USE_CASES:
        raise InputError(f"unknown use case {use_case!r}", hint=f"use one of {', '.join(cdm.USE_CASES)}")
    prefixes = list(cdm.USE_CASE_ICD10[use_case])
    # Every code is a bound parameter; only column names (from the CDM keys, see _col) are spelt in SQL.
    sel: list[tuple[str, str, list[Any]]] = []
    for key in LABS[use_case]:
        lab = cdm.LAB_BY_KEY[key]
        unit = lab.unit.replace("10*9/L", "1e9_l").replace("%", "pct").replace("/", "_")
        expr = "arg_min(value_num, start_date) FILTER (WHERE kind = 'lab' AND code = ?)"
        sel.append((_col(f"{key}_{unit}"), expr, [lab.loinc]))
    for key in CYTO[use_case]:
        expr = "max((value_code = 'present')::INT) FILTER (WHERE kind = 'cyto' AND code = ?)"
        sel.append((_col(key), expr, [key]))
    for gene in GENES[use_case]:
        expr = (
            "CASE WHEN count(*) FILTER (WHERE kind = 'variant' AND code = ?) > 0 THEN 1 "
            "WHEN count(*) FILTER (WHERE kind = 'gene_tested' AND code = ?) > 0 THEN 0 END"
        )
        sel.append((_col("mut_" + gene), expr, [gene, gene]))
    for key in SCORES[use_case]:
        expr = "arg_min(value_num, start_date) FILTER (WHERE kind = 'score' AND code = ?)"
        sel.append((_col(key), expr, [key]))
    for med in MEDS[use_case]:
        expr = "(count(*) FILTER (WHERE kind = 'medication' AND code = ?) > 0)::INT"
        sel.append((_col("rx_" + med), expr, [cdm.MEDICATIONS[med][0]]))
    if use_case != "scd":
        expr = "(count(*) FILTER (WHERE kind = 'procedure' AND code = ?) > 0)::INT"
        sel.append(("hsct", expr, [cdm.HSCT_SNOMED]))
    ev_cols = []
    for key in OUTCOMES[use_case]:
        ev_cols.append(_col(key))
        sel.append(("_d_" + _col(key), "min(start_date) FILTER (WHERE kind = 'outcome' AND code = ?)", [key]))
    if use_case == "scd":
        # crisis admissions only (the CDM's VOC: reason ICD-10 D57.0), not every encounter a site exports
        voc = "count(DISTINCT rid) FILTER (WHERE kind = 'encounter' AND system = 'icd10' AND code = ?)"
        sel.append(("voc_count", voc, [cdm.VOC_ICD10[0]]))
    inner = ",\n  ".join(f"{expr} AS {name}" for name, expr, _ in sel)
    outer = [name for name, _, _ in sel if not name.startswith("_d_")]
    for event in ev_cols:
        outer += [
            f"(_d_{event} IS NOT NULL)::INT AS {event}_event",
            f"round(date_diff('day', dx, coalesce(_d_{event}, last_date)) / 365.25, 4) AS {event}_years",
        ]
    outer += [
        # a death of unknown date (deceasedBoolean) is an event at the last recorded date: a lower bound
        f"{store.deceased}::INT AS death_event",
        "round(date_diff('day', dx, coalesce(deceased_date, last_date)) / 365.25, 4) AS death_years",
    ]
    if use_case == "scd":
        outer.append(
            "round(voc_count / greatest(date_diff('day', dx, last_date) / 365.25, 0.25), 4) AS voc_per_year"
        )
    sql = f"""
WITH dx AS (
  SELECT patient_id, min(start_date) AS dx FROM fact WHERE kind = 'diagnosis' AND system = 'icd10'
  AND ({" OR ".join("code LIKE ?" for _ in prefixes)}) GROUP BY patient_id
), agg AS (
  SELECT f.patient_id, greatest(max(f.start_date), coalesce(max(f.end_date), max(f.start_date))) AS last_fact,
  {inner}
  FROM fact f JOIN dx USING (patient_id) GROUP BY f.patient_id
)
SELECT patient_id, (sex = 'male')::INT AS sex_male,
  round(date_diff('month', birth_date, dx) / 12.0, 2) AS age_at_dx,
  {", ".join(outer)}
FROM (SELECT *, greatest(last_fact, coalesce(deceased_date, last_fact)) AS last_date
      FROM agg JOIN patient USING (patient_id) JOIN dx USING (patient_id)) a
ORDER BY patient_id
"""
    params = [prefix + "%" for prefix in prefixes] + [value for _, _, values in sel for value in values]
    cur = store.con.execute(sql, params)
    cols = [column[0] for column in cur.description or []]
    return FeatureTable(cols, [tuple(row) for row in cur.fetchall()])
