"""Contract review: key-field extraction and clause rules for Chinese residential leases.

Pure Python; importing this package does not require Django to be set up.
"""

from __future__ import annotations

from anzu.contracts.review.extract import FIELD_NAMES, extract
from anzu.contracts.review.rules import (
    DEFAULT_RULES,
    DEFAULT_THRESHOLDS,
    RULE_CODES,
    Rule,
    review,
    to_json,
    validate_rules,
    validate_thresholds,
)
from anzu.contracts.review.types import Extraction, FieldValue, Finding, ReviewResult

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_THRESHOLDS",
    "FIELD_NAMES",
    "RULE_CODES",
    "Extraction",
    "FieldValue",
    "Finding",
    "ReviewResult",
    "Rule",
    "extract",
    "review",
    "to_json",
    "validate_rules",
    "validate_thresholds",
]
