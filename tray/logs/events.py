"""What one LiteLLM log message says about a request, as small typed events.

Pure functions from a message's text to events. The text (`--detailed_debug`) and JSON
(`JSON_LOGS=True`) formats carry the same messages, so both formats share this module;
only how a message is cut out of the file differs (see `tray.logs.parse`).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

from tray.logs.anchored import Anchored, QuotedAfter


# -- events -------------------------------------------------------------------------------------
# Slotted: a big log makes hundreds of thousands of them, and they are built in half the time.


@dataclass(slots=True)
class Start:
    """A request body as the client sent it ("Request received by LiteLLM:" or the guide's Body).

    The scanner fills in `messages` (redacted), `hint` and `text_key` (see tray.logs.bodies) and
    takes the raw text out of `body`: it is not needed again, and not worth carrying around."""

    body: dict[str, Any]
    messages: list[dict[str, Any]] | None = None
    hint: str | None = None
    text_key: str | None = None    # which key held the text (see tray.logs.bodies.text_key)


@dataclass(slots=True)
class Bind:
    """A line that names the request's litellm_call_id next to (part of) its messages (or its
    `prompt=` or `input=`: the call lines of legacy completions, the Responses API, embeddings)."""

    call_id: str
    text: str                      # the line, to match the request by its content
    deployment: str | None = None  # the model LiteLLM calls (e.g. openai/gpt-4o-mini)
    call: str | None = None        # the function called (`acompletion`, `aembedding`...)


@dataclass(slots=True)
class Done:
    """LiteLLM finished answering the request with this call id."""

    call_id: str
    streamed: bool | None = None   # what the line says of it ("streaming chunk": yes), if anything


@dataclass(slots=True)
class Failure:
    """An exception LiteLLM reports for a request (call id when the line names it)."""

    call_id: str | None
    message: str
    status_code: int | None = None
    model: str | None = None       # the model group the error names, when it names one


@dataclass(slots=True)
class Access:
    """A uvicorn access line: the HTTP status the client got (no request id in it)."""

    method: str
    path: str
    status_code: int


@dataclass(slots=True)
class Cost:
    """A response cost LiteLLM computed for the request with this call id.

    LiteLLM also writes `response_cost: X` lines that name no request, several per request
    (0.0 among them): under concurrency no rule tells their owner, so they are not used."""

    call_id: str
    value: float


@dataclass(slots=True)
class Response:
    """A model response with its text and usage (older releases and the guide format)."""

    text: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    model: str | None = None
    call_id: str | None = None
    finishes: bool = False         # the guide format: a response is the request's outcome
    in_flight: bool = False        # written before its request's outcome (see raw_response)


@dataclass(slots=True)
class Tokens:
    """Usage reported for a request with this call id."""

    call_id: str
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None


@dataclass(slots=True)
class Restart:
    """The proxy started (uvicorn's "Started server process"): requests still under way before
    this line will never be answered. With several workers uvicorn first starts a parent
    process (`parent`), which restarts a worker that dies: then only the parent's line is a
    restart of the whole proxy."""

    parent: bool = False


Event = Start | Bind | Done | Failure | Access | Cost | Response | Tokens | Restart

# -- recognisers --------------------------------------------------------------------------------

REQUEST_RECEIVED = "Request received by LiteLLM:"
#: LiteLLM's log of what a real upstream answered (never written for `mock_response`).
RAW_RESPONSE = "RAW RESPONSE:"
#: uvicorn's lines when the proxy starts: one process, or the parent of several workers.
STARTED = ("Started server process [", "Started parent process [")
_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+"\s+(?P<code>\d{3})')
_CALL_ID_KW = Anchored("litellm_call_id", r"['\"]?\s*[=:]\s*['\"]?(?P<id>[0-9a-fA-F-]{8,})")
#: Written at the start of its message; the long lines that name a call id further in are
#: not searched through for it.
_DONE = re.compile(r"litellm_call_id=(?P<id>[0-9a-fA-F-]{8,}): (?P<kind>response|streaming chunk) model mismatch")
_FAILURE = Anchored("Exception occured - ", r"(?:litellm_call_id=(?P<id>[0-9a-fA-F-]+|None) - )?(?P<msg>.*)", re.S)
#: "Exception occured" comes this early in an exception's message (after the function that
#: reports it): the text of a prompt further in is never taken for one.
EXCEPTION_WITHIN = 400
_FAILED_GROUP = re.compile(r"Received Model Group=(?P<group>[^\s.,]+)|Invalid model name passed in model=(?P<bad>[^\s.,]+)")
_LEADING_CODE = re.compile(r"^(?P<code>[45]\d\d): ")
_MODEL_RESPONSE = "Async Response: ModelResponse("
_CONTENT = QuotedAfter("message=Message(content=")
_USAGE = Anchored(
    "usage=Usage(", r"(?=[^)]*completion_tokens=(?P<c>\d+))(?=[^)]*prompt_tokens=(?P<p>\d+))(?=[^)]*total_tokens=(?P<t>\d+))"
)
_RESPONSE_MODEL = re.compile(r"\bmodel='(?P<model>[^']+)'")
_STATUS_IN_ERROR = re.compile(r"(?:status_code|Status Code|Error code)[=:\s]+(?P<code>[1-5]\d\d)\b")

#: Substrings that make a line worth a closer look: the scanner skips every other line.
CALL_ID_MARKER = b"litellm_call_id"
REQUEST_MARKER = b"Request received by LiteLLM"
MARKERS: tuple[bytes, ...] = (
    REQUEST_MARKER,
    CALL_ID_MARKER,
    b" HTTP/1.",
    b"Async Response: ModelResponse",
    b"Exception occured",
    b" process [",              # uvicorn's "Started server process [", "Started parent process ["
    RAW_RESPONSE.encode(),
)

#: An access line is short: a longer message quoting one (a prompt in a kwargs dump) is not one.
ACCESS_LINE_MAX = 4096

LLM_PATH_WORDS = ("completions", "/embeddings", "/messages", "/responses", "/images",
                  "/audio", "/rerank", "/moderations", "/engines/")


def is_llm_path(path: str) -> bool:
    """True for the endpoints that are requests to a model (not /health, /metrics, /spend)."""
    return any(word in path for word in LLM_PATH_WORDS)


def parse_body(text: str) -> dict[str, Any] | None:
    """The JSON request body after "Request received by LiteLLM:", or None if it is not JSON."""
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def starts_proxy(text: str) -> bool:
    """Whether `text` holds one of uvicorn's start lines (see STARTED)."""
    return STARTED[0] in text or STARTED[1] in text


def events_from_message(message: str) -> list[Event]:
    """Every event one log message (without its time/level header) carries."""
    events: list[Event] = []
    head = message[:40]
    if starts_proxy(head):
        return [Restart(STARTED[1] in head)]
    if message.startswith(REQUEST_RECEIVED):
        body = parse_body(message[len(REQUEST_RECEIVED):])
        if body is not None:
            events.append(Start(body))
        return events
    if message.startswith(RAW_RESPONSE):
        answer = parse_body(message[len(RAW_RESPONSE):])
        response = raw_response(answer) if answer is not None else None
        return [response] if response is not None else []
    if len(message) <= ACCESS_LINE_MAX and " HTTP/" in message:
        access = _ACCESS.search(message)
        if access and is_llm_path(access["path"]):
            events.append(Access(access["method"], access["path"], int(access["code"])))
            return events
    if "Exception occured" in message[:EXCEPTION_WITHIN]:
        if "_handle_llm_api_exception" not in message and "litellm_call_id=" not in message:
            # auth refusals (no request body was read: the access line counts them) and
            # LiteLLM's own callback errors ("prometheus Layer Error") are not request failures
            return events
        failure = _FAILURE.search(message)
        if failure:
            events.append(_failure(failure))
            return events
    if message.startswith(_SUCCESS_KWARGS):
        return _success_kwargs(message)
    if "litellm_call_id" in message:
        done = _DONE.match(message)
        if done:
            events.append(Done(done["id"], done["kind"] != "response"))
            return events
        call = _CALL_ID_KW.search(message)
        if call and ("messages" in message or "prompt=" in message or "input=" in message):
            events.append(Bind(call["id"], message, _deployment(message), _function(message)))
            return events
    if _MODEL_RESPONSE in message:
        events.append(_model_response(message))
    return events


_SUCCESS_KWARGS = "prometheus Logging - Enters success logging function for kwargs"
_QUOTED_CALL_ID = Anchored("'litellm_call_id': '", r"(?P<id>[0-9a-fA-F-]{8,})'")
_KW_COST = Anchored("'response_cost': ", r"(?P<value>[-+0-9.eE]+)")
_KW_CALL_TYPE = Anchored("'call_type': '", r"(?P<name>\w+)'")
_KW_USAGE = Anchored(
    "'usage_object': {", r"(?=[^}]*'completion_tokens': (?P<c>\d+))(?=[^}]*'prompt_tokens': (?P<p>\d+))"
    r"(?=[^}]*'total_tokens': (?P<t>\d+))"
)


def _function(message: str) -> str | None:
    """The LiteLLM function a call line names (`litellm.aresponses(...` -> `aresponses`): it
    tells the endpoint the request was sent to."""
    if not message.startswith("litellm.a"):
        return None
    end = message.find("(", 8, 40)
    return message[8:end] if end > 0 else None


def _deployment(message: str) -> str | None:
    """The `model='...'` keyword of a LiteLLM call line (str.find: lines run to 100 KB)."""
    at = message.find(", model='")
    if at < 0:
        return None
    start = at + len(", model='")
    end = message.find("'", start)
    return message[start:end] if end > start else None


def _success_kwargs(message: str) -> list[Event]:
    """1.5x-1.8x with the prometheus callback: one line holds a success's id, cost and usage."""
    call = _QUOTED_CALL_ID.search(message)
    if call is None:
        return []
    call_id = call["id"]
    events: list[Event] = []
    function = _KW_CALL_TYPE.search(message)
    if function is not None and function["name"] != "acompletion":
        # The line holds the request's kwargs, its text too: in 1.74 the only line that names
        # an embedding's call id. (A chat's call line always names it: no need to send this.)
        events.append(Bind(call_id, message, None, function["name"]))
    usage = _KW_USAGE.search(message)
    if usage:
        events.append(Tokens(call_id, int(usage["p"]), int(usage["c"]), int(usage["t"])))
    cost = _KW_COST.search(message)
    if cost:
        events.append(Cost(call_id, float(cost["value"])))
    text = _logged_response_text(message, function["name"] if function else None)
    if text is not None:
        events.append(Response(text, call_id=call_id))
    events.append(Done(call_id))
    return events


_SLO_CONTENT = QuotedAfter("'message': {'content': ")
#: A legacy completion's answer (`choices[0]['text']`), and the Responses API's (`output[0]`'s
#: first content part's `text`): the first text in the response that is a string.
_SLO_TEXT = QuotedAfter("'text': ")


def _logged_response_text(message: str, function: str | None = None) -> str | None:
    """The answer inside the standard logging object (or the assembled stream); `function`
    is the LiteLLM function called (it says where a response keeps its text)."""
    at = message.find("'standard_logging_object'")
    at = message.find("'response': {", at) if at >= 0 else -1
    content = _SLO_CONTENT.search(message, at) if at >= 0 else None
    if content is None and at >= 0 and function in ("atext_completion", "aresponses"):
        content = _SLO_TEXT.search(message, at)
    if content is None:
        at = message.find("'complete_streaming_response': ModelResponse(")
        content = _CONTENT.search(message, at) if at >= 0 else None
    return _unquote(*content) if content else None


#: LiteLLM's exception classes and the HTTP status the proxy answers them with.
_STATUS_OF_CLASS = {
    "BadRequestError": 400, "ContextWindowExceededError": 400, "ContentPolicyViolationError": 400,
    "AuthenticationError": 401, "PermissionDeniedError": 403, "NotFoundError": 404,
    "Timeout": 408, "UnprocessableEntityError": 422, "RateLimitError": 429,
    "InternalServerError": 500, "APIConnectionError": 500, "APIError": 500,
    "BadGatewayError": 502, "ServiceUnavailableError": 503,
}
_EXCEPTION_CLASS = re.compile(r"litellm\.(?:exceptions\.)?(?P<cls>[A-Za-z]+(?:Error|Timeout))")


def _failure(match: re.Match[str]) -> Failure:
    call_id = match["id"] if match["id"] and match["id"] != "None" else None
    detail = match["msg"].strip()
    text = detail.splitlines()[0] if detail else "error"
    code = _LEADING_CODE.match(detail) or _STATUS_IN_ERROR.search(detail)
    status = int(code["code"]) if code else None
    if status is None:
        cls = _EXCEPTION_CLASS.search(detail)
        status = _STATUS_OF_CLASS.get(cls["cls"]) if cls else None
    group = _FAILED_GROUP.search(detail)
    model = (group["group"] or group["bad"]) if group else None
    return Failure(call_id, text, status, model)


def _model_response(message: str) -> Response:
    """The router's "Async Response: ModelResponse(...)" names no request; LiteLLM writes it
    before the request's outcome line, while its request is under way (see raw_response)."""
    content = _CONTENT.search(message)
    text = _unquote(*content) if content else None
    usage = _USAGE.search(message)
    model = _RESPONSE_MODEL.search(message)
    return Response(
        text=text,
        prompt_tokens=int(usage["p"]) if usage else None,
        completion_tokens=int(usage["c"]) if usage else None,
        total_tokens=int(usage["t"]) if usage else None,
        model=model["model"] if model else None,
        in_flight=True,
    )


def _unquote(quote: str, body: str) -> str:
    if "\\" not in body:
        return body                 # nothing escaped: the literal is its text (and eval is slow)
    try:
        value = ast.literal_eval(quote + body + quote)
    except (ValueError, SyntaxError):
        return body
    return value if isinstance(value, str) else body


def raw_response(data: dict[str, Any]) -> Response | None:
    """An upstream's chat completion as LiteLLM logs it after "RAW RESPONSE:" (a streamed one
    logs no answer there), or None if it holds no answer. It names no request, and comes
    while its request is under way: see tray.logs.assemble."""
    response = response_from_json(data)
    if response.text is None and response.total_tokens is None:
        return None
    response.in_flight = True
    return response


def response_from_json(data: dict[str, Any]) -> Response:
    """The guide format's `Response: {...}` (an OpenAI chat completion object)."""
    text = None
    choices = data.get("choices") or []
    if choices and isinstance(choices[0], dict):
        message = choices[0].get("message") or {}
        text = message.get("content") if isinstance(message, dict) else None
    usage = data.get("usage") or {}
    return Response(
        text=text,
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        total_tokens=usage.get("total_tokens"),
        model=data.get("model"),
    )


@dataclass(slots=True)
class Located:
    """An event with where it came from: byte offset of its line, the line's time, and the
    format of the line (`debug`, `json`, `plain`, `guide`: a record's `source`)."""

    event: Event
    offset: int
    time: str | None = None
    source: str = "debug"
