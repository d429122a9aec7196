"""What a check found, and how the findings are printed and turned into an exit code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"

EXIT_HEALTHY = 0      # no check failed (warnings allowed)
EXIT_FAILED = 1       # at least one check failed


@dataclass(frozen=True)
class Finding:
    """One line of the report: a check's name, its level, what it saw, and what to do."""

    check: str
    level: str          # ok | warn | fail | skip (not run: something it needs failed first)
    summary: str
    advice: str | None = None


def render(findings: Iterable[Finding]) -> str:
    """One line a check (`level  check  summary`), the advice indented below it, then a tally."""
    findings = list(findings)
    width = max((len(f.check) for f in findings), default=0)
    lines = []
    for f in findings:
        lines.append(f"{f.level:<4}  {f.check:<{width}}  {f.summary}")
        if f.advice:
            lines.append(f"{'':<4}  {'':<{width}}  -> {f.advice}")
    failed = sum(f.level == FAIL for f in findings)
    warned = sum(f.level == WARN for f in findings)
    verdict = "all is well" if not (failed or warned) else f"{failed} failed, {warned} warning(s)"
    lines.append(f"doctor: {verdict}")
    return "\n".join(lines) + "\n"


def exit_code(findings: Iterable[Finding]) -> int:
    return EXIT_FAILED if any(f.level == FAIL for f in findings) else EXIT_HEALTHY
