"""Pure units: selectors, patches and the store's revision/history rules."""

from __future__ import annotations

import pytest

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.patch import json_patch, merge_patch
from hybridwait.testing.apiserver.selectors import FieldSelector, LabelSelector
from hybridwait.testing.apiserver.store import Store


def _obj(**labels: str) -> dict[str, object]:
    return {"metadata": {"name": "x", "namespace": "ns", "labels": labels},
            "status": {"phase": "Running"}}


@pytest.mark.parametrize(("sel", "labels", "want"), [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "web"}, True),
    ("app=web", {"app": "db"}, False),
    ("app!=web", {}, True),
    ("app!=web", {"app": "web"}, False),
    ("env in (prod, staging)", {"env": "staging"}, True),
    ("env in (prod)", {}, False),
    ("env notin (prod)", {}, True),
    ("env notin (prod)", {"env": "prod"}, False),
    ("canary", {"canary": ""}, True),
    ("!canary", {"canary": "x"}, False),
    ("!canary", {}, True),
    ("app=web,env in (a,b),!x", {"app": "web", "env": "b"}, True),
    ("example.com/tier=fe", {"example.com/tier": "fe"}, True),
    ("", {}, True),
])
def test_label_selector(sel: str, labels: dict[str, str], want: bool) -> None:
    assert LabelSelector.parse(sel).matches(_obj(**labels)) is want


@pytest.mark.parametrize("bad", ["a=b=c", "in (x)", "a in x", "=x", "a notin ()x", "!a=b"])
def test_label_selector_rejects_garbage(bad: str) -> None:
    with pytest.raises(StatusError) as ei:
        LabelSelector.parse(bad)
    assert ei.value.code == 400


def test_field_selector() -> None:
    o = _obj()
    assert FieldSelector.parse("metadata.name=x,metadata.namespace==ns").matches(o)
    assert not FieldSelector.parse("metadata.name!=x").matches(o)
    assert FieldSelector.parse("status.phase=Running").matches(o)
    assert FieldSelector.parse("metadata.name=x").exact_name() == "x"
    with pytest.raises(StatusError):
        FieldSelector.parse("metadata.name")


def test_merge_patch_rfc7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    patched = merge_patch(target, {"a": "z", "c": {"f": None}, "l": [3], "n": {"x": None}})
    assert patched == {"a": "z", "c": {"d": "e"}, "l": [3], "n": {}}
    assert target["c"] == {"d": "e", "f": "g"}  # input untouched


def test_json_patch_ops() -> None:
    doc = {"a": {"b": [1, 2]}, "c": 1}
    out = json_patch(doc, [
        {"op": "add", "path": "/a/b/-", "value": 3},
        {"op": "add", "path": "/a/b/0", "value": 0},
        {"op": "replace", "path": "/c", "value": 2},
        {"op": "copy", "from": "/c", "path": "/d"},
        {"op": "move", "from": "/d", "path": "/e"},
        {"op": "remove", "path": "/a/b/1"},
        {"op": "test", "path": "/e", "value": 2},
        {"op": "add", "path": "/x~1y", "value": True},
    ])
    assert out == {"a": {"b": [0, 2, 3]}, "c": 2, "e": 2, "x/y": True}
    assert doc == {"a": {"b": [1, 2]}, "c": 1}


@pytest.mark.parametrize(("ops", "code"), [
    ([{"op": "test", "path": "/c", "value": 9}], 422),
    ([{"op": "remove", "path": "/missing"}], 422),
    ([{"op": "replace", "path": "/a/b/7", "value": 1}], 422),
    ([{"op": "frobnicate", "path": "/c"}], 400),
    ({"op": "add"}, 400),
])
def test_json_patch_errors(ops: object, code: int) -> None:
    with pytest.raises(StatusError) as ei:
        json_patch({"a": {"b": [1]}, "c": 1}, ops)
    assert ei.value.code == code


def test_store_revisions_and_bounded_history() -> None:
    store = Store(history=3)
    with store.lock:
        revs = [store.write("/k", "ns", f"o{i}", {"metadata": {}}, "ADDED").rv
                for i in range(5)]
    assert revs == sorted(revs) and len(set(revs)) == 5
    assert store.revision == revs[-1]
    # Only the last 3 events are kept: resuming from revs[1] works, revs[0] is expired.
    events = store.events_since(revs[1])
    assert events is not None and [e.rv for e in events] == revs[2:]
    assert store.events_since(revs[0]) is None
    store.compact()
    assert store.events_since(revs[-2]) is None
    assert store.events_since(revs[-1]) == []
    before = store.revision
    store.reset(jump=100)
    assert store.revision == before + 100 and store.items("/k") == []
