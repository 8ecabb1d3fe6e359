"""``metav1.Status`` errors: one exception type carrying code, reason and message.

Example::

    raise StatusError(404, "NotFound", 'pods "web" not found',
                      details={"name": "web", "kind": "pods"})
"""

from __future__ import annotations

from typing import Any

# HTTP code -> the reason the real API server uses when nothing more specific applies.
DEFAULT_REASONS: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class StatusError(Exception):
    """An API error rendered as a ``metav1.Status`` body with HTTP ``code``.

    Example::

        err = StatusError(409, "Conflict", "the object has been modified")
        err.status()["reason"]   # "Conflict"
    """

    def __init__(
        self,
        code: int,
        reason: str | None = None,
        message: str = "",
        *,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.reason = reason or DEFAULT_REASONS.get(code, "Unknown")
        self.message = message or self.reason
        self.details = details
        self.retry_after = retry_after
        super().__init__(f"{code} {self.reason}: {self.message}")

    def status(self) -> dict[str, Any]:
        """The ``metav1.Status`` document for this error."""
        return status_body(self.code, self.reason, self.message, self.details, self.retry_after)


def status_body(
    code: int,
    reason: str,
    message: str,
    details: dict[str, Any] | None = None,
    retry_after: float | None = None,
) -> dict[str, Any]:
    """Build a failing ``metav1.Status`` document.

    Example::

        status_body(410, "Expired", "too old resource version: 5 (90)")
    """
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details or retry_after is not None:
        d = dict(details or {})
        if retry_after is not None:
            d["retryAfterSeconds"] = max(1, round(retry_after))
        body["details"] = d
    return body


def not_found(resource: str, name: str, group: str = "") -> StatusError:
    """The 404 a missing object gives: ``pods "web" not found``."""
    qual = f"{resource}.{group}" if group else resource
    return StatusError(
        404, "NotFound", f'{qual} "{name}" not found',
        details={"name": name, "group": group, "kind": resource},
    )


def invalid(kind: str, name: str, causes: list[str], group: str = "") -> StatusError:
    """The 422 a failed validation gives: ``Pod "x" is invalid: metadata.name: ...``."""
    return StatusError(
        422, "Invalid", f'{kind} "{name}" is invalid: ' + ", ".join(causes),
        details={"name": name, "group": group, "kind": kind,
                 "causes": [{"message": c} for c in causes]},
    )


def bad_request(message: str) -> StatusError:
    """A 400 BadRequest (malformed body, mismatched name, wrong kind)."""
    return StatusError(400, "BadRequest", message)
