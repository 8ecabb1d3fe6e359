"""``metav1.Status`` errors: one exception type carrying code, reason and message.

Example::

    raise StatusError(404, "NotFound", 'pods "web" not found',
                      details={"name": "web", "kind": "pods"})
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, NamedTuple

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


class CauseType(str, Enum):
    """``metav1.CauseType`` values a validation error carries (``details.causes[].reason``).

    Example::

        FieldError(CauseType.REQUIRED, "spec.containers").cause()["reason"]
    """

    REQUIRED = "FieldValueRequired"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    DUPLICATE = "FieldValueDuplicate"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"
    NOT_FOUND = "FieldValueNotFound"
    TYPE_INVALID = "FieldValueTypeInvalid"


_BODY_PREFIX = {
    CauseType.REQUIRED: "Required value",
    CauseType.INVALID: "Invalid value",
    CauseType.NOT_SUPPORTED: "Unsupported value",
    CauseType.DUPLICATE: "Duplicate value",
    CauseType.FORBIDDEN: "Forbidden",
    CauseType.TOO_LONG: "Too long",
    CauseType.TOO_MANY: "Too many",
    CauseType.NOT_FOUND: "Not found",
    CauseType.TYPE_INVALID: "Invalid value",
}


class GoValue(str):
    """A value already written as Go's ``%#v`` shows it (``map[string]string{...}``):
    :func:`go_quote` prints it bare.

    Example::

        go_quote(GoValue('map[string]string{"a":"b"}'))   # printed as is
    """


def go_quote(value: Any) -> str:
    """A value as Go's ``%q``/``%#v`` shows it in a field error (strings quoted,
    numbers and booleans bare).

    Example::

        go_quote("a b"), go_quote(3), go_quote(True)   # ('"a b"', '3', 'true')
    """
    if isinstance(value, GoValue):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return "<nil>"
    return _go_sharp(value)


def _go_sharp(value: Any) -> str:
    """Go's ``%#v`` of a decoded JSON value (``[]interface {}{1, "a"}``)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))}:{_go_sharp(v)}" for k, v in value.items())
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "interface {}(nil)"
    return str(value)


class FieldError(NamedTuple):
    """One ``field.Error``: ``str()`` is ``spec.x: Invalid value: "v": detail``, as the
    real server prints it; ``body()`` is the same without the field (a cause's message).

    Example::

        str(FieldError(CauseType.REQUIRED, "spec.containers"))  # "spec.containers: Required value"
    """

    type: CauseType
    field: str
    detail: str = ""
    value: Any = None
    has_value: bool = False

    def body(self) -> str:
        """The message without the field path (``details.causes[].message``)."""
        text = _BODY_PREFIX[self.type]
        if self.has_value and self.type not in (CauseType.REQUIRED, CauseType.FORBIDDEN,
                                                CauseType.TOO_LONG, CauseType.TOO_MANY):
            text += f": {go_quote(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> dict[str, Any]:
        """The ``StatusCause`` document (reason, message, field)."""
        return {"reason": self.type.value, "message": self.body(), "field": self.field}


def status_json(body: dict[str, Any]) -> bytes:
    """A Status (or any) document encoded as the real API server encodes it: compact,
    UTF-8, ``<``, ``>``, ``&`` escaped as Go's encoder does, and a trailing newline.

    Example::

        status_json({"kind": "Status"})   # b'{"kind":"Status"}\n'
    """
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode() + b"\n"


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
    if details is not None or retry_after is not None:  # {} is sent as "details":{}
        d: dict[str, Any] = {}
        src = dict(details or {})
        # Field order and omitted empties as metav1.StatusDetails serialises them.
        for key in ("name", "group", "kind", "uid", "causes"):
            if src.get(key):
                d[key] = src.pop(key)
            else:
                src.pop(key, None)
        d.update(src)
        if retry_after is not None:
            d["retryAfterSeconds"] = max(1, round(retry_after))
        body["details"] = d
    code_value = body.pop("code")
    body["code"] = code_value
    return body


def not_found(resource: str, name: str, group: str = "") -> StatusError:
    """The 404 a missing object gives: ``pods "web" not found``.

    Example::

        not_found("deployments", "web", "apps").message   # 'deployments.apps "web" not found'
    """
    qual = f"{resource}.{group}" if group else resource
    return StatusError(
        404, "NotFound", f'{qual} "{name}" not found',
        details={"name": name, "group": group, "kind": resource},
    )


def invalid(kind: str, name: str, causes: list[str] | list[FieldError],
            group: str = "") -> StatusError:
    """The 422 a failed validation gives: ``Pod "x" is invalid: metadata.name: ...``
    (``Deployment.apps "x"`` in a named group; several errors in ``[...]``).

    Example::

        invalid("Pod", "x", [FieldError(CauseType.REQUIRED, "spec.containers")])
    """
    texts = [str(c) for c in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    qual = f"{kind}.{group}" if group else kind
    docs = [c.cause() if isinstance(c, FieldError) else {"message": c} for c in causes]
    return StatusError(
        422, "Invalid", f'{qual} "{name}" is invalid: {joined}',
        details={"name": name, "group": group, "kind": kind, "causes": docs},
    )


def bad_request(message: str) -> StatusError:
    """A 400 BadRequest (malformed body, mismatched name, wrong kind).

    Example::

        raise bad_request("the request body is empty")
    """
    return StatusError(400, "BadRequest", message)
