"""Label and field selectors with Kubernetes' syntax and matching rules.

Label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``,
``a`` (exists), ``!a`` (does not exist), comma-separated (all must hold).
Field selectors: ``path=value``, ``path==value``, ``path!=value`` on dotted paths
(``metadata.name``, ``metadata.namespace``, ``status.phase``...).

Example::

    sel = LabelSelector.parse("app=web,tier notin (db)")
    sel.matches({"metadata": {"labels": {"app": "web"}}})   # True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hybridwait.testing.apiserver.errors import bad_request

_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_SET_RE = re.compile(r"^\s*(!?)\s*([^\s!=()]+)\s*(?:(notin|in)\s*\(([^)]*)\)\s*)?$")
_EQ_RE = re.compile(r"^\s*([^\s!=()]+)\s*(==|=|!=)\s*([^\s,()]*)\s*$")


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in (s.strip() for s in parts) if p]


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    return labels if isinstance(labels, Mapping) else {}


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector; the empty selector matches everything.

    Example::

        LabelSelector.parse("env in (prod,staging),!canary").matches(pod)
    """

    requirements: tuple[Callable[[Mapping[str, str]], bool], ...] = ()
    text: str = ""

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        """Parse ``text``; raise a 400 ``StatusError`` when it is malformed."""
        if not text or not text.strip():
            return cls()
        reqs: list[Callable[[Mapping[str, str]], bool]] = []
        for part in _split_top(text):
            reqs.append(_parse_label_requirement(part, text))
        return cls(tuple(reqs), text)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """True if ``obj``'s ``metadata.labels`` satisfy every requirement."""
        if not self.requirements:
            return True
        labels = _labels(obj)
        return all(r(labels) for r in self.requirements)


def _check_key(key: str, whole: str) -> None:
    if not _KEY_RE.match(key) or len(key) > 317:
        raise bad_request(f'unable to parse requirement: invalid label key "{key}" in "{whole}"')


def _check_value(value: str, whole: str) -> None:
    if not _VALUE_RE.match(value) or len(value) > 63:
        raise bad_request(
            f'unable to parse requirement: invalid label value "{value}" in "{whole}"'
        )


def _parse_label_requirement(part: str, whole: str) -> Callable[[Mapping[str, str]], bool]:
    m = _EQ_RE.match(part)
    if m:
        key, op, value = m.group(1), m.group(2), m.group(3)
        _check_key(key, whole)
        _check_value(value, whole)
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    m = _SET_RE.match(part)
    if m:
        neg, key, op, values_text = m.group(1), m.group(2), m.group(3), m.group(4)
        _check_key(key, whole)
        if op is None:
            if neg:
                return lambda labels: key not in labels
            return lambda labels: key in labels
        if neg:
            raise bad_request(f'unable to parse requirement: "{part}" in "{whole}"')
        values = frozenset(v.strip() for v in values_text.split(",") if v.strip())
        for v in values:
            _check_value(v, whole)
        if op == "in":
            if not values:
                raise bad_request(f'unable to parse requirement: "{part}": empty set')
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: labels.get(key) not in values
    raise bad_request(f'unable to parse requirement: "{part}" in "{whole}"')


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The text a field selector compares for dotted ``path`` ("" if absent)."""
    cur: Any = obj
    for seg in path.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(seg)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


@dataclass(frozen=True)
class FieldSelector:
    """A parsed field selector (``=``, ``==``, ``!=`` on dotted paths).

    Example::

        FieldSelector.parse("metadata.name=web-0").matches(pod)
        FieldSelector.parse("metadata.name=web-0").exact_name()   # "web-0"
    """

    requirements: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> FieldSelector:
        """Parse ``text``; raise a 400 ``StatusError`` when it is malformed."""
        if not text or not text.strip():
            return cls()
        reqs: list[tuple[str, str, str]] = []
        for part in _split_top(text):
            m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
            if not m:
                raise bad_request(f'invalid field selector: "{part}" in "{text}"')
            path, op, value = m.group(1), m.group(2), m.group(3)
            reqs.append((path, "!=" if op == "!=" else "=", value))
        return cls(tuple(reqs))

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """True if every requirement holds on ``obj``."""
        for path, op, value in self.requirements:
            actual = field_value(obj, path)
            if (actual == value) != (op == "="):
                return False
        return True

    def exact_name(self) -> str | None:
        """The name an ``metadata.name=X`` requirement pins, if any (a fast path)."""
        for path, op, value in self.requirements:
            if path == "metadata.name" and op == "=":
                return value
        return None
