"""The watcher's decisions, row by row, on plain bytes and exceptions (no server):
how a stream's bytes end (read_stream), which outcome a failed request is
(outcome_of_error), the very-short-watch rule (settle), the delay (delay_for), the
cache's trust (trusted_after) and the one action of every outcome (TRANSITIONS)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest
import urllib3

import hybridwait.kube.watcher as watcher_mod
from hybridwait.kube.errors import ConnectionFailed, api_error
from hybridwait.kube.watcher import (
    TRANSITIONS,
    Action,
    Delay,
    Outcome,
    Step,
    Trust,
    delay_for,
    outcome_of_error,
    read_stream,
    settle,
    trusted_after,
)
from hybridwait.kube.watchstream import (
    EventType,
    LineFramer,
    LineTooLong,
    MalformedLine,
    WatchEvent,
    decode,
)


def line(etype: str, name: str = "a", rv: str = "1", **extra: Any) -> bytes:
    obj = {"kind": "Pod", "metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}
    obj.update(extra)
    return json.dumps({"type": etype, "object": obj}).encode() + b"\n"


def status_line(code: int, reason: str) -> bytes:
    obj = {"kind": "Status", "status": "Failure", "code": code, "reason": reason}
    return json.dumps({"type": "ERROR", "object": obj}).encode() + b"\n"


A1, M2, D3 = line("ADDED", rv="1"), line("MODIFIED", rv="2"), line("DELETED", rv="3")
BM = json.dumps({"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {
    "resourceVersion": "9"}}}).encode() + b"\n"


def split_every(data: bytes, n: int) -> list[bytes]:
    return [data[i:i + n] for i in range(0, len(data), n)]


class Cut(Exception):
    """Stands for the exception an urllib3 stream raises part-way."""


def chunks(parts: Sequence[bytes], then: BaseException | None = None) -> Iterator[bytes]:
    yield from parts
    if then is not None:
        raise then


def run(parts: Sequence[bytes], then: BaseException | None = None, **kw: Any
        ) -> tuple[Outcome, list[list[tuple[str, str]]]]:
    """read_stream over plain byte chunks; the batches applied, as (type, rv)."""
    batches: list[list[tuple[str, str]]] = []

    def apply(evs: Iterable[WatchEvent]) -> None:
        batches.append([(e.type.value, e.resource_version) for e in evs])

    return read_stream(chunks(parts, then), apply, **kw), batches


def read_timeout() -> BaseException:
    return urllib3.exceptions.ReadTimeoutError(None, "/api", "Read timed out.")  # type: ignore[arg-type]


def cut() -> BaseException:
    return urllib3.exceptions.ProtocolError("Connection broken", ConnectionResetError())


# (name, chunks, exception at the end, outcome, batches applied, action)
STREAM_ROWS: list[tuple[str, list[bytes], Any, Outcome, list[list[tuple[str, str]]], Action]] = [
    ("clean end after events: one batch per chunk", [A1 + M2, D3], None, Outcome.ENDED,
     [[("ADDED", "1"), ("MODIFIED", "2")], [("DELETED", "3")]],
     Action(Step.WATCH, Delay.NONE, Trust.KEEP)),
    ("lines split anywhere across chunks", split_every(A1 + M2, 7), None, Outcome.ENDED,
     [[("ADDED", "1")], [("MODIFIED", "2")]], Action(Step.WATCH, Delay.NONE, Trust.KEEP)),
    ("bookmark only", [BM], None, Outcome.ENDED, [[("BOOKMARK", "9")]],
     Action(Step.WATCH, Delay.NONE, Trust.KEEP)),
    ("blank lines skipped, unterminated last line applied at the end",
     [b"\n\n" + A1 + b"  \n", M2.rstrip(b"\n")], None, Outcome.ENDED,
     [[("ADDED", "1")], [("MODIFIED", "2")]], Action(Step.WATCH, Delay.NONE, Trust.KEEP)),
    ("410 ERROR event: events before it applied, then relist",
     [A1 + status_line(410, "Expired") + M2], None, Outcome.EXPIRED, [[("ADDED", "1")]],
     Action(Step.LIST, Delay.NONE, Trust.LOSE)),
    ("other ERROR event: re-watch at once", [status_line(500, "InternalError")], None,
     Outcome.ERROR_EVENT, [], Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("malformed line: re-watch at once, nothing after it applied",
     [A1, b"this is not json\n" + M2], None, Outcome.MALFORMED, [[("ADDED", "1")]],
     Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("unknown event type", [b'{"type":"SURPRISE","object":{}}\n'], None, Outcome.MALFORMED, [],
     Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("object not a mapping", [b'{"type":"ADDED","object":[1]}\n'], None, Outcome.MALFORMED, [],
     Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("event without object", [b'{"type":"ADDED"}\n'], None, Outcome.MALFORMED, [],
     Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("a JSON line that is not an object", [b'[1, 2]\n'], None, Outcome.MALFORMED, [],
     Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("no byte for the read timeout: stalled", [A1], read_timeout(), Outcome.STALLED,
     [[("ADDED", "1")]], Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("connection cut mid-line: broken, the partial line dropped", [A1, M2[:10]], cut(),
     Outcome.BROKEN, [[("ADDED", "1")]], Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
    ("socket error: broken", [], ConnectionResetError(), Outcome.BROKEN, [],
     Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
]


@pytest.mark.parametrize(
    ("parts", "then", "outcome", "batches", "action"),
    [r[1:] for r in STREAM_ROWS], ids=[r[0] for r in STREAM_ROWS])
def test_stream_bytes_to_outcome_to_action(
    parts: list[bytes], then: Any, outcome: Outcome, batches: Any, action: Action
) -> None:
    got, applied = run(parts, then)
    assert got is outcome
    assert applied == batches
    assert TRANSITIONS[got] == action


def test_a_line_over_the_limit_is_refused_not_buffered() -> None:
    """Over ``max_line`` (16 MiB by default) the stream is given up as soon as the
    incomplete line passes the limit: back off, cache not trusted."""
    fed: list[int] = []

    def endless() -> Iterator[bytes]:
        while True:
            fed.append(1)
            yield b"x" * 64

    out = read_stream(endless(), lambda evs: None, max_line=1000)
    assert out is Outcome.TOO_LONG and len(fed) == 16  # 1,024 bytes > 1,000: stopped there
    assert TRANSITIONS[out] == Action(Step.WATCH, Delay.BACKOFF, Trust.LOSE)
    # a complete line over the limit within one chunk, too
    out2, applied2 = run([A1 + b'{"type":"ADDED","pad":"' + b"y" * 2000 + b'"}\n'], max_line=1000)
    assert out2 is Outcome.TOO_LONG and applied2 == []


def test_stop_ends_the_read_before_the_next_chunk() -> None:
    calls: list[int] = []

    def stopping() -> bool:
        return len(calls) > 0

    def apply(evs: Iterable[WatchEvent]) -> None:
        calls.append(len(list(evs)))

    out = read_stream(iter([A1, M2, D3]), apply, stopping=stopping)
    assert out is Outcome.STOP and calls == [1]
    assert TRANSITIONS[out].step is Step.STOP


def test_a_chunk_is_decoded_one_event_at_a_time_as_apply_takes_them() -> None:
    """The consumer stores each event before the next line is decoded, so a
    burst's chunk never lives as hundreds of decoded objects at once."""
    prepared: list[str] = []
    seen: list[tuple[str, int]] = []

    def prepare(obj: dict[str, Any]) -> dict[str, Any]:
        prepared.append(obj["metadata"]["resourceVersion"])
        return obj

    def apply(evs: Iterable[WatchEvent]) -> None:
        for ev in evs:
            seen.append((ev.resource_version, len(prepared)))

    out = read_stream(iter([A1 + M2 + BM + line("MODIFIED", rv="4")]), apply, prepare=prepare)
    assert out is Outcome.ENDED
    assert seen == [("1", 1), ("2", 2), ("9", 2), ("4", 3)]  # bookmarks are not prepared


def test_an_apply_that_leaves_events_unread_is_a_bug_not_a_silent_loss() -> None:
    def apply(evs: Iterable[WatchEvent]) -> None:
        next(iter(evs))

    with pytest.raises(RuntimeError, match="without consuming"):
        read_stream(iter([A1 + M2]), apply)


def test_an_error_inside_apply_is_not_taken_for_a_broken_stream() -> None:
    """A bug in applying events must surface (the thread logs it as a crash), not
    be mistaken for a connection problem and retried for ever."""

    def apply(evs: Iterable[WatchEvent]) -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        read_stream(iter([A1]), apply)


# (name, exception, step, outcome, action)
ERROR_ROWS: list[tuple[str, BaseException, Step, Outcome, Action]] = [
    ("410 on watch: relist", api_error(410, b'{"kind":"Status","reason":"Expired","code":410}'),
     Step.WATCH, Outcome.EXPIRED, Action(Step.LIST, Delay.NONE, Trust.LOSE)),
    ("410 on list: list again after a backoff", api_error(410, b"{}"), Step.LIST,
     Outcome.LIST_FAILED, Action(Step.LIST, Delay.BACKOFF, Trust.LOSE)),
    ("429 on watch", api_error(429, b'{"reason":"TooManyRequests"}', {"Retry-After": "1"}),
     Step.WATCH, Outcome.THROTTLED, Action(Step.WATCH, Delay.RETRY_AFTER, Trust.LOSE)),
    ("503 on list", api_error(503, b"", {"Retry-After": "2"}), Step.LIST,
     Outcome.LIST_THROTTLED, Action(Step.LIST, Delay.RETRY_AFTER, Trust.LOSE)),
    ("500 on watch", api_error(500, b"oops"), Step.WATCH, Outcome.THROTTLED,
     Action(Step.WATCH, Delay.RETRY_AFTER, Trust.LOSE)),
    ("403 on watch: waiters GET meanwhile", api_error(403, b'{"reason":"Forbidden"}'),
     Step.WATCH, Outcome.FORBIDDEN, Action(Step.WATCH, Delay.BACKOFF, Trust.LOSE)),
    ("403 on list", api_error(403, b"{}"), Step.LIST, Outcome.LIST_FAILED,
     Action(Step.LIST, Delay.BACKOFF, Trust.LOSE)),
    ("404 on watch", api_error(404, b"{}"), Step.WATCH, Outcome.REFUSED,
     Action(Step.WATCH, Delay.BACKOFF, Trust.LOSE)),
    ("no connection on watch", ConnectionFailed("127.0.0.1:1"), Step.WATCH, Outcome.REFUSED,
     Action(Step.WATCH, Delay.BACKOFF, Trust.LOSE)),
    ("no connection on list", ConnectionFailed("127.0.0.1:1"), Step.LIST, Outcome.LIST_FAILED,
     Action(Step.LIST, Delay.BACKOFF, Trust.LOSE)),
    ("no headers within stall_timeout", read_timeout(), Step.WATCH, Outcome.STALLED,
     Action(Step.WATCH, Delay.NONE, Trust.LOSE)),
]


@pytest.mark.parametrize(
    ("exc", "step", "outcome", "action"), [r[1:] for r in ERROR_ROWS],
    ids=[r[0] for r in ERROR_ROWS])
def test_failed_request_to_outcome_to_action(
    exc: BaseException, step: Step, outcome: Outcome, action: Action
) -> None:
    got = outcome_of_error(exc, step)
    assert got is outcome
    assert TRANSITIONS[got] == action


@pytest.mark.parametrize(
    ("outcome", "events", "lasted", "settled"),
    [
        (Outcome.ENDED, 0, 0.2, Outcome.SHORT),  # client-go's "very short watch"
        (Outcome.BROKEN, 0, 0.9, Outcome.SHORT),
        (Outcome.ENDED, 0, 1.0, Outcome.ENDED),
        (Outcome.ENDED, 1, 0.2, Outcome.ENDED),  # a bookmark counts
        (Outcome.BROKEN, 3, 0.1, Outcome.BROKEN),
        (Outcome.STALLED, 0, 0.1, Outcome.STALLED),
        (Outcome.MALFORMED, 0, 0.1, Outcome.MALFORMED),
        (Outcome.EXPIRED, 0, 0.1, Outcome.EXPIRED),
    ],
)
def test_very_short_watch(outcome: Outcome, events: int, lasted: float, settled: Outcome) -> None:
    assert settle(outcome, events, lasted) is settled
    if settled is Outcome.SHORT:
        assert TRANSITIONS[settled] == Action(Step.WATCH, Delay.BACKOFF, Trust.LOSE)


@pytest.mark.parametrize(
    ("delay", "retry_after", "backoff", "seconds"),
    [
        (Delay.NONE, 5.0, 3.2, 0.0),
        (Delay.BACKOFF, 5.0, 3.2, 3.2),  # a Forbidden watch ignores Retry-After
        (Delay.RETRY_AFTER, 1.0, 3.2, 1.0),  # the server's word wins over the backoff
        (Delay.RETRY_AFTER, None, 3.2, 3.2),  # no Retry-After: the backoff
        (Delay.RETRY_AFTER, 300.0, 3.2, 30.0),  # capped at the backoff cap
        (Delay.RETRY_AFTER, -1.0, 3.2, 0.0),
    ],
)
def test_delay(delay: Delay, retry_after: float | None, backoff: float, seconds: float) -> None:
    assert delay_for(delay, retry_after, backoff) == seconds


def test_retry_after_from_a_429s_bytes_sets_the_delay() -> None:
    exc = api_error(429, b'{"kind":"Status","code":429}', {"Retry-After": "1"})
    action = TRANSITIONS[outcome_of_error(exc, Step.WATCH)]
    assert delay_for(action.delay, exc.retry_after, 0.8 * 2**3) == 1.0


def trust_through(outcomes: Sequence[Outcome], synced: bool = True) -> list[bool]:
    trusted = False
    seen = []
    for o in outcomes:
        trusted = trusted_after(TRANSITIONS[o].trust, trusted, synced or o is Outcome.LISTED)
        seen.append(trusted)
    return seen


def test_a_stream_reopened_after_a_failure_is_trusted_only_once_it_proves_live() -> None:
    """D13: headers are no proof (a stalled server sends headers, then nothing)."""
    seq = [Outcome.LISTED, Outcome.OPENED, Outcome.EVENT, Outcome.STALLED, Outcome.OPENED,
           Outcome.STALLED, Outcome.OPENED, Outcome.BOOKMARK, Outcome.ENDED, Outcome.OPENED,
           Outcome.BROKEN, Outcome.OPENED, Outcome.EVENT]
    assert trust_through(seq) == [True, True, True, False, False, False, False, True, True, True,
                                  False, False, True]


def test_nothing_is_trusted_before_the_first_list() -> None:
    assert trust_through([Outcome.OPENED, Outcome.EVENT, Outcome.BOOKMARK], synced=False) == [
        False, False, False]


def test_every_outcome_has_one_action_and_the_module_doc_says_which() -> None:
    assert set(TRANSITIONS) == set(Outcome)
    doc = watcher_mod.__doc__ or ""
    rows = re.findall(r"^``(\w+)``\s+(.+?)\s{2,}(none|backoff|Retry-After)\s+(\w+)$", doc, re.M)
    table = {Outcome(name): (nxt, delay, trust) for name, nxt, delay, trust in rows}
    assert set(table) == set(Outcome), "the module doc's table misses outcomes"
    first_word = {Step.LIST: ("list", "relist"), Step.WATCH: ("watch", "re-watch"),
                  Step.READ: ("read",), Step.STOP: ("end",)}
    delays = {"none": Delay.NONE, "backoff": Delay.BACKOFF, "Retry-After": Delay.RETRY_AFTER}
    trusts = {"gained": Trust.GAIN, "kept": Trust.KEEP, "lost": Trust.LOSE}
    for outcome, (nxt, delay, trust) in table.items():
        action = TRANSITIONS[outcome]
        assert nxt.split()[0] in first_word[action.step], outcome
        assert delays[delay] is action.delay, outcome
        assert trusts[trust] is action.trust, outcome


# -- the framer and decoder on their own ------------------------------------------------
def test_framer_cuts_lines_wherever_the_chunks_split() -> None:
    data = A1 + BM + M2
    for size in (1, 2, 5, 64, len(data)):
        f = LineFramer()
        lines = [ln for part in split_every(data, size) for ln in f.feed(part)]
        assert [decode(x).resource_version for x in lines] == ["1", "9", "2"]
        assert f.end() == b""


def test_framer_refuses_an_overlong_line_in_pieces() -> None:
    f = LineFramer(max_line=10)
    assert f.feed(b"12345") == []
    with pytest.raises(LineTooLong):
        f.feed(b"678901")


def test_decode_types_and_error_codes() -> None:
    assert decode(A1).type is EventType.ADDED
    assert decode(status_line(410, "Expired")).code == 410
    assert decode(A1).code is None
    ev = decode(b'{"type":"MODIFIED","object":{"metadata":{}}}')
    assert ev.resource_version == ""
    with pytest.raises(MalformedLine) as info:
        decode(b'{"type":"ADDED","object":{"data":{"password":"hunter2"}}, x')
    assert "hunter2" not in str(info.value)
