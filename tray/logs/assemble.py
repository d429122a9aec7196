"""Correlate log events into RequestRecords, even with requests interleaved under concurrency.

LiteLLM writes a request's body without an id, names the `litellm_call_id` on some later lines
only, and writes access lines (the HTTP status) with no id at all. The assembler ties them
together: a body is bound to the call id of the first later line that repeats its messages;
an outcome (done or an exception) queues the request for the next access line of a matching
kind; costs, usage and responses go by call id (a response that names none is taken only
when a single request can own it).
A record is emitted as soon as its outcome is known and again whenever a later line adds to it
(the store upserts by id, so re-emitting never duplicates).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, Iterable, TypeVar

from tray.logs.bodies import ENDPOINTS, message_hint, stored_messages, text_key
from tray.logs.events import (
    Access, Bind, Cost, Done, Failure, Located, Response, Restart, Start, Tokens,
)
from tray.model import RequestRecord, StartedRequest, last_user_text
from tray.redact import redact

T = TypeVar("T")

#: Finished requests kept for late lines (status code, cost), by count.
RECENT_KEEP = 256
#: Finished requests a restart reads again, so their late lines find them (see safe_offset).
RESUME_OVERLAP = 32
#: Unfinished requests older than this many newer requests are given up on (lines lost).
PENDING_LIMIT = 2000
#: An access line waits this many events for the request whose outcome it reports.
ACCESS_WAIT = 64
#: Characters of a started request's prompt passed on (a notification shows one line of it).
STARTED_PROMPT_CHARS = 200


@dataclass(eq=False)   # compared by identity: `in` and `remove` on lists must not compare bodies
class _Request:
    start_offset: int
    time: str | None
    file_key: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    call_id: str | None = None
    deployment: str | None = None
    call: str | None = None                        # the LiteLLM function it was sent to
    hint: str = ""                                 # see tray.logs.bodies
    finished: bool = False
    failure: Failure | None = None
    status_code: int | None = None
    response: Response | None = None
    cost: float | None = None
    latency_ms: float | None = None
    access_only: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)   # redacted, once
    access_at: str | None = None                   # "file key:offset" of its access line
    path: str | None = None                        # the path its access line names
    source: str = "debug"                          # format of the line it began on
    unseen: bool = False                           # begun before a window read (see _stand_in)
    text_key: str | None = None                    # where its body held its text: its endpoint

    @property
    def called(self) -> bool:
        """Its call line was read (the line LiteLLM writes before it calls the model)."""
        return self.deployment is not None or self.call is not None


class Assembler:
    """Feed it located events in file order; it returns records each time one changes."""

    def __init__(self, file_key: str, secrets: Iterable[str] = ()) -> None:
        self.file_key = file_key
        self.secrets = tuple(s for s in secrets if s)
        self.prompts_seen = False
        self._pending: list[_Request] = []          # started, outcome unknown
        self._by_call: dict[str, _Request] = {}
        self._awaiting_code: deque[_Request] = deque()  # finished, no access line yet
        self._recent: deque[_Request] = deque(maxlen=RECENT_KEEP)
        # access lines waiting for their request's outcome line: (event, where, count, when)
        self._unclaimed: deque[tuple[Access, Located, int, float, str]] = deque()
        self._events = 0
        #: Requests seen starting, kept only for a reader whose owner takes them (take_started),
        #: or they would pile up.
        self.track_started = False
        self.started: list[StartedRequest] = []
        self.first_start_offset: int | None = None   # of the first request body seen
        #: Access lines ("file key:offset") a run before a restart already gave their request:
        #: when the restart reads them again they are skipped, never matched a second time.
        self.replayed: dict[str, str] = {}   # mark -> id of the request it went to
        #: Reading a window from the middle of a file (the tail's): outcome lines of requests
        #: begun before it come without their bodies (see _stand_in).
        self.mid_file = False
        #: The proxy runs workers under a parent process: seen in the lines, or told by a reader
        #: that begins after the parent's start line (see tray.logs.lookback).
        self.supervised = False
        self._coded: set[str] = set()        # ids whose access line was read before finishing

    # -- feeding -----------------------------------------------------------------------------
    def feed_all(self, items: Iterable[Located]) -> list[RequestRecord]:
        """Take events in file order; return the records they finished or changed, each built
        once however many of the events touched it."""
        changed: dict[int, _Request] = {}
        for item in items:
            for request in self._apply(item):
                changed.pop(id(request), None)
                changed[id(request)] = request
        return [self._record(r) for r in changed.values() if r.finished and not r.unseen]

    def _apply(self, item: Located) -> list[_Request]:
        """Take one event; return the requests it changed."""
        event = item.event
        self._events += 1
        changed: list[_Request] = []
        if self._unclaimed and self._events - self._unclaimed[0][2] > ACCESS_WAIT:    # seldom: checked here
            changed = self._assign_waiting(lambda entry: self._events - entry[2] > ACCESS_WAIT)
        if isinstance(event, Start):
            self.prompts_seen = True
            if self.first_start_offset is None:
                self.first_start_offset = item.offset
            # The scanner prepared the body (in a worker, as a rule); a Start fed in by hand is
            # prepared here, once.
            hint = event.hint if event.hint is not None else message_hint(event.body)
            messages = event.messages if event.messages is not None \
                else stored_messages(event.body, self.secrets)
            key = event.text_key if event.messages is not None else text_key(event.body)
            self._pending.append(_Request(item.offset, item.time, self.file_key, event.body,
                                          hint=hint, messages=messages, source=item.source,
                                          text_key=key))
            if len(self._pending) > PENDING_LIMIT:
                changed.append(self._give_up(self._pending[0], "no outcome in the log (still running, "
                                                               "or the proxy stopped)"))
        elif isinstance(event, Bind):
            self._bind(event)
        elif isinstance(event, Done):
            request = self._by_call.get(event.call_id)
            if request is None and self.mid_file and event.streamed is False:
                self._stand_in(event.call_id, item, None)
            elif request is not None and not request.finished:
                changed.append(self._finish(request, item.time))
        elif isinstance(event, Failure):
            changed.extend(self._failure(event, item))
        elif isinstance(event, Access):
            mark = _mark(self.file_key, item.offset)
            if mark in self.replayed:
                self._replayed_access(self.replayed[mark])
                return changed
            claimed = self._claim_access(event, mark)
            if claimed is not None:
                changed.append(claimed)
            else:
                self._unclaimed.append((event, item, self._events, time.monotonic(), self.file_key))
        elif isinstance(event, Cost):
            changed.extend(self._cost(event))
        elif isinstance(event, Response):
            changed.extend(self._response(event, item))
        elif isinstance(event, Restart):
            self.supervised = self.supervised or event.parent
            if event.parent or not self.supervised:   # not one worker of several restarted
                changed.extend(self._restarted())
        elif isinstance(event, Tokens):
            request = self._by_call.get(event.call_id)
            if request is not None:
                usage = Response(None, event.prompt_tokens, event.completion_tokens, event.total_tokens)
                request.response = _merge_response(request.response, usage)
                changed.append(request)
        return changed

    def under_way(self) -> list[RequestRecord]:
        """The requests begun whose outcome the lines read so far do not hold, oldest first, as
        they stand: for showing what `grep "Request received"` shows; never stored, as their
        status is not known yet."""
        return [self._record(r) for r in self._pending if not r.unseen]

    def take_started(self) -> list[StartedRequest]:
        """Requests that began (and got the id their record will have) since the last call."""
        started, self.started = self.started, []
        return started

    def settle(self, waited: float = 0.0) -> list[RequestRecord]:
        """At the end of what there is to read: access lines that have waited `waited` seconds
        get their request. Requests under way stay pending (they may finish later)."""
        now = time.monotonic()
        assigned = self._assign_waiting(lambda entry: now - entry[3] >= waited)
        return [self._record(request) for request in assigned if not request.unseen]

    def _assign_waiting(self, overdue: Callable[[tuple[Access, Located, int, float, str]], bool]
                        ) -> list[_Request]:
        """Give the access lines waited for longest to their likeliest requests, as long as
        `overdue` says the oldest has waited enough (see _assign_access)."""
        assigned = []
        while self._unclaimed and overdue(self._unclaimed[0]):
            event, item, _, _, key = self._unclaimed.popleft()
            assigned.append(self._assign_access(event, item, key))
        return assigned

    def started_before_window(self, record: RequestRecord, window_start: int) -> bool:
        """True for an access-only record whose request may have begun before `window_start`
        (of a window read from there, which holds request bodies): it came before the
        window's first body, or it is a success, whose body a log with bodies always holds."""
        first = self.first_start_offset
        head, _, offset = record.id.rpartition("-")
        if window_start == 0 or first is None or record.messages or not head \
                or not all(c in "0123456789abcdef" for c in offset):
            return False
        return int(offset, 16) < first or (record.status_code or 0) < 400

    def safe_offset(self, default: int, *, overlap: bool = True) -> int:
        """Where a restart must re-read from so that no request in progress is lost, and so
        that the requests that just finished are known again when their late lines come (a
        retry naming the same call id, a call id written after the error): the restarted
        reader then sees what an uninterrupted one saw."""
        just_finished = list(self._recent)[-RESUME_OVERLAP:] if overlap else []
        offsets = [r.start_offset for r in (*self._pending, *self._awaiting_code, *just_finished)
                   if r.file_key == self.file_key]
        offsets += [entry[1].offset for entry in self._unclaimed if entry[4] == self.file_key]
        return min(offsets, default=default)

    # -- correlation ---------------------------------------------------------------------------
    def _bind(self, event: Bind) -> None:
        known = self._by_call.get(event.call_id)
        if known is not None:
            # 1.108 names the call id first in "receiving data: {...}", which does not say
            # which deployment or function is called: the call line after it does.
            known.deployment = known.deployment or event.deployment
            known.call = known.call or event.call
            return
        unbound = [r for r in self._pending if r.call_id is None]
        chosen = next((r for r in unbound if r.hint and r.hint in event.text), None)
        if chosen is None:
            # A request refused early (invalid model) may be named only after its error line.
            chosen = next((r for r in reversed(self._recent) if r.call_id is None and not r.access_only
                           and r.hint and r.hint in event.text), None)
        if chosen is None:
            # Bound blindly only where nothing can be checked: a request with no text, or a line
            # where LiteLLM shortened the messages (`messages=<list len=1>`, long prompts). A line
            # naming a request that began before this reader started must not take another's place.
            blind = "messages=<list" in event.text
            chosen = next((r for r in unbound if blind or not r.hint), None)
        if chosen is None:
            return
        if not chosen.finished:      # an emitted record keeps the id it was stored under
            chosen.call_id = event.call_id
            model = chosen.body.get("model")
            if self.track_started:
                self.started.append((event.call_id, model if isinstance(model, str) else None,
                                     last_user_text(chosen.messages)[:STARTED_PROMPT_CHARS]))
        chosen.deployment = chosen.deployment or event.deployment
        chosen.call = chosen.call or event.call
        self._by_call[event.call_id] = chosen

    def _finish(self, request: _Request, time: str | None, *, claim_waiting: bool = True
                ) -> _Request:
        """`request` has its outcome; it takes a waiting access line that fits it, unless
        (`claim_waiting` False) it is being given one."""
        request.finished = True
        request.latency_ms = _latency_ms(request.time, time)
        if request in self._pending:
            self._pending.remove(request)
        if len(self._recent) == self._recent.maxlen:
            self._forget(self._recent[0])
        self._recent.append(request)
        if self._coded and {request.call_id, self._fallback_id(request)} & self._coded:
            self._coded -= {request.call_id, self._fallback_id(request)}
            return request           # its access line was read again before this: it has its code
        self._awaiting_code.append(request)
        if not claim_waiting or request.access_only:
            return request
        waiting = _best(self._unclaimed, lambda e, exact: _began_before(request, e[4], e[1].offset)
                        and _fits(request, e[0], exact))
        if waiting is not None:
            self._unclaimed.remove(waiting)
            self._set_code(request, waiting[0], _mark(waiting[4], waiting[1].offset))
        return request

    def _stand_in(self, call_id: str, item: Located, failure: Failure | None) -> None:
        """An outcome line, read from the middle of a file, of a request begun before: a
        stand-in takes it, and the access line that follows, so that neither is given to a
        request of the window. It never becomes a record. (Only where the access line is
        known to follow: a stream's is written when the stream starts, before its outcome.)"""
        request = _Request(item.offset, item.time, self.file_key, call_id=call_id, failure=failure,
                           unseen=True)
        self._by_call[call_id] = request
        self._finish(request, item.time)

    def _failure(self, event: Failure, item: Located) -> list[_Request]:
        if event.call_id and event.call_id not in self._by_call and self.mid_file:
            self._stand_in(event.call_id, item, event)
            return []
        request = self._by_call.get(event.call_id) if event.call_id else None
        if request is None:
            # No known id: the oldest unfinished request for the model group the error names
            # (an invalid model is refused before LiteLLM binds a call id to it).
            unfinished = [r for r in self._pending if r.failure is None
                          and (event.call_id is None or r.call_id is None)]
            request = next((r for r in unfinished if event.model and r.body.get("model") == event.model),
                           None)
            if request is None and event.model is None:
                request = next((r for r in unfinished if r.call_id is None), None)
        if request is None or (request.finished and request.failure is not None):
            return []
        request.failure = event
        if event.call_id and request.call_id is None and not request.finished:
            request.call_id = event.call_id
            self._by_call[event.call_id] = request
        if event.status_code and request.status_code is None:
            request.status_code = event.status_code
        if request.finished:
            return [request]
        return [self._finish(request, item.time)]

    def _replayed_access(self, request_id: str) -> None:
        """A restart read an access line again: the request it went to has its status (it
        may finish again only later in the lines read again: then it must not take another)."""
        for request in self._awaiting_code:
            if request_id in (request.call_id, self._fallback_id(request)):
                self._awaiting_code.remove(request)
                return
        self._coded.add(request_id)

    @staticmethod
    def _fallback_id(request: _Request) -> str:
        return f"{request.file_key}-{request.start_offset:x}"

    def _claim_access(self, event: Access, mark: str) -> _Request | None:
        """The finished request this access line reports, if one is waiting for it."""
        request = _best(self._awaiting_code, lambda r, exact: _fits(r, event, exact))
        if request is not None:
            self._set_code(request, event, mark)
        return request

    def _assign_access(self, event: Access, item: Located, file_key: str) -> _Request:
        """An access line no outcome line claimed in time: give it to the likeliest request."""
        mark = _mark(file_key, item.offset)
        request = self._claim_access(event, mark)
        if request is not None:
            return request
        candidates = [r for r in self._pending if r.failure is None
                      and _began_before(r, file_key, item.offset)]
        if event.status_code < 400:
            # a success whose outcome line LiteLLM did not write (a stream from the Responses
            # API): the oldest request under way that was sent to that endpoint (none: its
            # body is not in the log, as 1.74 writes none for /v1/messages)
            candidates = [r for r in candidates if _sent_to(r, event.path)]
            request = next((r for r in candidates if r.call_id), candidates[0] if candidates else None)
        elif event.status_code >= 500:
            # a stream that failed before its first chunk: LiteLLM's error line names no call id
            request = next((r for r in candidates if r.call_id and r.body.get("stream")
                            and _sent_to(r, event.path)), None)
        # Any other error status no exception line claimed was refused before LiteLLM read the
        # request (authentication): it has no body in the log, so it stands alone.
        if request is None:  # nothing in the log but the access line (auth failures, plain logs)
            request = _Request(item.offset, item.time, file_key, access_only=True, source=item.source)
        self._finish(request, item.time, claim_waiting=False)
        self._set_code(request, event, mark)
        return request

    def _set_code(self, request: _Request, event: Access, mark: str) -> None:
        request.access_at = mark
        request.path = event.path
        if request.status_code is None or request.failure is None:
            request.status_code = event.status_code
        if event.status_code >= 400 and request.failure is None:
            request.failure = Failure(None, f"HTTP {event.status_code}", event.status_code)
        if request in self._awaiting_code:
            self._awaiting_code.remove(request)

    def _cost(self, event: Cost) -> list[_Request]:
        request = self._by_call.get(event.call_id)
        if request is None:
            return []
        request.cost = event.value
        return [request]

    def _response(self, event: Response, item: Located) -> list[_Request]:
        if event.call_id is not None:
            by_id = self._by_call.get(event.call_id)
            if by_id is None:
                return []
            by_id.response = _merge_response(by_id.response, event)
            return [by_id]
        # An upstream's raw answer, or the router's, comes while its request is under way,
        # after its call line; the guide format's finishes its request.
        pool = [r for r in self._pending if r.called] if event.in_flight else [*self._pending, *self._recent]
        owners = [r for r in pool if r.response is None and r.failure is None
                  and not r.access_only and not r.body.get("stream")
                  and _same_model(r.deployment, event.model)]
        # The guide format answers in order; otherwise a response naming no request is
        # taken only when a single request can own it.
        if not owners or (len(owners) > 1 and not event.finishes):
            return []
        request = owners[0]
        request.response = event
        if event.finishes and not request.finished:
            self._finish(request, item.time)
        return [request]

    def _forget(self, request: _Request) -> None:
        """A request leaving the recent window: its call id no longer needs to be found.
        (One bound after it was stored keeps its old id, so look it up by the request.)"""
        if request.call_id is not None:
            names = [request.call_id]
        else:
            names = [name for name, known in self._by_call.items() if known is request]
        for name in names:
            if self._by_call.get(name) is request:
                del self._by_call[name]

    def _restarted(self) -> list[_Request]:
        """The proxy started again: the requests still under way before it (in this file or
        an earlier one: a restart may truncate its log) were never answered. Access lines
        waiting for their request get it first."""
        changed = self._assign_waiting(lambda entry: True)
        lost = list(self._pending)
        return changed + [self._give_up(r, "the proxy restarted before answering") for r in lost]

    def _give_up(self, request: _Request, why: str) -> _Request:
        """`request` will get no outcome: it ends as an error saying `why`."""
        if request in self._pending:
            self._pending.remove(request)
        request.finished = True
        request.failure = request.failure or Failure(None, why)
        return request

    # -- output ------------------------------------------------------------------------------
    def _record(self, request: _Request) -> RequestRecord:
        body = request.body
        metadata = body.get("metadata") or body.get("litellm_metadata") or {}
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
        tags = tags if isinstance(tags, list) else body.get("tags") if isinstance(body.get("tags"), list) else []
        response = request.response
        request_id = request.call_id or self._fallback_id(request)
        return RequestRecord(
            id=request_id,
            time=request.time,
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            messages=request.messages,
            response=redact(response.text, self.secrets) if response else None,
            status="error" if request.failure is not None else "ok",
            status_code=request.status_code,
            error=redact(request.failure.message, self.secrets) if request.failure else None,
            prompt_tokens=response.prompt_tokens if response else None,
            completion_tokens=response.completion_tokens if response else None,
            total_tokens=response.total_tokens if response else None,
            cost=request.cost,
            latency_ms=request.latency_ms,
            stream=bool(body.get("stream")),
            tags=[str(t) for t in tags],
            source=request.source,
            log_offset=request.start_offset,
            access_at=request.access_at,
            endpoint=request.path or _endpoint(request),
        )


def _mark(file_key: str, offset: int) -> str:
    """Names one access line across restarts: its file and where it starts."""
    return f"{file_key}:{offset}"


def _best(items: Iterable[T], fits: Callable[[T, bool], bool]) -> T | None:
    """The first item that fits exactly, else the first that fits at all (in one pass)."""
    loose = None
    for item in items:
        if fits(item, True):
            return item
        if loose is None and fits(item, False):
            loose = item
    return loose


def _fits(request: _Request, access: Access, exact: bool = False) -> bool:
    """Could this access line be this request's outcome? Its endpoint, and its status."""
    status_code = access.status_code
    if (request.failure is not None) != (status_code >= 400) or not _sent_to(request, access.path):
        return False
    known = request.status_code
    return known == status_code if exact else known is None or known == status_code


def _began_before(request: _Request, file_key: str, offset: int) -> bool:
    """Was `request` received before the line at `offset` of file `file_key` was written? An
    access line is written after its request's body (other files: no telling)."""
    return request.file_key != file_key or request.start_offset < offset


def _sent_to(request: _Request, path: str) -> bool:
    """Could `request` have been sent to `path`? The function its call line named says so;
    else the key its body held its text under (a chat's `messages`, a legacy completion's
    `prompt`, `input` for the rest). A request with neither, or an endpoint not listed, could
    have been sent anywhere."""
    for part, key, function in ENDPOINTS:
        if part in path:
            if request.call is not None:
                return request.call == function
            return request.text_key is None or request.text_key == key
    return True


def _endpoint(request: _Request) -> str | None:
    """The endpoint a request with no access line was sent to, from the function its call
    line named (None: no call line)."""
    return next(("/v1" + part for part, _, function in ENDPOINTS if function == request.call), None)


def _merge_response(old: Response | None, new: Response) -> Response:
    """Fill what `old` lacks from `new` (text and usage may arrive on different lines)."""
    if old is None:
        return new
    return Response(
        text=old.text if old.text is not None else new.text,
        prompt_tokens=new.prompt_tokens if new.prompt_tokens is not None else old.prompt_tokens,
        completion_tokens=new.completion_tokens if new.completion_tokens is not None else old.completion_tokens,
        total_tokens=new.total_tokens if new.total_tokens is not None else old.total_tokens,
        model=old.model or new.model,
    )


@lru_cache(maxsize=1024)
def _same_model(deployment: str | None, model: str | None) -> bool:
    if not model or not deployment:
        return True
    return deployment == model or deployment.endswith("/" + model) or model.endswith("/" + deployment)


def _latency_ms(start: str | None, end: str | None) -> float | None:
    """Milliseconds between two ISO times, only when both have sub-second precision."""
    if not start or not end or "." not in start or "." not in end:
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None
    return round(delta.total_seconds() * 1000, 1)
