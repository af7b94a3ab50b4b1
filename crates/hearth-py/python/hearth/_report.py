"""Conformance reports as Python objects, read from ``report.json`` (the one source of every
report format, HRT-CONF-080)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass(frozen=True)
class TestResult:
    """The verdict of one test case, with its reason and the requirements it checks."""

    id: str
    title: str
    requirements: List[str]
    verdict: str
    reason: str
    failed_requirements: List[str]
    advisories: List[Dict[str, str]]
    duration_ms: int
    steps: List[Dict[str, Any]]
    evidence: List[Dict[str, Any]] = field(repr=False)

    __test__ = False  # not a pytest class

    @property
    def passed(self) -> bool:
        """Whether the verdict is ``pass``."""
        return self.verdict == "pass"

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "TestResult":
        return cls(
            id=d["id"],
            title=d["title"],
            requirements=list(d["requirements"]),
            verdict=d["verdict"],
            reason=d["reason"],
            failed_requirements=list(d["failed_requirements"]),
            advisories=list(d["advisories"]),
            duration_ms=int(d["duration_ms"]),
            steps=list(d["steps"]),
            evidence=list(d["evidence"]),
        )


@dataclass(frozen=True)
class Report:
    """A run of the suite against one device: the run verdict (``pass``, ``fail``,
    ``inconclusive``, ``error``), the counts, every failed requirement and one
    :class:`TestResult` per test case. ``json`` is ``report.json``'s text."""

    verdict: str
    counts: Dict[str, int]
    failed_requirements: List[str]
    device: Dict[str, Any]
    partial: bool
    run_id: str
    tests: List[TestResult]
    json: str = field(repr=False)

    @property
    def passed(self) -> bool:
        """Whether the run verdict is ``pass``."""
        return self.verdict == "pass"

    def failures(self) -> List[TestResult]:
        """The test cases that did not pass and were applicable."""
        return [t for t in self.tests if t.verdict not in ("pass", "not-applicable")]

    def test(self, id: str) -> Optional[TestResult]:
        """The result of test case ``id`` (``TC-SEC-3.1``), if it is in the report."""
        return next((t for t in self.tests if t.id == id), None)

    def to_dict(self) -> Dict[str, Any]:
        """``report.json`` as a dict."""
        return json.loads(self.json)

    @classmethod
    def from_json(cls, text: str) -> "Report":
        """Read ``report.json``'s text."""
        d = json.loads(text)
        summary = d["summary"]
        return cls(
            verdict=summary["verdict"],
            counts=dict(summary["counts"]),
            failed_requirements=list(summary["failed_requirements"]),
            device=dict(d["device"]),
            partial=bool(d["partial"]),
            run_id=d["run_id"],
            tests=[TestResult.from_dict(t) for t in d["tests"]],
            json=text,
        )


@dataclass(frozen=True)
class VerifiedReport:
    """A signed report that verified: who signed it, when, and the report itself."""

    lab: Dict[str, str]
    signed_at: int
    validated_at: int
    report: Report
