"""The records every part of the app passes around.

Plain dataclasses with no behaviour beyond (de)serialisation, so the parsers, the store,
the state and the GUI agree on one shape without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "error"]

#: The JSON keys of `prompts --json`, in the order DESIGN.md gives them.
RECORD_KEYS = (
    "id", "time", "model", "messages", "response", "status", "status_code", "error",
    "prompt_tokens", "completion_tokens", "total_tokens", "cost", "latency_ms",
    "stream", "tags", "source",
)


@dataclass
class RequestRecord:
    """One request through the proxy, as far as the log tells it.

    `model` is the model group the client asked for (e.g. ``cheap``), not the deployment.
    `source` names the log format it came from (``debug``, ``json``, ``plain``, ``guide``).
    """

    id: str
    time: str | None = None
    model: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    response: str | None = None
    status: Status = "ok"
    status_code: int | None = None
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None
    latency_ms: float | None = None
    stream: bool = False
    tags: list[str] = field(default_factory=list)
    source: str = ""
    #: Where the request began in its log file: orders records oldest first. Not stored.
    log_offset: int = field(default=-1, compare=False, repr=False)
    #: "file key:offset" of the access line that gave its status: a restart skips that line.
    access_at: str | None = field(default=None, compare=False, repr=False)
    #: The proxy path it was sent to (`/v1/embeddings`...), where the log tells it: the viewer
    #: replays it there. Stored; not in the `prompts --json` contract.
    endpoint: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The `prompts --json` object, keys in contract order. Its lists and messages are
        copies; what messages hold is shared (`asdict`'s deep copy cost 35x as much, 1.6 s of a
        43 000-request `prompts --json`)."""
        data = {key: getattr(self, key) for key in RECORD_KEYS}
        data["messages"] = [dict(m) if isinstance(m, dict) else m for m in self.messages]
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RequestRecord":
        return cls(**{key: data[key] for key in RECORD_KEYS if key in data})

    @property
    def last_user_text(self) -> str:
        """The last user message's text: what a person recognises a request by."""
        return last_user_text(self.messages)


#: A request seen starting, before its outcome: (its id, the model asked for, its last user
#: message, redacted). The hanging-request alert and the menu's *Under way* take these.
StartedRequest = tuple[str, str | None, str]


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The text of the last user message among `messages` ("" if none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content") or ""
            if isinstance(content, list):   # content parts: the text ones are the prompt
                content = " ".join(str(part.get("text", "")) for part in content
                                   if isinstance(part, dict) and part.get("type") == "text")
            return str(content)
    return ""


# -- proxy: health, metrics, spend, budgets -------------------------------------------------------


@dataclass
class Health:
    """Whether the proxy answers at all (`/health/liveliness`, no auth), and why not."""

    url: str
    up: bool
    error: str | None = None
    latency_ms: float | None = None


@dataclass
class MetricsSnapshot:
    """What one `/metrics` poll says, reduced to what the app shows.

    Counters are cumulative since the proxy started (they reset when it restarts); None means
    this LiteLLM version does not expose that figure. `by_model` keys are model groups
    (`requested_model`), or the deployment name on versions that lack that label.
    """

    taken_at: float
    era: str                                  # current / 2024 / docs / enterprise / empty
    requests_total: float | None = None
    requests_failed: float | None = None
    requests_by_model: dict[str, float] = field(default_factory=dict)
    failed_by_model: dict[str, float] = field(default_factory=dict)
    tokens_total: float | None = None
    tokens_input: float | None = None
    tokens_output: float | None = None
    spend_total: float | None = None
    spend_by_model: dict[str, float] = field(default_factory=dict)
    latency_p50: float | None = None          # seconds, since the proxy started
    latency_p95: float | None = None
    latency_buckets: dict[float, float] = field(default_factory=dict)  # le -> cumulative count
    in_flight: float | None = None
    deployments: dict[str, str] = field(default_factory=dict)  # deployment -> healthy / partial outage / complete outage
    process_start: float | None = None        # the proxy's start time, when it says so: restarts show here
    note: str | None = None                   # what the user should know about this exposition


@dataclass
class Rates:
    """Per-minute and per-hour rates from the counter deltas between two polls."""

    seconds: float
    requests_per_min: float
    failures_per_min: float
    tokens_per_min: float
    spend_per_hour: float
    restarted: bool = False                   # the proxy restarted between the polls


@dataclass
class Spend:
    """Spend from LiteLLM's database endpoints; the errors say why a part is missing."""

    by_tag: dict[str, float] | None = None
    by_tag_error: str | None = None
    global_spend: float | None = None
    global_max_budget: float | None = None
    global_error: str | None = None
    has_database: bool | None = None          # None: not known (proxy down, auth failed)


@dataclass
class BudgetStatus:
    """One budget in its current period: how much of `limit` is spent."""

    scope: str
    limit: float
    spent: float
    period: str
    period_start: str                         # ISO time the current period began ("" for lifetime)
    origin: str = "app"

    @property
    def fraction(self) -> float:
        return self.spent / self.limit if self.limit > 0 else (1.0 if self.spent > 0 else 0.0)

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "limit": self.limit, "spent": round(self.spent, 10),
                "period": self.period, "fraction": round(self.fraction, 6)}


@dataclass(frozen=True)
class BudgetCrossing:
    """A threshold a budget passed in one period: alert on it once, then never again that period."""

    scope: str
    period: str
    period_start: str
    threshold: float
    spent: float
    limit: float


@dataclass
class ProxySnapshot:
    """Everything one poll of the proxy found. Parts that failed are None, their reasons in `errors`."""

    url: str
    taken_at: float
    health: Health
    metrics: MetricsSnapshot | None = None
    metrics_error: str | None = None
    spend: Spend | None = None
    rates: Rates | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
