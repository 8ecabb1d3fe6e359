"""What the cache keeps: managedFields dropped by default, a user transform, and a
transform that fails on one object (that object's waits fail, naming it; the
watch goes on for the others). Emulator over real HTTP, the real client."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from hybridwait import Engine
from hybridwait.kube.transform import TransformError, drop_managed_fields


def _served(kube: Any, name: str) -> dict[str, Any]:
    obj: dict[str, Any] = kube.api.sanitize_for_serialization(
        kube.v1.read_namespaced_pod(name, "default"))
    return obj


def test_waits_return_objects_without_managed_fields_by_default(
    fake_apiserver: Any, kube: Any
) -> None:
    kube.pod("a")
    kube.pod("b")
    kube.ready("a")
    assert _served(kube, "a")["metadata"]["managedFields"], "the server sends them"
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=1.0) as eng:
        # met at once (first check, confirmed by a GET)
        got = eng.wait("pod/a", for_="condition=Ready", timeout=20)
        assert "managedFields" not in got["metadata"]
        assert got["metadata"]["name"] == "a" and got["status"]["conditions"]
        # met later through the watch
        fut = eng.submit("pod/b", for_="condition=Ready", timeout=20)
        kube.ready("b")
        got = fut.result(timeout=20)
        assert "managedFields" not in got["metadata"]
        assert got["metadata"]["resourceVersion"] == _served(kube, "b")["metadata"][
            "resourceVersion"]


def test_transform_none_keeps_objects_whole(fake_apiserver: Any, kube: Any) -> None:
    kube.pod("a")
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=1.0,
                transform=None) as eng:
        fut = eng.submit("pod/a", for_="condition=Ready", timeout=20)
        kube.ready("a")
        assert fut.result(timeout=20)["metadata"]["managedFields"]


def keep_status(obj: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": drop_managed_fields(obj)["metadata"], "status": obj.get("status")}


def test_a_user_transform_decides_what_waits_see(fake_apiserver: Any, kube: Any) -> None:
    kube.pod("a")
    kube.pod("b")
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=1.0,
                transform=keep_status) as eng:
        futs = [eng.submit(f"pod/{n}", for_="condition=Ready", timeout=20) for n in "ab"]
        kube.ready("a")
        kube.ready("b")
        for f in futs:
            got = f.result(timeout=20)
            assert set(got) == {"metadata", "status"}
            assert got["status"]["conditions"][0]["type"] == "Ready"


class Picky:
    """Fails on pod 'bad' (raising, or returning a non-dict), keeps the others."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, obj: dict[str, Any]) -> Any:
        with self.lock:
            self.calls += 1
        if obj["metadata"]["name"] == "bad" and obj.get("status", {}).get("conditions"):
            if self.how == "raise":
                raise KeyError("spec.nodeName")
            return None
        return drop_managed_fields(obj)


@pytest.mark.parametrize("how", ["raise", "non_dict"])
def test_a_failing_transform_fails_only_that_objects_waits(
    fake_apiserver: Any, kube: Any, how: str
) -> None:
    for n in ("bad", "good", "other"):
        kube.pod(n)
    picky = Picky(how)
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=1.0,
                transform=picky) as eng:
        bad = eng.submit("pod/bad", for_="condition=Ready", timeout=30)
        good = eng.submit("pod/good", for_="condition=Ready", timeout=30)
        other = eng.submit("pod/other", for_="condition=Ready", timeout=30)
        kube.ready("bad")
        with pytest.raises(TransformError) as info:
            bad.result(timeout=20)
        err = info.value
        assert err.transform == "Picky"
        assert "pods/bad" in str(err) and "transform Picky" in str(err)
        assert ("KeyError" in str(err)) if how == "raise" else ("returned a NoneType" in str(err))
        # the watch goes on: later events of the other pods still end their waits
        kube.ready("good")
        assert good.result(timeout=20)["metadata"]["name"] == "good"
        assert not other.done()
        kube.ready("other")
        assert other.result(timeout=20)["metadata"]["name"] == "other"
        assert all(s.healthy for s in eng.watch_status() if s.wide)


def test_a_transform_must_be_callable(fake_apiserver: Any) -> None:
    with pytest.raises(TypeError, match="transform"):
        Engine(api_client=fake_apiserver.api_client(), transform="drop")  # type: ignore[arg-type]
