"""Pseudonymisation policy of the ETL (docs/cdm.md, "Pseudonymisation"):

- direct identifiers (names, record numbers, addresses, postcodes, phone numbers, e-mail) are dropped: only
  columns the mapping maps reach FHIR, and the Patient resource has no name/identifier/telecom/address;
- patient ids become HMAC-SHA256(site secret, "patient|" + local id), 32 hex characters: stable across loads
  at one site, unlinkable without the secret, different at every site;
- resource ids are keyed hashes of the row's content, so reloading the same export is idempotent;
- every clinical date of a patient (including death) is shifted by the same keyed offset of 1-30 days,
  forwards or backwards (never 0), which keeps intervals exact within a patient;
- the birth date is generalised to year and month, and people 90 or older at the reference date are top-coded
  to a birth year 90 years before it (birth "YYYY" only);
- ages that leave the site (dataset descriptions) are 5-year bands.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta


class Pseudonymiser:
    def __init__(self, secret: str, reference: date) -> None:
        self._key = secret.encode()
        self.reference = reference

    def _mac(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode(), hashlib.sha256).digest()

    def patient_id(self, local_id: str) -> str:
        return self._mac("patient|" + local_id).hex()[:32]

    def resource_id(self, *parts: str) -> str:
        return self._mac("resource|" + "|".join(parts)).hex()[:32]

    def shift_days(self, local_id: str) -> int:
        digest = int.from_bytes(self._mac("shift|" + local_id)[:4], "big")
        days = digest % 30 + 1
        return days if (digest >> 16) & 1 else -days

    def shift(self, local_id: str, day: date) -> date:
        return day + timedelta(days=self.shift_days(local_id))

    def birth(self, born: date) -> str:
        """Generalised birth date: YYYY-MM, or a top-coded YYYY for people aged 90 or more."""
        age = (
            self.reference.year
            - born.year
            - ((self.reference.month, self.reference.day) < (born.month, born.day))
        )
        if age >= 90:
            return f"{self.reference.year - 90:04d}"
        return f"{born.year:04d}-{born.month:02d}"


def age_band(age: float, width: int = 5) -> tuple[int, int]:
    """The band [lo, hi] (whole years) an age falls in, e.g. 67.4 -> (65, 69)."""
    lo = int(age // width) * width
    return lo, lo + width - 1
