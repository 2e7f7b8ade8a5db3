"""The cohort criteria language shared by the hub and the sites (feasibility now, training cohorts later).

from federation.criteria import parse_criteria
q = parse_criteria({"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]})
q.key        # stable id of the normalised query
q.to_json()  # the canonical document
"""

from federation.criteria.model import Criteria
from federation.criteria.parse import CriteriaError, Known, parse_criteria, schema

__all__ = ["Criteria", "CriteriaError", "Known", "parse_criteria", "schema"]
