"""Checks on deposition metadata, field by field, as Zenodo's deposit API documents them.

Errors come back the way zenodo-rdm's legacy API reports them: `{"field": "metadata.x", "messages": [...]}`,
with marshmallow's wording ("Unknown field.", "Missing data for required field."). Sources: the
"Deposit metadata" table of https://developers.zenodo.org (REST API), and zenodo-rdm's
site/zenodo_rdm/legacy/deserializers (where the two differ we follow zenodo-rdm, said at the place).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

FieldErrors = list[dict[str, Any]]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The documented upload types, plus "model", "workflow" and "event": zenodo-rdm's legacy deserializer
# passes upload_type through as the resource type id, and zenodo.org's resource types list those three (as
# remembered from its deposit form, not checked against zenodo-rdm's vocabulary file in this work).
# Legacy Zenodo refused them.
UPLOAD_TYPES = _words(
    "publication poster presentation dataset image video software lesson physicalobject other "
    "model workflow event"
)
PUBLICATION_TYPES = _words(
    "annotationcollection book section conferencepaper datamanagementplan article patent preprint "
    "deliverable milestone proposal report softwaredocumentation taxonomictreatment technicalnote thesis "
    "workingpaper other"
)
IMAGE_TYPES = _words("figure plot drawing diagram photo other")
ACCESS_RIGHTS = _words("open embargoed restricted closed")
RELATIONS = _words(
    "isCitedBy cites isSupplementTo isSupplementedBy isContinuedBy continues isDescribedBy describes "
    "hasMetadata isMetadataFor isNewVersionOf isPreviousVersionOf isPartOf hasPart isReferencedBy "
    "references isDocumentedBy documents isCompiledBy compiles isVariantFormOf isOriginalFormOf "
    "isIdenticalTo isAlternateIdentifier isReviewedBy reviews isDerivedFrom isSourceOf requires "
    "isRequiredBy isObsoletedBy obsoletes"
)
RESOURCE_TYPES = (
    UPLOAD_TYPES | {f"publication-{t}" for t in PUBLICATION_TYPES} | {f"image-{t}" for t in IMAGE_TYPES}
)
CONTRIBUTOR_TYPES = _words(
    "ContactPerson DataCollector DataCurator DataManager Distributor Editor HostingInstitution Producer "
    "ProjectLeader ProjectManager ProjectMember RegistrationAgency RegistrationAuthority RelatedPerson "
    "Researcher ResearchGroup RightsHolder Supervisor Sponsor WorkPackageLeader Other"
)
DATE_TYPES = frozenset({"Collected", "Valid", "Withdrawn"})
ORCID = re.compile(r"^(https://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
LICENSE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_-]{0,99}$")

MISSING = "Missing data for required field."
UNKNOWN = "Unknown field."


class _Check:
    """Collects field errors while walking one metadata object."""

    def __init__(self) -> None:
        self.errors: FieldErrors = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "messages": [message]})

    def text(self, field: str, value: object) -> None:
        if not isinstance(value, str):
            self.add(field, "Not a valid string.")

    def day(self, field: str, value: object) -> None:
        if not isinstance(value, str):
            self.add(field, "Not a valid string.")
            return
        try:
            date.fromisoformat(value)
        except ValueError:
            self.add(field, "Not a valid date.")
        else:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                self.add(field, "Not a valid date.")

    def choice(self, field: str, value: object, allowed: frozenset[str]) -> None:
        if not isinstance(value, str) or value not in allowed:
            self.add(field, f"Must be one of: {', '.join(sorted(allowed))}.")

    def texts(self, field: str, value: object) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(field, "Not a valid list of strings.")

    def objects(
        self,
        field: str,
        value: object,
        keys: Mapping[str, Callable[[str, object], None]],
        required: tuple[str, ...],
    ) -> None:
        if not isinstance(value, list):
            self.add(field, "Not a valid list.")
            return
        for i, item in enumerate(value):
            where = f"{field}.{i}"
            if not isinstance(item, dict):
                self.add(where, "Invalid input type.")
                continue
            for key in required:
                if item.get(key) in (None, ""):
                    self.add(f"{where}.{key}", MISSING)
            for key, sub in item.items():
                check = keys.get(key)
                if check is None:
                    self.add(f"{where}.{key}", UNKNOWN)
                elif sub is not None and not (key in required and sub == ""):
                    check(f"{where}.{key}", sub)

    def person(self, field: str, value: object, *, contributor: bool = False) -> None:
        keys: dict[str, Callable[[str, object], None]] = {
            "name": self.text, "affiliation": self.text, "orcid": self.orcid, "gnd": self.text,
        }  # fmt: skip
        required: tuple[str, ...] = ("name",)
        if contributor:
            keys["type"] = lambda f, v: self.choice(f, v, CONTRIBUTOR_TYPES)
            required = ("name", "type")
        self.objects(field, value, keys, required)

    def orcid(self, field: str, value: object) -> None:
        if not isinstance(value, str) or not ORCID.match(value):
            self.add(field, "Not a valid ORCID identifier.")

    def number(self, field: str, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(field, "Not a valid number.")


def _fields(c: _Check) -> dict[str, Callable[[str, object], None]]:
    def related(field: str, value: object) -> None:
        c.objects(field, value, {
            "identifier": c.text,
            "relation": lambda f, v: c.choice(f, v, RELATIONS),
            "resource_type": lambda f, v: c.choice(f, v, RESOURCE_TYPES),
            "scheme": c.text,
        }, ("identifier", "relation"))  # fmt: skip

    def grant(field: str, value: object) -> None:
        # The docs also allow a bare EC grant number ("283595"); zenodo-rdm's legacy deserializer splits the
        # id on "::" and asserts two parts, so only "<funder DOI>::<award id>" goes through there.
        funder, sep, award = value.partition("::") if isinstance(value, str) else ("", "", "")
        if not (sep and funder.startswith("10.") and award):
            c.add(field, "Not a valid grant id: expected '<funder DOI>::<award id>'.")

    def license_id(field: str, value: object) -> None:
        if not isinstance(value, str) or not LICENSE.match(value):
            c.add(field, "Not a valid license identifier.")

    fields: dict[str, Callable[[str, object], None]] = {
        "upload_type": lambda f, v: c.choice(f, v, UPLOAD_TYPES),
        "publication_type": lambda f, v: c.choice(f, v, PUBLICATION_TYPES),
        "image_type": lambda f, v: c.choice(f, v, IMAGE_TYPES),
        "publication_date": c.day,
        "title": c.text,
        "creators": c.person,
        "description": c.text,
        "access_right": lambda f, v: c.choice(f, v, ACCESS_RIGHTS),
        "license": license_id,
        "embargo_date": c.day,
        "access_conditions": c.text,
        "doi": c.text,
        "prereserve_doi": lambda f, v: (
            None if isinstance(v, bool | dict) else c.add(f, "Not a valid boolean.")
        ),
        "keywords": c.texts,
        "notes": c.text,
        "related_identifiers": related,
        "contributors": lambda f, v: c.person(f, v, contributor=True),
        "references": c.texts,
        "communities": lambda f, v: c.objects(f, v, {"identifier": c.text}, ("identifier",)),
        "grants": lambda f, v: c.objects(f, v, {"id": grant}, ("id",)),
        "subjects": lambda f, v: c.objects(
            f, v, {"term": c.text, "identifier": c.text, "scheme": c.text}, ("term", "identifier")
        ),
        "version": c.text,
        "language": c.text,
        "locations": lambda f, v: c.objects(
            f, v, {"lat": c.number, "lon": c.number, "place": c.text, "description": c.text}, ("place",)
        ),
        "dates": lambda f, v: c.objects(
            f,
            v,
            {
                "start": c.day,
                "end": c.day,
                "type": lambda g, w: c.choice(g, w, DATE_TYPES),
                "description": c.text,
            },
            ("type",),
        ),  # fmt: skip
        "method": c.text,
        "thesis_supervisors": c.person,
    }
    for name in _words(
        "journal_title journal_volume journal_issue journal_pages conference_title conference_acronym "
        "conference_dates conference_place conference_url conference_session conference_session_part "
        "imprint_publisher imprint_isbn imprint_place partof_title partof_pages thesis_university"
    ):
        fields[name] = c.text
    return fields


def check(metadata: object) -> FieldErrors:
    """Errors in a metadata object as sent in a create or a full-metadata PUT (empty when it is fine)."""
    c = _Check()
    if not isinstance(metadata, dict):
        c.add("metadata", "Invalid input type.")
        return c.errors
    fields = _fields(c)
    for key, value in metadata.items():
        field = fields.get(key)
        if field is None:
            c.add(f"metadata.{key}", UNKNOWN)
        elif value is not None:
            field(f"metadata.{key}", value)
    return c.errors


def check_publishable(metadata: Mapping[str, Any], file_count: int) -> FieldErrors:
    """What publish refuses: missing required fields and a deposition without files.

    publication_date is not required: zenodo-rdm fills in today's date (the docs list it as required)."""
    c = _Check()
    for key in ("upload_type", "title", "description"):
        if metadata.get(key) in (None, ""):
            c.add(f"metadata.{key}", MISSING)
    if not metadata.get("creators"):
        c.add("metadata.creators", MISSING)
    upload_type = metadata.get("upload_type")
    if upload_type == "publication" and not metadata.get("publication_type"):
        c.add("metadata.publication_type", MISSING)
    if upload_type == "image" and not metadata.get("image_type"):
        c.add("metadata.image_type", MISSING)
    access = metadata.get("access_right", "open")
    if access == "embargoed" and not metadata.get("embargo_date"):
        c.add("metadata.embargo_date", MISSING)
    if access == "restricted" and not metadata.get("access_conditions"):
        c.add("metadata.access_conditions", MISSING)
    if file_count == 0:
        c.add(
            "files.enabled",
            "Missing uploaded files. To disable files for this record please mark it as metadata-only.",
        )
    return c.errors


def published_form(metadata: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The metadata as a published record carries it: the documented defaults filled in."""
    out = dict(metadata)
    out.pop("prereserve_doi", None)
    out.setdefault("access_right", "open")
    out.setdefault("publication_date", today.isoformat())
    if out["access_right"] in ("open", "embargoed"):
        # Zenodo's documented default: CC0 for datasets, CC BY for everything else.
        out.setdefault("license", "cc-zero" if out.get("upload_type") == "dataset" else "cc-by-4.0")
    return out
