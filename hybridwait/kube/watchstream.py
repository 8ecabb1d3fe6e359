"""The watch stream's I/O: line framing and event decoding, no decisions.

A Kubernetes watch response is a stream of JSON objects, one per line
(``{"type": "ADDED", "object": {...}}``). This module turns the bytes of such a
stream into :class:`WatchEvent` s and says what is wrong with a line that is not
one; what the watcher *does* about it (apply, reconnect, relist, back off) is
decided in :mod:`hybridwait.kube.watcher`.

* :class:`LineFramer` cuts chunks (of any size, split anywhere) into complete
  lines, in linear time, and refuses a line longer than ``max_line`` bytes
  (:data:`MAX_LINE`, 16 MiB: etcd's object limit is 1.5 MiB, so a longer line
  means a broken or hostile stream) instead of buffering it.
* :func:`decode` turns one line into a :class:`WatchEvent`, or raises
  :class:`MalformedLine` (not JSON, no ``type``/``object``, an object that is
  not a mapping, an unknown event type). The JSON is decoded by orjson when it
  is installed (``pip install 'hybridwait[fast]'``), else by the standard
  library (:func:`loads`).
* :func:`chunks_of` iterates the body of an urllib3 response as it arrives.

Example::

    framer = LineFramer()
    lines = framer.feed(b'{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\\n{"ty')
    decode(lines[0]).resource_version      # '7'
    framer.feed(b'pe": ...')               # the rest of the second line, when it comes
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

_fast_loads: Callable[[bytes], Any] | None
try:  # optional: pip install 'hybridwait[fast]' (docs/dependencies.md)
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - the standard library decodes the same
    _fast_loads = None

__all__ = [
    "MAX_LINE",
    "EventType",
    "LineFramer",
    "LineTooLong",
    "MalformedLine",
    "WatchEvent",
    "chunks_of",
    "decode",
    "loads",
]

#: Longest watch line accepted, in bytes (etcd's object limit is 1.5 MiB).
MAX_LINE = 16 * 1024 * 1024


class EventType(enum.Enum):
    """The ``type`` of a watch event.

    Example::

        EventType("BOOKMARK") is EventType.BOOKMARK
    """

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    BOOKMARK = "BOOKMARK"
    ERROR = "ERROR"


_TYPES: dict[object, EventType] = {t.value: t for t in EventType}
"""A line's ``type`` to its :class:`EventType` (a dict lookup: calling the enum
class costs several times more, once per event)."""


class WatchEvent(NamedTuple):
    """One decoded watch line: its type and its object (a ``Status`` for ``ERROR``).

    Example::

        ev = decode(b'{"type":"ERROR","object":{"kind":"Status","code":410}}')
        ev.type is EventType.ERROR and ev.code == 410
    """

    type: EventType
    object: dict[str, Any]

    @property
    def resource_version(self) -> str:
        """The object's ``metadata.resourceVersion`` ("" if absent)."""
        meta = self.object.get("metadata")
        rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
        return str(rv) if rv else ""

    @property
    def code(self) -> int | None:
        """An ``ERROR`` event's Status code (410 = Expired), else None."""
        code = self.object.get("code")
        return code if self.type is EventType.ERROR and isinstance(code, int) else None


class MalformedLine(ValueError):
    """A line of a watch stream that is not a watch event (the text says why;
    it never quotes the line, which may hold a Secret's data).

    Example::

        decode(b"not json")   # raises MalformedLine("not JSON")
    """


class LineTooLong(ValueError):
    """A watch line longer than the framer's ``max_line``.

    Example::

        LineFramer(max_line=3).feed(b"abcd")   # raises LineTooLong
    """


class LineFramer:
    """Cuts a byte stream into lines; blank lines are skipped.

    Linear in the bytes fed (an incomplete line is kept in pieces, joined once
    when its newline arrives). ``feed`` raises :class:`LineTooLong` as soon as
    the incomplete line exceeds ``max_line`` (default :data:`MAX_LINE`).

    Example::

        f = LineFramer(max_line=100)
        f.feed(b"a\\nb")   # [b"a"]
        f.feed(b"c\\n")    # [b"bc"]
        f.end()           # b"" (nothing left over)
    """

    __slots__ = ("_parts", "_size", "max_line")

    def __init__(self, max_line: int | None = None) -> None:
        self.max_line = MAX_LINE if max_line is None else max_line
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines that ``chunk`` completes (without their newline)."""
        if b"\n" not in chunk:
            self._parts.append(chunk)
            self._size += len(chunk)
            self._check(self._size)
            return []
        self._parts.append(chunk)
        *lines, rest = b"".join(self._parts).split(b"\n")
        self._parts = [rest] if rest else []
        self._size = len(rest)
        for line in lines:
            self._check(len(line))
        self._check(self._size)
        return [line for line in lines if line.strip()]

    def end(self) -> bytes:
        """What is left after the stream's end: an unterminated last line, or b""."""
        rest = b"".join(self._parts)
        self._parts = []
        self._size = 0
        return rest if rest.strip() else b""

    def _check(self, size: int) -> None:
        if size > self.max_line:
            raise LineTooLong(f"a watch line exceeds {self.max_line} bytes")


def loads(data: bytes) -> Any:
    """JSON bytes as Python values: orjson when installed (several times
    faster), else the standard library; what orjson refuses (a number beyond
    64 bits, ``NaN``) is given to the standard library, so both accept the same
    documents. Raises :class:`MalformedLine` for bytes that are not JSON.

    Example::

        loads(b'{"a": [1, 2]}')   # {'a': [1, 2]}
    """
    if _fast_loads is not None:
        try:
            return _fast_loads(data)
        except ValueError:
            pass
    try:
        return json.loads(data)
    except ValueError:
        raise MalformedLine("not JSON") from None


def decode(line: bytes) -> WatchEvent:
    """One watch line as a :class:`WatchEvent`; raises :class:`MalformedLine`.

    Example::

        decode(b'{"type":"ADDED","object":{"metadata":{"name":"a"}}}').type   # EventType.ADDED
    """
    doc = loads(line)
    if not isinstance(doc, dict) or "type" not in doc or "object" not in doc:
        raise MalformedLine("not a watch event (no type or object)")
    obj = doc["object"]
    if not isinstance(obj, dict):
        raise MalformedLine("the event's object is not a mapping")
    try:
        etype = _TYPES.get(doc["type"])
    except TypeError:  # an unhashable "type"
        etype = None
    if etype is None:
        raise MalformedLine(f"unknown event type {str(doc['type'])[:40]!r}")
    return WatchEvent(etype, obj)


def chunks_of(resp: Any) -> Iterator[bytes]:
    """The body of an urllib3 response, chunk by chunk as it arrives.

    Errors of the connection (``ReadTimeoutError`` after the read timeout,
    ``ProtocolError`` on a cut) propagate to the caller.

    Example::

        for chunk in chunks_of(transport.open(path, {"watch": "true"})): ...
    """
    if resp.chunked:
        return iter(resp.read_chunked(decode_content=True))
    return iter(resp.stream(65536))
