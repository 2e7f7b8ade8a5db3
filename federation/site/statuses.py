"""Resources that record something that did not happen, or that was recorded in error.

FHIR keeps such records rather than deleting them: a diagnosis that was refuted, a lab cancelled before
it ran or reported with a dataAbsentReason instead of a value, a medication not taken, a procedure not
done, a resource entered in error. Their codes and dates say nothing true about the patient, so they
give no facts: a count of "patients with myeloma" must not include one whose myeloma was ruled out. The
codes are FHIR R4's required value sets (hl7.org/fhir/R4/valueset-*-status.html); the ICD-10-GM
certainty "A" (ausgeschlossen, ruled out) is the German base profile's extension (fhir.de,
StructureDefinition icd-10-gm-diagnosesicherheit).
"""

from __future__ import annotations

from typing import Any

# resource type -> its `status` codes that mean "did not happen" or "recorded in error"
NOT_HAPPENED: dict[str, frozenset[str]] = {
    "Observation": frozenset({"cancelled", "entered-in-error"}),
    "MedicationStatement": frozenset({"entered-in-error", "not-taken", "intended"}),
    "MedicationAdministration": frozenset({"not-done", "entered-in-error"}),
    "MedicationRequest": frozenset({"cancelled", "entered-in-error", "draft"}),
    "Procedure": frozenset({"preparation", "not-done", "entered-in-error"}),
    "Encounter": frozenset({"planned", "cancelled", "entered-in-error"}),
}
CONDITION_NOT_PRESENT = frozenset({"refuted", "entered-in-error"})
VER_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
GM_CERTAINTY = "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit"
GM_RULED_OUT = "A"


def not_counted(res: dict[str, Any]) -> str | None:
    """Why `res` gives no facts ("status not-done", "verificationStatus refuted", ...), or None when it
    records something that happened (an Encounter without a reasonCode happened, but gives the CDM
    nothing to count). ValueError when a status element has the wrong JSON shape."""
    rtype = res.get("resourceType")
    if rtype == "Condition":
        return _condition(res)
    status = res.get("status")
    if status is not None and not isinstance(status, str):
        raise ValueError("status: must be a code (a JSON string)")
    if status in NOT_HAPPENED.get(str(rtype), ()):
        return f"status {status}"
    if rtype == "MedicationRequest" and res.get("intent") in ("proposal", "plan"):  # suggested, not ordered
        return f"intent {res['intent']}"
    # "not performed", "error", "asked but unknown": nothing measured (a panel's components may still be)
    if (
        rtype == "Observation"
        and "dataAbsentReason" in res
        and not any(key.startswith("value") or key == "component" for key in res)
    ):
        return "dataAbsentReason (no value)"
    if rtype == "Encounter" and res.get("reasonCode") in (None, []):  # a visit, no reason the CDM reads
        return "Encounter without reasonCode"
    return None


def _condition(res: dict[str, Any]) -> str | None:
    ver = res.get("verificationStatus")
    if ver is not None:
        if not isinstance(ver, dict) or not isinstance(ver.get("coding", []), list):
            raise ValueError("verificationStatus: needs a CodeableConcept")
        for cd in ver.get("coding", []):
            if not isinstance(cd, dict):
                raise ValueError("verificationStatus: every coding must be a JSON object")
            code = cd.get("code")
            if (
                cd.get("system", VER_STATUS) == VER_STATUS
                and isinstance(code, str)
                and code in CONDITION_NOT_PRESENT
            ):
                return f"verificationStatus {code}"
    concept = res.get("code")
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for cd in codings if isinstance(codings, list) else []:
        extensions = cd.get("extension") if isinstance(cd, dict) else None
        for ext in extensions if isinstance(extensions, list) else []:
            if not isinstance(ext, dict) or ext.get("url") != GM_CERTAINTY:
                continue
            value = ext.get("valueCoding")
            if not isinstance(value, dict):
                raise ValueError("icd-10-gm-diagnosesicherheit: needs a valueCoding")
            if value.get("code") == GM_RULED_OUT:
                return "ICD-10-GM Diagnosesicherheit A (ruled out)"
    return None
