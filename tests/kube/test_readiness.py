"""conditions.ready() / for_="ready" as a condition (no server): met when Current,
WaitFailed when Failed or when a seen object is deleted, waiting otherwise."""

from __future__ import annotations

from typing import Any

import pytest

import hybridwait as hw
from hybridwait import conditions as c
from hybridwait.kube.errors import WaitFailed


def job(*conds: tuple[str, str], **status: Any) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "uid": "u1"},
            "spec": {}, "status": {"conditions": [{"type": t, "status": s} for t, s in conds],
                                   **status}}


def test_met_when_current() -> None:
    assert c.ready()(job(("Complete", "True"), succeeded=1)) is True


@pytest.mark.parametrize("obj", [
    job(),  # not started: InProgress
    {**job(), "metadata": {"name": "pi", "deletionTimestamp": "2026-01-01T00:00:00Z"}},
])
def test_keeps_waiting_while_in_progress_or_terminating(obj: dict[str, Any]) -> None:
    assert c.ready()(obj) is False


def test_failed_raises_wait_failed_with_the_status_message_and_object() -> None:
    failed = job(("Failed", "True"), failed=2)
    with pytest.raises(WaitFailed) as info:
        c.ready()(failed)
    assert "job failed: 2 failed" in info.value.reason
    assert info.value.object == failed
    assert str(info.value.named("jobs/pi")).startswith("jobs/pi: job failed")
    assert isinstance(info.value, hw.WaitFailed)


def test_absent_at_start_is_not_met_and_not_absent_ok() -> None:
    cond = c.ready()
    assert cond.absent_ok is False  # the engine reports NotFound, as for condition=
    assert cond(None) is False


def test_deleted_after_being_seen_fails() -> None:
    bound = c.ready().bind(job())
    assert bound(job()) is False
    with pytest.raises(WaitFailed, match="deleted"):
        bound(None)


def test_never_seen_then_none_waits() -> None:
    assert c.ready().bind(None)(None) is False


def test_parse_for_ready_and_repr() -> None:
    for spec in ("ready", "Ready", "READY"):
        assert repr(c.parse_for(spec)) == "ready"
    assert repr(c.as_condition(["ready", "condition=Complete"])) == (
        "all_of(ready, condition=Complete)")
    with pytest.raises(ValueError, match='unrecognized condition: "ready=true"'):
        c.parse_for("ready=true")


def test_any_of_is_met_by_another_part_when_ready_fails() -> None:
    either = c.any_of("ready", "delete").bind(job())
    assert either(None) is True  # deleted: ready cannot hold, delete does
    assert either(job()) is False
    with pytest.raises(WaitFailed, match="job failed"):
        either(job(("Failed", "True")))  # nothing holds and ready failed: fail fast


def test_all_of_fails_when_ready_fails() -> None:
    both = c.all_of("ready", "condition=Complete")
    with pytest.raises(WaitFailed):
        both(job(("Failed", "True")))


# -- loading manifests for -f (no server) ----------------------------------------------------


def test_load_manifests_order_lists_empty_documents_and_json(tmp_path: Any) -> None:
    import io
    import json

    from hybridwait.kube.objects import STDIN, load_manifests

    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "b.yaml").write_text(
        "---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1}}\n"
        "- {apiVersion: v1, kind: Secret, metadata: {name: l2}}\n---\n")
    (d / "a.json").write_text(json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}))
    (d / "sub" / "c.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\n")
    (d / "README.md").write_text("# not a manifest")
    got = load_manifests([str(d)])
    assert [m.object["metadata"]["name"] for m in got] == ["j", "l1", "l2", "deep"]
    assert got[0].source == str(d / "a.json")
    flat = load_manifests([str(d)], recursive=False)
    assert [m.object["metadata"]["name"] for m in flat] == ["j", "l1", "l2"]
    piped = load_manifests(["-"], stdin=io.StringIO(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n"))
    assert [(m.object["metadata"]["name"], m.source) for m in piped] == [("p", STDIN)]


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x}\n", "error converting YAML"),
    (b"just a string\n", "a document is not an object"),
    (b"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap}\n",
     "resource name must be provided"),
])
def test_load_manifests_errors(tmp_path: Any, content: bytes, message: str) -> None:
    from hybridwait.kube.objects import ManifestError, load_manifests

    f = tmp_path / "m.yaml"
    f.write_bytes(content)
    with pytest.raises(ManifestError, match=message):
        load_manifests([str(f)])
