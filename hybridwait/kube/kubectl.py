"""kubectl's rules for ``wait`` arguments and its texts, in one place.

Both :class:`hybridwait.Engine` and ``hybridwait wait`` (:mod:`hybridwait.cli.wait`)
call these, so an argument the CLI refuses is refused by the engine with the
same words, and a timeout reads the same in both. The texts are kubectl 1.32's
(without the CLI's ``error: `` prefix).

Example::

    resource_args(["pods", "a", "b"]).named      # [("pods", "a"), ("pods", "b")]
    resource_args(["pods"], selector="app=web")  # ResourceArgs(named=[], types=['pods'])
    timeout_text("pods/a", checked_once=False)   # 'timed out waiting for the condition on pods/a'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "NO_NAME",
    "NO_TYPE_NEEDED",
    "ArgumentError",
    "ResourceArgs",
    "resource_args",
    "timeout_text",
]

NO_TYPE_NEEDED = (
    "there is no need to specify a resource type as a separate argument when passing "
    "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of "
    "'kubectl get resource resource/<resource_name>'"
)
NO_NAME = "resource(s) were provided, but no name was specified"
SELECTOR_WITH_NAMES = (
    "selectors and the all flag cannot be used when passing resource/name arguments"
)
NAME_WITH_SELECTOR = "name cannot be provided when a selector is specified"
SINGLE_RESOURCE_AND_NAME = "arguments in resource/name form must have a single resource and name"
NAME_ACROSS_NAMESPACES = "a resource cannot be retrieved by name across all namespaces"


class ArgumentError(ValueError):
    """Arguments kubectl refuses; ``str(exc)`` is kubectl's text (no ``error: ``)."""


class ResourceArgs(NamedTuple):
    """What resource arguments ask for: ``named`` ``(type, name)`` pairs in
    kubectl's order, or ``types`` whose objects a selector / ``--all`` picks."""

    named: list[tuple[str, str]]
    types: list[str]


def resource_args(
    args: Sequence[str],
    *,
    selector: str | None = None,
    field_selector: str | None = None,
    all_: bool = False,
    all_namespaces: bool = False,
) -> ResourceArgs:
    """Apply kubectl's rules to resource arguments.

    Forms: ``TYPE/NAME ...`` (every argument with a slash), ``TYPE[,TYPE] NAME ...``
    (each type with each name), or ``TYPE[,TYPE]`` with ``selector`` /
    ``field_selector`` / ``all_`` (``all_namespaces`` alone is not enough, as in
    kubectl). Raises
    :class:`ArgumentError` with kubectl's text for anything else. Names are
    not checked here beyond their form (the engine checks them as path segments).

    Example::

        resource_args(["pod/a", "deploy/b"]).named   # [('pod', 'a'), ('deploy', 'b')]
        resource_args(["pod/a", "pods"])             # ArgumentError: there is no need to ...
    """
    if not args:
        raise ArgumentError("at least one resource is required")
    with_slash = [a for a in args if "/" in a]
    named: list[tuple[str, str]] = []
    types: list[str] = []
    if with_slash:
        if len(with_slash) != len(args):
            raise ArgumentError(NO_TYPE_NEEDED)
        if selector or all_:
            raise ArgumentError(SELECTOR_WITH_NAMES)
        for a in args:
            kind, _, name = a.partition("/")
            if not kind or not name or "/" in name:
                raise ArgumentError(SINGLE_RESOURCE_AND_NAME)
            named.append((kind, name))
    else:
        kinds = [t for t in args[0].split(",") if t]
        names = list(args[1:])
        if names:
            if selector:
                raise ArgumentError(NAME_WITH_SELECTOR)
            named = [(t, n) for t in kinds for n in names]
        elif selector or field_selector or all_:
            types = kinds
        else:
            raise ArgumentError(NO_NAME)
    if named and all_namespaces:
        raise ArgumentError(NAME_ACROSS_NAMESPACES)
    return ResourceArgs(named, types)


def timeout_text(name: str, *, checked_once: bool) -> str:
    """kubectl's text when a wait ends unmet: ``checked_once`` for ``--timeout=0``.

    Example::

        timeout_text("pods/a", checked_once=True)    # 'condition not met for pods/a'
    """
    if checked_once:
        return f"condition not met for {name}"
    return f"timed out waiting for the condition on {name}"
