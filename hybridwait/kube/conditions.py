"""Wait conditions with ``kubectl wait`` semantics, as small composable objects.

A condition is called with the object as served (a ``dict``) or ``None`` when
the object does not exist, and returns ``True`` when met. It raises
:class:`~hybridwait.kube.errors.ConditionError` when the object cannot be
judged (kubectl errors out in the same cases). Any callable
``obj_or_None -> bool`` is accepted wherever a condition is.

Example::

    from hybridwait import conditions as c

    ready = c.condition("Ready")                       # --for=condition=Ready
    running = c.jsonpath("{.status.phase}", "Running") # --for=jsonpath={.status.phase}=Running
    either = ready | c.deleted()                       # any_of(ready, deleted())
    up = c.ready()                                     # for_="ready": kstatus Current
    c.parse_for("condition=Available=false")           # condition=Available=false
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Union

from hybridwait.kube.errors import ConditionError, WaitFailed
from hybridwait.kube.jsonpath import JSONPath, go_format
from hybridwait.kube.status import Status, object_status

__all__ = [
    "Condition",
    "ConditionLike",
    "ForError",
    "all_of",
    "any_of",
    "as_condition",
    "check_fail_for",
    "condition",
    "created",
    "deleted",
    "fail_when",
    "jsonpath",
    "not_",
    "parse_for",
    "phase",
    "ready",
]

Obj = Mapping[str, Any]


class Condition:
    """Base of every condition: ``cond(obj_or_None) -> bool``.

    ``absent_ok`` tells the engine whether an object missing at the start of a
    wait is acceptable (``delete``/``create``/callables) or a ``NotFound`` error
    (``condition=``/``jsonpath=``, as kubectl). ``bind(first_seen)`` returns the
    condition to use for one object (``deleted()`` remembers the UID there).
    Combine with ``&``, ``|`` and ``~``.

    Example::

        cond = condition("Ready") & ~jsonpath("{.metadata.deletionTimestamp}")
        cond({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})  # True
    """

    @property
    def absent_ok(self) -> bool:
        """True if a missing object at the start is not an error."""
        return False

    def __call__(self, obj: Obj | None) -> bool:
        raise NotImplementedError

    def bind(self, first_seen: Obj | None) -> Condition:
        """The condition to evaluate for one object first seen as ``first_seen``."""
        return self

    def __and__(self, other: ConditionLike) -> Condition:
        return all_of(self, other)

    def __or__(self, other: ConditionLike) -> Condition:
        return any_of(self, other)

    def __invert__(self) -> Condition:
        return not_(self)


ConditionLike = Union[Condition, str, Callable[[Union[Obj, None]], bool]]  # noqa: UP007


def _nested(obj: Any, *keys: str) -> Any:
    for key in keys:
        # a decoded object is made of dicts: the exact-type test spares the ABC check
        if (type(obj) is not dict and not isinstance(obj, Mapping)) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class _StatusCondition(Condition):
    __slots__ = ("_fname", "_fstatus", "name", "status")

    def __init__(self, name: str, status: str) -> None:
        self.name = name
        self.status = status
        self._fname = name.casefold()  # folded once, not once per event
        self._fstatus = status.casefold()

    def __call__(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        conditions = _nested(obj, "status", "conditions")
        if not isinstance(conditions, list):
            return False
        generation = _as_int(_nested(obj, "metadata", "generation"))
        for cond in conditions:
            if type(cond) is not dict and not isinstance(cond, Mapping):
                continue
            ctype = cond.get("type")
            if not isinstance(ctype, str) or (
                ctype != self.name and ctype.casefold() != self._fname
            ):
                continue
            status = cond.get("status")
            if not isinstance(status, str):
                continue
            if generation is not None:
                observed = _as_int(cond.get("observedGeneration"))
                if observed is None:
                    observed = _as_int(_nested(obj, "status", "observedGeneration"))
                if observed is not None and observed < generation:
                    return False  # the status describes an older spec
            return status.casefold() == self._fstatus  # first match wins
        return False

    def __repr__(self) -> str:
        if self.status.casefold() == "true":
            return f"condition={self.name}"
        return f"condition={self.name}={self.status}"


def condition(name: str, status: str = "True") -> Condition:
    """``--for=condition=NAME[=STATUS]``: the first ``status.conditions`` entry whose
    type equals ``name`` (case-insensitively) has ``status`` (case-insensitively),
    and its ``observedGeneration`` (or ``status.observedGeneration``) is not older
    than ``metadata.generation``. A missing object is not met (and an error at start).

    Example::

        obj = {"status": {"conditions": [{"type": "ready", "status": "true"}]}}
        condition("Ready")(obj)  # True
    """
    return _StatusCondition(name, status)


class _JSONPathCondition(Condition):
    __slots__ = ("path", "value")

    def __init__(self, path: JSONPath, value: str | None) -> None:
        self.path = path
        self.value = value

    def __call__(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        found = self.path.find(obj)
        if not found:
            return False  # missing path: not yet
        if len(found) > 1:
            raise ConditionError("given jsonpath expression matches more than one value")
        if self.value is None:
            return True  # existence is enough
        result = found[0]
        if isinstance(result, (Mapping, list)):
            raise ConditionError("jsonpath leads to a nested object or list which is not supported")
        return go_format(result).strip() == self.value.strip()

    def __repr__(self) -> str:
        if self.value is None:
            return f"jsonpath={self.path.expression}"
        return f"jsonpath={self.path.expression}={self.value}"


def jsonpath(expression: str, value: str | int | float | bool | None = None) -> Condition:
    """``--for=jsonpath=EXPR[=VALUE]`` with kubectl's relaxed syntax and filters.

    No ``value``: met when the path selects a value. With ``value``: the single
    selected scalar, formatted as Go does (``true``, ``3``), equals it as trimmed
    text. Several selected values, or a nested object compared to a value, raise
    :class:`ConditionError`. Invalid expressions raise ``ValueError`` at once.

    Example::

        jsonpath("{.status.readyReplicas}", 3)({"status": {"readyReplicas": 3}})  # True
    """
    if isinstance(value, bool):
        text: str | None = "true" if value else "false"
    elif value is None:
        text = None
    else:
        text = go_format(value) if not isinstance(value, str) else value
    return _JSONPathCondition(JSONPath(expression), text)


def phase(value: str) -> Condition:
    """``status.phase`` equals ``value`` (a shorthand for ``jsonpath("{.status.phase}", value)``).

    Example::

        phase("Running")({"status": {"phase": "Running"}})  # True
    """
    return jsonpath("{.status.phase}", value)


class _Deleted(Condition):
    __slots__ = ("uid",)

    @property
    def absent_ok(self) -> bool:
        return True

    def __init__(self, uid: str | None) -> None:
        self.uid = uid

    def __call__(self, obj: Obj | None) -> bool:
        if obj is None:
            return True
        uid = _nested(obj, "metadata", "uid")
        return self.uid is not None and uid is not None and uid != self.uid

    def bind(self, first_seen: Obj | None) -> Condition:
        if self.uid is None and first_seen is not None:
            uid = _nested(first_seen, "metadata", "uid")
            if isinstance(uid, str):
                return _Deleted(uid)
        return self

    def __repr__(self) -> str:
        return "delete" if self.uid is None else f"delete(uid={self.uid})"


def deleted(uid: str | None = None) -> Condition:
    """``--for=delete``: the object is gone, or was replaced (its UID changed from
    ``uid``, or from the UID first seen by the wait when ``uid`` is ``None``).

    Example::

        deleted()(None)                                        # True
        deleted(uid="a")({"metadata": {"uid": "b"}})           # True (recreated)
    """
    return _Deleted(uid)


class _Created(Condition):
    __slots__ = ()

    @property
    def absent_ok(self) -> bool:
        return True

    def __call__(self, obj: Obj | None) -> bool:
        return obj is not None

    def __repr__(self) -> str:
        return "create"


def created() -> Condition:
    """``--for=create``: the object exists.

    Example::

        created()({"metadata": {"name": "x"}})  # True
    """
    return _Created()


class _Ready(Condition):
    __slots__ = ("seen",)

    def __init__(self, seen: bool = False) -> None:
        self.seen = seen

    def __call__(self, obj: Obj | None) -> bool:
        if obj is None:
            if self.seen:
                raise WaitFailed("deleted while waiting for it to be ready")
            return False
        st = object_status(obj)
        if st.status is Status.FAILED:
            raise WaitFailed(st.message, object=dict(obj))
        return st.status is Status.CURRENT

    def bind(self, first_seen: Obj | None) -> Condition:
        return _Ready(seen=first_seen is not None)

    def __repr__(self) -> str:
        return "ready"


def ready() -> Condition:
    """``--for=ready``: the object is up by kstatus's rules
    (:func:`hybridwait.object_status` is ``Current``).

    While it is ``InProgress`` or ``Terminating`` the wait goes on. When it is
    ``Failed`` (a Job failed, a Deployment's progress deadline passed, a pod
    crash-loops...) the condition raises :class:`~hybridwait.WaitFailed` with the
    status message, and the wait ends at once naming the object; so does an
    object the wait has seen and that is then deleted. Missing at the start:
    ``NotFound``, as ``condition=``.

    Example::

        deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 1},
                  "status": {"replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                             "availableReplicas": 1,
                             "conditions": [{"type": "Available", "status": "True"}]}}
        ready()(deploy)   # True
        eng.wait("deployment.apps/web", for_=ready(), timeout=300)
    """
    return _Ready()


class _Predicate(Condition):
    __slots__ = ("fn",)

    @property
    def absent_ok(self) -> bool:
        return True

    def __init__(self, fn: Callable[[Obj | None], bool]) -> None:
        self.fn = fn

    def __call__(self, obj: Obj | None) -> bool:
        return bool(self.fn(obj))

    def __repr__(self) -> str:
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)


class _AllOf(Condition):
    __slots__ = ("parts",)

    def __init__(self, parts: Sequence[Condition]) -> None:
        self.parts = tuple(parts)

    @property
    def absent_ok(self) -> bool:
        return all(p.absent_ok for p in self.parts)

    def __call__(self, obj: Obj | None) -> bool:
        return all(p(obj) for p in self.parts)

    def bind(self, first_seen: Obj | None) -> Condition:
        return _AllOf([p.bind(first_seen) for p in self.parts])

    def __repr__(self) -> str:
        return "all_of(" + ", ".join(map(repr, self.parts)) + ")"


class _AnyOf(Condition):
    __slots__ = ("parts",)

    def __init__(self, parts: Sequence[Condition]) -> None:
        self.parts = tuple(parts)

    @property
    def absent_ok(self) -> bool:
        return any(p.absent_ok for p in self.parts)

    def __call__(self, obj: Obj | None) -> bool:
        failed: WaitFailed | None = None
        for p in self.parts:
            try:
                if p(obj):
                    return True
            except WaitFailed as exc:  # another part may still hold now
                failed = failed or exc
        if failed is not None:
            raise failed
        return False

    def bind(self, first_seen: Obj | None) -> Condition:
        return _AnyOf([p.bind(first_seen) for p in self.parts])

    def __repr__(self) -> str:
        return "any_of(" + ", ".join(map(repr, self.parts)) + ")"


class _Not(Condition):
    __slots__ = ("inner",)

    @property
    def absent_ok(self) -> bool:
        return True

    def __init__(self, inner: Condition) -> None:
        self.inner = inner

    def __call__(self, obj: Obj | None) -> bool:
        return not self.inner(obj)

    def bind(self, first_seen: Obj | None) -> Condition:
        return _Not(self.inner.bind(first_seen))

    def __repr__(self) -> str:
        return f"not_({self.inner!r})"


def all_of(*conditions: ConditionLike) -> Condition:
    """Met when every condition is met (``--for`` repeated).

    Example::

        all_of("condition=Available", "jsonpath={.status.readyReplicas}=3")
    """
    if not conditions:
        raise ValueError("all_of() needs at least one condition")
    parts = [as_condition(c) for c in conditions]
    return parts[0] if len(parts) == 1 else _AllOf(parts)


def any_of(*conditions: ConditionLike) -> Condition:
    """Met when at least one condition is met. When none is, and one raised
    :class:`~hybridwait.WaitFailed` (e.g. :func:`ready` on a Failed object), that
    error ends the wait.

    Example::

        any_of(condition("Ready"), condition("Failed"))
    """
    if not conditions:
        raise ValueError("any_of() needs at least one condition")
    parts = [as_condition(c) for c in conditions]
    return parts[0] if len(parts) == 1 else _AnyOf(parts)


def not_(cond: ConditionLike) -> Condition:
    """Met when ``cond`` is not (a missing object satisfies ``not_(condition(...))``).

    Example::

        not_(condition("Ready"))(None)  # True
    """
    return _Not(as_condition(cond))


def _split_jsonpath_input(text: str) -> list[str]:
    """Split ``EXPR=VALUE`` on ``=`` outside braces (filters contain ``==``)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "=" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


_JSONPATH_FORMAT = (
    "jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 "
    "or --for=jsonpath='{.status.readyReplicas}'"
)


def parse_for(spec: str) -> Condition:
    """Parse one kubectl ``--for`` string into a condition.

    ``delete``, ``create`` and ``ready`` (any case; ``ready`` is hybridwait's
    :func:`ready`), ``condition=NAME[=VALUE]`` and
    ``jsonpath=EXPR[=VALUE]`` (``=`` inside ``{...}`` belongs to the expression;
    quotes around VALUE are trimmed). Anything else raises ``ValueError``
    quoting the bad part, with kubectl's wording.

    Example::

        parse_for('jsonpath={.status.conditions[?(@.type=="Ready")].status}=True')
        parse_for("bogus")   # ValueError: unrecognized condition: "bogus"
    """
    if not isinstance(spec, str):
        raise TypeError(f"--for must be a string, not {type(spec).__name__}")
    lowered = spec.lower()
    if lowered == "delete":
        return deleted()
    if lowered == "create":
        return created()
    if lowered == "ready":
        return ready()
    if spec.startswith("condition="):
        rest = spec[len("condition=") :]
        name, sep, value = rest.partition("=")
        return condition(name, value if sep else "True")
    if spec.startswith("jsonpath="):
        parts = _split_jsonpath_input(spec[len("jsonpath=") :])
        if len(parts) > 2:
            raise ForError(_JSONPATH_FORMAT, spec)
        expr = parts[0]
        if expr == "":
            raise ForError("jsonpath expression cannot be empty", spec)
        if len(parts) == 1:
            return _jsonpath_for(expr, None, spec)
        value = parts[1].strip("'\"")
        if value == "":
            raise ForError(
                "jsonpath wait has to have a value after equal sign, like "
                "--for=jsonpath='{.status.readyReplicas}'=3",
                spec,
            )
        return _jsonpath_for(expr, value, spec)
    raise ForError(f"unrecognized condition: {_go_quote(spec)}", spec)


def _jsonpath_for(expr: str, value: str | None, spec: str) -> Condition:
    try:
        return jsonpath(expr, value)
    except ForError:
        raise
    except ValueError as exc:
        raise ForError(str(exc), spec) from None


def _go_quote(text: str) -> str:
    """Go's ``%q`` for the printable strings a flag holds."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ForError(ValueError):
    """A malformed ``--for`` string. ``str(exc)`` is kubectl's message exactly;
    ``spec`` is the whole string given (the bad part).

    Example::

        try:
            parse_for("jsonpath=")
        except ForError as e:
            print(e, e.spec)   # jsonpath expression cannot be empty jsonpath=
    """

    def __init__(self, message: str, spec: str) -> None:
        super().__init__(message)
        self.spec = spec


@functools.lru_cache(maxsize=256)
def _parsed(spec: str) -> Condition:
    """:func:`parse_for`, shared by the waits that give the same string: a
    condition is immutable (``bind`` returns a new one), and 100,000 waits on
    ``"condition=Ready"`` need one, not 100,000 (about 80 bytes each)."""
    return parse_for(spec)


def as_condition(for_: ConditionLike | Iterable[ConditionLike]) -> Condition:
    """Turn what ``Engine.wait(for_=...)`` accepts into one :class:`Condition`:
    a ``--for`` string, a condition, a callable, or a list of them (all must hold).

    Example::

        as_condition(["condition=Ready", lambda o: o is not None])
    """
    if isinstance(for_, Condition):
        return for_
    if isinstance(for_, str):
        return _parsed(for_)
    if callable(for_):
        return _Predicate(for_)
    if isinstance(for_, Iterable):
        items = list(for_)
        if not items:
            raise ValueError("for_ is an empty list: give at least one condition")
        return all_of(*items)
    raise TypeError(f"for_ must be a --for string, a Condition or a callable, not {for_!r}")


class _FailWhen(Condition):
    """``cond``, except that when any of ``fails`` holds it raises ``WaitFailed``."""

    __slots__ = ("cond", "fails")

    def __init__(self, cond: Condition, fails: Sequence[Condition]) -> None:
        self.cond = cond
        self.fails = tuple(fails)

    @property
    def absent_ok(self) -> bool:
        return self.cond.absent_ok

    def __call__(self, obj: Obj | None) -> bool:
        for fail in self.fails:
            if fail(obj):
                raise WaitFailed(_failure_reason(fail), object=None if obj is None else dict(obj))
        return self.cond(obj)

    def bind(self, first_seen: Obj | None) -> Condition:
        return _FailWhen(self.cond.bind(first_seen), [f.bind(first_seen) for f in self.fails])

    def __repr__(self) -> str:
        return f"{self.cond!r} fail_for " + ", ".join(map(repr, self.fails))


def _failure_reason(fail: Condition) -> str:
    """kubectl-like words for a failure condition that held."""
    if isinstance(fail, _StatusCondition):
        return f"condition {fail.name}={fail.status}"
    if isinstance(fail, _Deleted):
        return "deleted"
    if isinstance(fail, _JSONPathCondition):
        expr = fail.path.expression
        return f"jsonpath {expr}" + ("" if fail.value is None else f"={fail.value}")
    return f"{fail!r} holds"


def fail_when(
    cond: ConditionLike | Iterable[ConditionLike],
    fail: ConditionLike | Iterable[ConditionLike],
) -> Condition:
    """``cond`` with failure conditions: what ``fail_for=`` (``--fail-for``) means.

    ``fail`` takes the forms ``for_`` does (a ``--for`` string, a condition, a
    callable, or a list of them); when **any** of them holds, the condition
    raises :class:`~hybridwait.WaitFailed` (``condition Failed=True``,
    ``deleted``, ...) and a wait using it ends at once with that error, naming
    the object (``jobs/pi: condition Failed=True``). Otherwise it is ``cond``.
    Failure conditions are checked first.

    Example::

        done = fail_when("condition=Complete", "condition=Failed")
        job = {"status": {"conditions": [{"type": "Failed", "status": "True"}]}}
        done(job)          # raises WaitFailed('condition Failed=True')
        eng.wait("job/pi", for_="condition=Complete", fail_for=["condition=Failed", "delete"])
    """
    if isinstance(fail, (str, Condition)) or callable(fail):
        items: list[ConditionLike] = [fail]
    elif isinstance(fail, Iterable):
        items = list(fail)
        if not items:
            raise ValueError("fail_for is an empty list: give at least one condition")
    else:
        raise TypeError(f"fail_for must be a --for string, a Condition or a callable, not {fail!r}")
    if isinstance(cond, (str, Condition)) or callable(cond) or not isinstance(cond, Iterable):
        fors: list[ConditionLike] = [cond]
    else:
        fors = list(cond)
    check_fail_for(fors, items)
    return _FailWhen(as_condition(cond), [as_condition(f) for f in items])


def check_fail_for(fors: Iterable[ConditionLike], fails: Iterable[ConditionLike]) -> None:
    """Refuse a failure condition that is also a ``for_`` condition (the wait
    could never succeed): the one check behind ``fail_for=`` and ``--fail-for``.

    Raises ``ValueError`` (``--fail-for=condition=Ready is also a --for
    condition: the wait could never succeed``); a bad condition raises as
    :func:`as_condition` does.

    Example::

        check_fail_for(["condition=Complete"], ["condition=Failed"])   # fine
        check_fail_for(["condition=Ready"], ["condition=Ready"])       # ValueError
    """
    wanted = {repr(as_condition(f)) for f in fors}
    for f in fails:
        if repr(as_condition(f)) in wanted:
            spec = f if isinstance(f, str) else repr(f)
            raise ValueError(
                f"--fail-for={spec} is also a --for condition: the wait could never succeed"
            )
