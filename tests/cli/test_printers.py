"""kubectl's output formats for met objects."""

from __future__ import annotations

import pytest

from hybridwait.cli.printers import Printer, kubectl_name, to_go_json, to_go_yaml

POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "web-0", "resourceVersion": "7", "managedFields": [{"x": 1}],
                    "creationTimestamp": "2024-01-01T00:00:00Z"},
       "status": {"conditions": [{"type": "Ready", "status": "True"}], "note": "a<b>&c"}}


def test_names() -> None:
    assert kubectl_name(POD) == "pod/web-0"
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}}
    assert kubectl_name(dep) == "deployment.apps/api"
    assert Printer("").format(dep) == "deployment.apps/api condition met\n"
    assert Printer("name").format(dep) == "deployment.apps/api\n"


def test_json_is_go_like_without_managed_fields() -> None:
    text = Printer("json").format(POD)
    assert '"managedFields"' not in text
    assert '    "apiVersion": "v1",' in text and text.endswith("}\n")
    assert '"a\\u003cb\\u003e\\u0026c"' in text
    assert to_go_json({"b": 1, "a": 2}).splitlines()[1] == '    "a": 2,'


def test_yaml_quotes_like_go_and_separates_documents() -> None:
    p = Printer("yaml")
    first = p.format(POD)
    assert 'creationTimestamp: "2024-01-01T00:00:00Z"' in first
    assert 'resourceVersion: "7"' in first and '  - status: "True"' in first
    assert not first.startswith("---") and p.format(POD).startswith("---\n")
    assert to_go_yaml({"s": "", "m": "a\nb"}) == 'm: |-\n  a\n  b\ns: ""\n'


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match='output format "wide", allowed formats are: '
                                         'json,name,yaml'):
        Printer("wide")
