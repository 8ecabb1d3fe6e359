"""Engine errors, each carrying what the CLI needs to print kubectl's exact line.

* :class:`ApiError` (:class:`NotFound`, :class:`Forbidden`): ``str(exc)`` is
  ``Error from server (REASON): MESSAGE``;
* :class:`UnknownResourceType`: ``error: the server doesn't have a resource type "foo"``;
* :class:`NoMatchingResources`: ``error: no matching resources found``;
* :class:`KubeconfigError`, :class:`ConditionError`: ``error: `` + ``str(exc)``;
* :class:`ConnectionFailed`: ``The connection to the server HOST was refused - ...``.

Messages never contain a credential: they are built from the resource, the
server's ``Status.message`` and file paths only.

Example::

    try:
        eng.wait("pod/web-0", for_="condition=Ready")
    except NotFound as e:
        print(e)            # Error from server (NotFound): pods "web-0" not found
        print(e.status)     # 404
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "ConditionError",
    "ConnectionFailed",
    "Forbidden",
    "KubeError",
    "KubeconfigError",
    "NoMatchingResources",
    "NotFound",
    "UnknownResourceType",
    "WaitFailed",
    "api_error",
]


class KubeError(Exception):
    """Base of every error the engine raises on its own (not interruptions)."""


class ApiError(KubeError):
    """The API server answered with an error ``Status``.

    ``status`` is the HTTP code, ``reason`` the Status reason (``NotFound``,
    ``Forbidden``, ``Expired``, ...), ``message`` the server's message and
    ``retry_after`` the ``Retry-After`` header in seconds, if any.
    ``str(exc)`` is kubectl's line: ``Error from server (NotFound): pods "x" not found``.

    Example::

        ApiError(404, "NotFound", 'pods "x" not found').status   # 404
    """

    def __init__(
        self, status: int, reason: str, message: str, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.reason = reason or _default_reason(status)
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"Error from server ({self.reason}): {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.status, self.reason, self.message, self.retry_after))


class NotFound(ApiError, LookupError):
    """404 NotFound, e.g. ``Error from server (NotFound): pods "web-0" not found``."""


class Forbidden(ApiError, PermissionError):
    """403 Forbidden (RBAC)."""


class UnknownResourceType(KubeError, LookupError):
    """Discovery knows no such resource type.

    Example::

        str(UnknownResourceType("foo"))  # the server doesn't have a resource type "foo"
    """

    def __init__(self, resource: str) -> None:
        self.resource = resource
        super().__init__(f'the server doesn\'t have a resource type "{resource}"')

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.resource,))


class NoMatchingResources(KubeError, LookupError):
    """A selector (or ``--all``) matched nothing: ``no matching resources found``."""

    def __init__(self, message: str = "no matching resources found") -> None:
        super().__init__(message)


class KubeconfigError(KubeError, ValueError):
    """The kubeconfig is missing, unreadable, or has no (such) context.

    Example::

        KubeconfigError('stat /nope: no such file or directory')
    """


class WaitFailed(KubeError):
    """A wait ended because the object can no longer meet its condition.

    Raised when a ``fail_for`` condition holds, when a ``ready`` wait's object
    becomes Failed (kstatus), or when a ``ready`` wait's object is deleted.
    ``object`` is the object as last seen (``None`` if never seen), ``resource``
    the ``resource/name`` the wait names it by (``""`` when not known yet) and
    ``reason`` the short why (``condition Failed=True``, ``deleted``, a kstatus
    message). ``str(exc)`` is ``RESOURCE: REASON`` (the CLI prints it after
    ``error: ``).

    Example::

        try:
            eng.wait("job/pi", for_="condition=Complete", fail_for="condition=Failed")
        except WaitFailed as e:
            print(e)          # jobs/pi: condition Failed=True
            e.object          # the Job as last seen
    """

    def __init__(
        self, reason: str, object: dict[str, Any] | None = None, resource: str = ""
    ) -> None:
        self.reason = reason
        self.object = object
        self.resource = resource
        super().__init__(f"{resource}: {reason}" if resource else reason)

    def named(self, resource: str) -> WaitFailed:
        """A copy of this error naming ``resource`` (kept as is if already named)."""
        if self.resource:
            return self
        return WaitFailed(self.reason, self.object, resource)

    def __reduce__(self) -> tuple[Any, ...]:
        return (WaitFailed, (self.reason, self.object, self.resource))


class ConditionError(KubeError, ValueError):
    """A condition cannot be evaluated on the object (kubectl errors out too),
    e.g. ``given jsonpath expression matches more than one value``."""


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def _default_reason(status: int) -> str:
    return _REASONS.get(status, "Unknown")


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def api_error(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """Build the right :class:`ApiError` subclass from an HTTP error response.

    ``body`` is the response body (a ``metav1.Status`` when the server is
    Kubernetes); anything else gives a generic message with the status code.

    Example::

        api_error(404, b'{"kind":"Status","reason":"NotFound","message":"pods \\"x\\" not found"}')
    """
    doc: Any = body
    if isinstance(body, (bytes, str)):
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
    reason = ""
    message = ""
    code = status
    if isinstance(doc, Mapping):
        reason = str(doc.get("reason") or "")
        message = str(doc.get("message") or "")
        if isinstance(doc.get("code"), int) and doc["code"]:
            code = int(doc["code"])
    if not message:
        message = (
            f"the server responded with the status code {code} "
            "but did not return more information"
        )
    retry_after = _parse_retry_after((headers or {}).get("Retry-After"))
    cls: type[ApiError] = ApiError
    if code == 404:
        cls = NotFound
    elif code == 403:
        cls = Forbidden
    return cls(code, reason, message, retry_after)


class ConnectionFailed(KubeError, ConnectionError):
    """The API server cannot be reached. ``str(exc)`` is kubectl's line:
    ``The connection to the server 127.0.0.1:6443 was refused - did you specify
    the right host or port?`` (one line)
    ``host`` is ``HOST:PORT`` (never a credential).

    Example::

        ConnectionFailed("127.0.0.1:6443").host   # '127.0.0.1:6443'
    """

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(
            f"The connection to the server {host} was refused - "
            "did you specify the right host or port?"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.host,))
