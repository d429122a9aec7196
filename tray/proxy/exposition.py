"""Reading the few samples the app needs out of a Prometheus text exposition.

Real deployments serve megabytes: every series carries ~15 labels and repeats per API key.
prometheus_client's parser costs ~70 µs a sample line (1.7 s for an 8.6 MB exposition), so
lines are first kept by sample name (a set lookup per line), then split here, labels read
with one regex; label strings holding escapes go to prometheus_client's own label parser, so
escaping is handled exactly as it does. bench/README.md ("Metrics poll") has the figures.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Iterator, NamedTuple

from prometheus_client.parser import parse_labels

_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"\\]*)"')
_SAMPLE = re.compile(
    r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?\s+[-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|Inf|inf|NaN|nan)(?:\s+-?[0-9]+)?"
)


class Sample(NamedTuple):
    name: str
    labels: dict[str, str]
    value: float


class NotExposition(ValueError):
    """The text is not Prometheus metrics (an HTML page, JSON, garbage)."""


def sample_name(line: str) -> str:
    """The sample name a line starts with ('' for comments and blank lines)."""
    if not line or line[0] == "#":
        return ""
    brace = line.find("{")
    space = line.find(" ")
    ends = [i for i in (brace, space) if i >= 0]
    return line[: min(ends)] if ends else line


def parse_samples(text: str, names: Iterable[str]) -> Iterator[Sample]:
    """Samples whose name is in `names`; other lines are skipped unparsed.

    Raises NotExposition when the text does not look like an exposition at all.
    """
    wanted = frozenset(names)
    check_exposition(text)
    for line in text.splitlines():
        name = sample_name(line)
        if name in wanted:
            sample = _parse_line(name, line)
            if sample is not None:
                yield sample


def _parse_line(name: str, line: str) -> Sample | None:
    rest = line[len(name):]
    labels: dict[str, str] = {}
    if rest.startswith("{"):
        close = rest.rfind("}")
        if close < 0:
            return None
        body, rest = rest[1:close], rest[close + 1:]
        labels = _labels(body)
    fields = rest.split()
    if not fields:
        return None
    try:
        value = float(fields[0])
    except ValueError:
        return None
    return Sample(name, labels, value)


def _labels(body: str) -> dict[str, str]:
    if "\\" in body:
        try:
            return parse_labels(body)
        except ValueError:
            return {}
    return dict(_LABEL.findall(body))


def check_exposition(text: str, probe: int = 20) -> None:
    """Raise NotExposition unless the first meaningful lines are comments or samples."""
    seen = 0
    head = text[:64 * 1024]
    if len(text) > len(head):
        head = head.rsplit("\n", 1)[0]      # no half line at the cut
    for line in head.splitlines():
        line = line.strip()
        if not line:
            continue
        if not (line.startswith("#") or _SAMPLE.fullmatch(line)):
            shown = " ".join(line.split())[:80]
            raise NotExposition(f"not Prometheus metrics (starts with {shown!r})")
        seen += 1
        if seen >= probe:
            return


def finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))
