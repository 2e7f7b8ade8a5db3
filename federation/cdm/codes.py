"""Code systems and the code tables of the fairgrid common data model (CDM).

Every code the CDM uses is listed here once; the synthesiser, the ETL, the site loader and `site describe`
read these tables rather than spelling codes themselves. Sources: LOINC 2.77 (loinc.org), UCUM, ICD-10 WHO
2019, Orphanet (orpha.net), HGNC (genenames.org), WHO ATC/DDD 2024, SNOMED CT International. Where no
standard code exists for a concept at the granularity the consortium needs (ISCN cytogenetic findings,
prognostic scores, disease subtypes) the CDM uses the fairgrid code system `FG_CS` and says so in
docs/cdm.md.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
ORPHA_SYSTEM = "http://www.orpha.net"
# ICD-10-GM, Germany's modification of WHO ICD-10 (BfArM; the older URI is from its predecessor DIMDI)
ICD10_GM_SYSTEMS = ("http://fhir.de/CodeSystem/bfarm/icd-10-gm", "http://fhir.de/CodeSystem/dimdi/icd-10-gm")
HGNC = "http://www.genenames.org"
ATC = "http://www.whocc.no/atc"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
COND_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
V3_ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
FG_CS = "https://w3id.org/fairgrid/cs/"
FG_CYTO = FG_CS + "cytogenetics"
FG_SCORE = FG_CS + "score"
FG_SUBTYPE = FG_CS + "subtype"
FG_OUTCOME = FG_CS + "outcome"
FG_PROC = FG_CS + "procedure"
FG_GENOTYPE = FG_CS + "hbb-genotype"
HGVS = "http://varnomen.hgvs.org"  # HGVS nomenclature: sequence variant descriptions

# Short names used in the store and in query APIs.
SYSTEM_NAMES: dict[str, str] = {
    LOINC: "loinc",
    SNOMED: "snomed",
    ICD10_SYSTEM: "icd10",
    ICD10_GM_SYSTEMS[0]: "icd10-gm",
    ICD10_GM_SYSTEMS[1]: "icd10-gm",
    ORPHA_SYSTEM: "orpha",
    HGNC: "hgnc",
    ATC: "atc",
    FG_CYTO: "fg-cyto",
    FG_SCORE: "fg-score",
    FG_SUBTYPE: "fg-subtype",
    FG_OUTCOME: "fg-outcome",
    FG_PROC: "fg-procedure",
    FG_GENOTYPE: "fg-hbb-genotype",
    UCUM: "ucum",
    HGVS: "hgvs",
}

# Answer codes for present/absent findings (LOINC answer list LL2239-1 style).
PRESENT = "LA9633-4"
ABSENT = "LA9634-2"

# Observation codes that are not labs.
GENE_STUDIED = "48018-6"  # LOINC: Gene studied [ID]
VARIANT_ASSESSMENT = "69548-6"  # LOINC: Genetic variant assessment
REGION_STUDIED = "53041-0"  # LOINC: DNA region of interest panel (genes tested by the NGS panel)


@dataclass(frozen=True)
class Lab:
    key: str
    loinc: str
    display: str
    unit: str  # canonical UCUM unit stored at the site
    # other UCUM units accepted on input, with the factor that converts a value into `unit`
    alt_units: tuple[tuple[str, float], ...] = ()
    nonnegative: bool = True
    max_value: float | None = None  # physiologically impossible above this (in `unit`)


LABS: tuple[Lab, ...] = (
    Lab("hemoglobin", "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL",
        (("g/L", 0.1), ("mmol/L", 1.611)), max_value=25.0),
    Lab("platelets", "777-3", "Platelets [#/volume] in Blood by Automated count", "10*9/L",
        (("10*3/uL", 1.0), ("/nL", 1.0)), max_value=5000.0),
    Lab("anc", "751-8", "Neutrophils [#/volume] in Blood by Automated count", "10*9/L",
        (("10*3/uL", 1.0), ("/nL", 1.0)), max_value=200.0),
    Lab("bm_blasts", "11150-0", "Blasts/100 cells in Bone marrow", "%", (), max_value=100.0),
    Lab("hbf", "4576-5", "Hemoglobin F/Hemoglobin.total in Blood", "%", (), max_value=100.0),
    Lab("ldh", "2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma", "U/L",
        (("ukat/L", 60.0),), max_value=50000.0),
    Lab("b2m", "1952-1", "Beta-2-Microglobulin [Mass/volume] in Serum or Plasma", "mg/L",
        (("ug/mL", 1.0), ("mg/dL", 10.0)), max_value=500.0),
    Lab("albumin", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL",
        (("g/L", 0.1),), max_value=10.0),
    Lab("m_protein", "33358-1", "Protein.monoclonal [Mass/volume] in Serum or Plasma by Electrophoresis",
        "g/dL", (("g/L", 0.1),), max_value=20.0),
)  # fmt: skip
LAB_BY_KEY: dict[str, Lab] = {lab.key: lab for lab in LABS}
LAB_BY_LOINC: dict[str, Lab] = {lab.loinc: lab for lab in LABS}
# Other LOINC codes laboratories report the same measurement under (LOINC 2.77); a site stores and queries
# them as the CDM's code. Haemoglobin in mmol/L (59260-0) is how Dutch and Swiss laboratories report it.
LAB_ALSO: dict[str, str] = {
    "59260-0": "hemoglobin",  # Hemoglobin [Moles/volume] in Blood
    "30350-3": "hemoglobin",  # Hemoglobin [Mass/volume] in Venous blood
    "26515-7": "platelets",  # Platelets [#/volume] in Blood
    "26499-4": "anc",  # Neutrophils [#/volume] in Blood
}
LAB_BY_ANY_LOINC: dict[str, Lab] = {
    **LAB_BY_LOINC,
    **{code: LAB_BY_KEY[key] for code, key in LAB_ALSO.items()},
}

# Cytogenetic findings (ISCN notation in the display); fairgrid code system, see module docstring.
CYTOGENETICS: dict[str, str] = {
    "del5q": "del(5q)",
    "minus7_del7q": "-7/del(7q)",
    "complex_karyotype": "Complex karyotype (>=3 abnormalities)",
    "t_4_14": "t(4;14)(p16;q32)",
    "t_14_16": "t(14;16)(q32;q23)",
    "del17p": "del(17p)",
    "gain1q": "gain(1q)",
}

# Genes on the consortium's myeloid / myeloma NGS panels, with HGNC ids.
GENES: dict[str, str] = {
    "SF3B1": "HGNC:10768",
    "TP53": "HGNC:11998",
    "ASXL1": "HGNC:18318",
    "RUNX1": "HGNC:10471",
    "EZH2": "HGNC:3527",
    "SRSF2": "HGNC:10783",
    "TET2": "HGNC:25941",
    "DNMT3A": "HGNC:2978",
    "U2AF1": "HGNC:12453",
    "KRAS": "HGNC:6407",
    "NRAS": "HGNC:7989",
}
HGNC_TO_GENE: dict[str, str] = {hgnc: gene for gene, hgnc in GENES.items()}

# Recurrent protein changes (HGVS p.) of the panel genes in myeloid neoplasms and myeloma, as the literature
# reports them (e.g. Papaemmanuil et al., Blood 2013; Walker et al., JCO 2015; COSMIC hotspots). The
# synthesiser gives a variant one of these; genes with no single hotspot (TET2, ASXL1, RUNX1, EZH2) get none.
HOTSPOTS: dict[str, tuple[str, ...]] = {
    "SF3B1": ("p.K700E", "p.K666N", "p.H662Q"),
    "TP53": ("p.R248Q", "p.R273H", "p.R175H"),
    "SRSF2": ("p.P95H", "p.P95L"),
    "U2AF1": ("p.S34F", "p.Q157P"),
    "DNMT3A": ("p.R882H", "p.R882C"),
    "KRAS": ("p.G12D", "p.G12V", "p.G13D"),
    "NRAS": ("p.G12D", "p.Q61K", "p.G13D"),
}
AMINO_ACID_CHANGE = "48005-3"  # LOINC: Amino acid change (pHGVS)

SCORES: dict[str, str] = {
    "ipss-r": "Revised International Prognostic Scoring System (IPSS-R) score",
    "iss": "International Staging System (ISS) stage",
    "r-iss": "Revised International Staging System (R-ISS) stage",
}

HBB_GENOTYPES: dict[str, str] = {
    "HbSS": "HBB c.20A>T homozygous (HbSS)",
    "HbSC": "HBB c.20A>T / c.19G>A (HbSC)",
    "HbSbeta0": "HbS / beta0-thalassaemia",
    "HbSbeta+": "HbS / beta+-thalassaemia",
}

# ATC codes (WHO ATC 2024).
MEDICATIONS: dict[str, tuple[str, str]] = {
    "hydroxyurea": ("L01XX05", "hydroxycarbamide"),
    "azacitidine": ("L01BC07", "azacitidine"),
    "decitabine": ("L01BC08", "decitabine"),
    "lenalidomide": ("L04AX04", "lenalidomide"),
    "luspatercept": ("B03XA06", "luspatercept"),
    "epoetin": ("B03XA01", "erythropoietin"),
    "bortezomib": ("L01XG01", "bortezomib"),
    "daratumumab": ("L01FC01", "daratumumab"),
    "dexamethasone": ("H02AB02", "dexamethasone"),
    "melphalan": ("L01AA03", "melphalan"),
    "crizanlizumab": ("B06AX01", "crizanlizumab"),
}
ATC_TO_MED: dict[str, str] = {entry[0]: name for name, entry in MEDICATIONS.items()}

HSCT_SNOMED = "234336002"  # Hemopoietic stem cell transplant
PROCEDURES: dict[str, str] = {"allo-hsct": "Allogeneic HSCT", "auto-hsct": "Autologous HSCT"}

# Diagnoses: ICD-10 (WHO 2019) and Orphanet per use case; subtype -> ICD-10 code.
ORPHA_CODES: dict[str, tuple[str, str]] = {
    "mds": ("52688", "Myelodysplastic syndrome"),
    "scd": ("232", "Sickle cell anemia"),
    "mm": ("29073", "Multiple myeloma"),
}
SUBTYPE_ICD10: dict[str, tuple[str, str]] = {
    "MDS-SLD": ("D46.0", "Refractory anaemia without ring sideroblasts, so stated"),
    "MDS-RS": ("D46.1", "Refractory anaemia with ring sideroblasts"),
    "MDS-EB": ("D46.2", "Refractory anaemia with excess of blasts"),
    "MDS-MLD": ("D46.5", "Refractory anaemia with multi-lineage dysplasia"),
    "MDS-del5q": ("D46.6", "Myelodysplastic syndrome with isolated del(5q) chromosomal abnormality"),
    "MDS-U": ("D46.9", "Myelodysplastic syndrome, unspecified"),
    "HbSS": ("D57.1", "Sickle-cell anaemia without crisis"),
    "HbSbeta0": ("D57.1", "Sickle-cell anaemia without crisis"),
    "HbSC": ("D57.2", "Double heterozygous sickling disorders"),
    "HbSbeta+": ("D57.2", "Double heterozygous sickling disorders"),
    "IgG": ("C90.0", "Multiple myeloma"),
    "IgA": ("C90.0", "Multiple myeloma"),
    "light-chain": ("C90.0", "Multiple myeloma"),
}
VOC_ICD10 = ("D57.0", "Sickle-cell anaemia with crisis")
AML_ICD10 = ("C92.0", "Acute myeloblastic leukaemia")
OUTCOMES: dict[str, str] = {
    "aml-transformation": "Transformation to acute myeloid leukaemia",
    "progression": "Relapse or progression of myeloma",
}
# ICD-10 three-character categories that identify each use case.
USE_CASE_ICD10: dict[str, tuple[str, ...]] = {"mds": ("D46",), "scd": ("D57",), "mm": ("C90",)}
USE_CASES: tuple[str, ...] = ("mds", "scd", "mm")
USE_CASE_TITLES: dict[str, str] = {
    "mds": "Myelodysplastic syndromes",
    "scd": "Sickle cell disease",
    "mm": "Multiple myeloma",
}
