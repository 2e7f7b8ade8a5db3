"""The hospital export sample `make demo` loads."""

from __future__ import annotations

from federation.site.export_sample import load_sample


def test_the_hospital_export_sample_loads_as_make_demo_says() -> None:
    """The forms hospital systems write, each of which the loader once refused or miscounted."""
    report, myeloma, measurable = load_sample()
    assert (report.read, report.loaded, report.rejected) == (10, 8, [])
    assert report.not_counted == {"verificationStatus refuted": 1}
    assert report.passed_over == {"OperationOutcome": 1, "Practitioner": 1}
    assert (myeloma, measurable) == (2, 1)  # the refuted one is not counted; "<0.5" is not measurable
