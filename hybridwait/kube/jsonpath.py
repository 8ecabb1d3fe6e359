"""kubectl's JSONPath, evaluated with the ``jsonpath-ng`` library.

kubectl accepts a *relaxed* expression (``{.status.phase}``, ``.status.phase``,
``status.phase`` or ``{status.phase}``) and evaluates it with missing keys
allowed (a missing path yields no value). ``jsonpath-ng``'s extended parser
handles the subset ``kubectl wait`` users write: fields, ``['quoted.keys']``,
indexes and slices, ``[*]``, ``..`` and filters such as
``[?(@.type=="Ready")]`` (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` and
existence ``[?(@.x)]``). It never evaluates Python code.

Example::

    expr = compile_jsonpath('{.status.conditions[?(@.type=="Ready")].status}')
    expr.find({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    # ['True']
"""

from __future__ import annotations

import functools
import math
import re
import threading
from typing import Any

__all__ = ["JSONPath", "compile_jsonpath", "go_format", "relaxed_jsonpath"]

# kubectl's RelaxedJSONPathExpression: one optional {...} around one optional
# leading dot and no nested braces.
_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")
_RELAXED_ERROR = (
    "unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
    "'{name1.name2}' or '{.name1.name2}'"
)
# ply's parser (behind jsonpath-ng) keeps state per parse: serialize parses.
_PARSE_LOCK = threading.Lock()


def relaxed_jsonpath(expression: str) -> str:
    """Normalize a kubectl relaxed JSONPath to the ``{.a.b}`` form.

    Raises ``ValueError`` with kubectl's message when the shape is wrong.

    Example::

        relaxed_jsonpath("status.phase")     # '{.status.phase}'
    """
    if expression == "":
        raise ValueError("jsonpath expression cannot be empty")
    match = _RELAXED.match(expression)
    if match is None:
        raise ValueError(_RELAXED_ERROR)
    body = match.group(1) if match.group(1) else match.group(2)
    return "{." + body + "}"


class JSONPath:
    """A compiled kubectl JSONPath. ``find(obj)`` returns every matched value
    (an empty list when the path is missing). Immutable and thread-safe.

    Example::

        JSONPath("{.metadata.name}").find({"metadata": {"name": "web-0"}})  # ['web-0']
    """

    __slots__ = ("_compiled", "expression")

    def __init__(self, expression: str) -> None:
        self.expression = relaxed_jsonpath(expression)
        self._compiled = _parse(self.expression)

    def find(self, obj: Any) -> list[Any]:
        """Every value the path selects in ``obj`` (missing keys select nothing)."""
        return [m.value for m in self._compiled.find(obj)]

    def __repr__(self) -> str:
        return f"JSONPath({self.expression!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JSONPath) and other.expression == self.expression

    def __hash__(self) -> int:
        return hash(self.expression)


@functools.lru_cache(maxsize=512)
def _parse(relaxed: str) -> Any:
    from jsonpath_ng.exceptions import JSONPathError
    from jsonpath_ng.ext.parser import parse

    inner = relaxed[2:-1]  # strip "{." and "}"
    text = "$" + ("" if inner.startswith("[") else ".") + inner
    if inner.startswith("."):  # "{..name}": recursive descent
        text = "$." + inner
    try:
        with _PARSE_LOCK:
            compiled = parse(text)
        compiled.find({})  # jsonpath-ng evaluates recursively: a huge path fails here
    except RecursionError:
        raise ValueError(f"invalid jsonpath {relaxed!r}: expression too deep") from None
    except (JSONPathError, Exception) as exc:  # the lexer raises plain Exception too
        raise ValueError(f"invalid jsonpath {relaxed!r}: {exc}") from None
    return compiled


def compile_jsonpath(expression: str) -> JSONPath:
    """Compile a kubectl relaxed JSONPath (``ValueError`` quoting it when invalid).

    Example::

        compile_jsonpath(".status.readyReplicas").find({"status": {"readyReplicas": 3}})  # [3]
    """
    return JSONPath(expression)


def go_format(value: Any) -> str:
    """Format a JSON scalar as Go's ``fmt.Sprintf("%v", v)`` does for decoded JSON.

    Example::

        go_format(True), go_format(3), go_format(2.0), go_format(None)
        # ('true', '3', '2', '<nil>')
    """
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        if math.isnan(value):
            return "NaN"
        if value == int(value) and abs(value) < 1e21:
            return str(int(value))
        text = repr(value)
        if "e" in text:  # Go writes e+21 / e-07
            mantissa, exp = text.split("e")
            sign = "-" if exp.startswith("-") else "+"
            digits = exp.lstrip("+-").rjust(2, "0")
            text = f"{mantissa}e{sign}{digits}"
        return text
    return str(value)
