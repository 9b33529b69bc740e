"""Value types shared by the extractor and the rule engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldValue:
    """One extracted field and where it came from.

    ``start``/``end`` are character offsets into the reviewed text and
    ``evidence == text[start:end]``.
    """

    value: Any
    start: int
    end: int
    confidence: float
    evidence: str


@dataclass(frozen=True)
class Finding:
    """One point to check, with the text span it refers to and its basis."""

    code: str
    severity: str
    message: str
    evidence: str
    start: int
    end: int
    basis: str


@dataclass
class Extraction:
    """The fields found in a contract text, keyed by field name."""

    text: str
    fields: dict[str, FieldValue] = field(default_factory=dict)

    def get(self, name: str) -> FieldValue | None:
        return self.fields.get(name)

    def value(self, name: str) -> Any:
        fv = self.fields.get(name)
        return None if fv is None else fv.value


@dataclass
class ReviewResult:
    """The outcome of reviewing one contract."""

    fields: dict[str, FieldValue]
    findings: list[Finding]
    risk_level: str
