"""kubectl's printers for ``wait``: the default ``condition met`` line, ``-o name``,
``-o json`` and ``-o yaml``, byte for byte where it matters to scripts.

Example::

    >>> pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0"}}
    >>> Printer("").format(pod)
    'pod/web-0 condition met\\n'
    >>> Printer("name").format({"apiVersion": "apps/v1", "kind": "Deployment",
    ...                         "metadata": {"name": "api"}})
    'deployment.apps/api\\n'
"""

from __future__ import annotations

import json
from typing import Any

import yaml

__all__ = ["OUTPUT_FORMATS", "Printer", "kubectl_name", "to_go_json", "to_go_yaml"]

OUTPUT_FORMATS = ("json", "name", "yaml")
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def kubectl_name(obj: dict[str, Any]) -> str:
    """``kind[.group]/name`` as kubectl prints it (``pod/web-0``, ``deployment.apps/api``).

    Example::

        >>> kubectl_name({"apiVersion": "example.com/v1", "kind": "Foo",
        ...               "metadata": {"name": "a"}})
        'foo.example.com/a'
    """
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rpartition("/")[0]
    kind = str(obj.get("kind") or "").lower()
    name = str((obj.get("metadata") or {}).get("name") or "")
    return f"{kind}.{group}/{name}" if group else f"{kind}/{name}"


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def to_go_json(obj: Any) -> str:
    """JSON as Go's ``json.MarshalIndent(obj, "", "    ")``: sorted keys, 4 spaces,
    UTF-8 kept, ``<``, ``>``, ``&`` escaped as ``\\u003c`` etc.

    Example::

        >>> print(to_go_json({"b": 1, "a": "<x>"}))
        {
            "a": "\\u003cx\\u003e",
            "b": 1
        }
    """
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    for ch, esc in _HTML_ESCAPES.items():
        text = text.replace(ch, esc)
    return text


class _GoYAMLDumper(yaml.SafeDumper):
    """PyYAML tuned to emit what go-yaml (behind sigs.k8s.io/yaml) emits."""


def _resolve_tag(dumper: yaml.SafeDumper, value: str) -> str:
    tag: str = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if "\n" in value:
        style = "|"
    elif _resolve_tag(dumper, value) != "tag:yaml.org,2002:str":
        # go-yaml double-quotes a string that would read back as another type
        # ("true", "123", "", timestamps); PyYAML would single-quote it.
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_GoYAMLDumper.add_representer(str, _represent_str)


def to_go_yaml(obj: Any) -> str:
    """YAML as kubectl prints it: sorted keys, block style, unindented sequences.

    Example::

        >>> print(to_go_yaml({"metadata": {"name": "a", "labels": {"v": "1"}}}), end="")
        metadata:
          labels:
            v: "1"
          name: a
    """
    text: str = yaml.dump(
        obj, Dumper=_GoYAMLDumper, default_flow_style=False, sort_keys=True, allow_unicode=True
    )
    return text


class Printer:
    """Formats each met object for ``-o`` ``""`` (``condition met``), ``name``,
    ``json`` or ``yaml``; YAML documents after the first get a ``---`` line, as kubectl.

    Example::

        p = Printer("yaml")
        sys.stdout.write(p.format(obj))
    """

    def __init__(self, output: str, operation: str = "condition met") -> None:
        if output not in ("", *OUTPUT_FORMATS):
            raise ValueError(
                "unable to match a printer suitable for the output format "
                f'"{output}", allowed formats are: {",".join(OUTPUT_FORMATS)}'
            )
        self.output = output
        self.operation = operation
        self._count = 0

    def format(self, obj: dict[str, Any]) -> str:
        """The text kubectl writes for one object (ends with a newline)."""
        self._count += 1
        if self.output == "":
            return f"{kubectl_name(obj)} {self.operation}\n"
        if self.output == "name":
            return f"{kubectl_name(obj)}\n"
        obj = _without_managed_fields(obj)
        if self.output == "json":
            return to_go_json(obj) + "\n"
        sep = "---\n" if self._count > 1 else ""
        return sep + to_go_yaml(obj)
