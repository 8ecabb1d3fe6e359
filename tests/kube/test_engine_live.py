"""The engine against the emulator: every condition form, errors, paths, lifecycle."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hybridwait import Canceled, Engine, WaitTimeout, background, with_cancel
from hybridwait import conditions as c
from hybridwait.kube.errors import (
    Forbidden,
    NoMatchingResources,
    NotFound,
    UnknownResourceType,
)


def later(delay: float, fn: Any, *args: Any) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        fn(*args)

    t = threading.Thread(target=run)
    t.start()
    return t


def test_condition_ready_ends_by_watch_event(kube, engine):
    kube.pod("web-0")
    t = later(0.2, kube.ready, "web-0")
    r = engine.wait_result("pod/web-0", for_="condition=Ready", timeout=10)
    t.join()
    assert r.path == "watch"
    assert r.elapsed < 3.0  # poll_interval is 5 s: only the watch can be this fast
    assert r.objects["metadata"]["name"] == "web-0"
    assert r.objects["status"]["conditions"][0]["status"] == "True"


def test_already_true_ends_at_first_check(kube, engine):
    kube.pod("a")
    kube.ready("a")
    r = engine.wait_result("pods/a", for_="condition=ready=TRUE", timeout=10)
    assert r.objects["metadata"]["name"] == "a"


def test_condition_false_value(kube, engine):
    kube.pod("a")
    t = later(0.1, kube.ready, "a", "default", "False")
    obj = engine.wait("po/a", for_="condition=Ready=false", timeout=10)
    t.join()
    assert obj["status"]["conditions"][0]["status"] == "False"


def test_jsonpath_filter_and_value(kube, engine):
    kube.pod("a")
    t = later(0.1, kube.ready, "a")
    obj = engine.wait(
        "pod/a", for_='jsonpath={.status.conditions[?(@.type=="Ready")].status}=True', timeout=10
    )
    t.join()
    assert obj["status"]["phase"] == "Running"


def test_jsonpath_existence_and_phase_condition_object(kube, engine):
    kube.pod("a")
    t = later(0.1, kube.ready, "a")
    obj = engine.wait("pod/a", for_=[c.phase("Running"), "jsonpath=.status.conditions"], timeout=10)
    t.join()
    assert obj["status"]["phase"] == "Running"


def test_jsonpath_multiple_values_is_an_error(kube, engine):
    kube.pod("a")
    conds = [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]
    kube.v1.patch_namespaced_pod_status("a", "default", {"status": {"conditions": conds}})
    with pytest.raises(ValueError, match="more than one value"):
        engine.wait("pod/a", for_="jsonpath={.status.conditions[*].type}=Ready", timeout=5)
    with pytest.raises(ValueError, match="nested object"):
        engine.wait("pod/a", for_="jsonpath={.status.conditions[0]}=x", timeout=5)
    # existence of a list is fine (kubectl: --for=jsonpath='{.status.loadBalancer.ingress}')
    assert engine.wait("pod/a", for_="jsonpath={.status.conditions}", timeout=5)


def test_delete_by_absence(kube, engine):
    kube.pod("a")
    t = later(0.2, kube.delete, "a")
    r = engine.wait_result("pod/a", for_="delete", timeout=10)
    t.join()
    assert r.path == "watch"
    assert r.objects["metadata"]["name"] == "a"  # the last state seen


def test_delete_by_uid_change(fake_apiserver, kube):
    """A delete+recreate between two polls is seen as a UID change (pure polling)."""
    first = kube.pod("a")
    with Engine(api_client=fake_apiserver.api_client(), watch=False, poll_interval=0.5) as eng:

        def recreate() -> None:
            kube.delete("a")
            kube.pod("a")

        t = later(0.1, recreate)
        obj = eng.wait("pod/a", for_="delete", timeout=10)
        t.join()
    assert obj["metadata"]["uid"] != first.metadata.uid
    assert c.deleted(uid=first.metadata.uid)(obj)


def test_delete_of_absent_object_returns_none_at_once(engine):
    assert engine.wait("pod/ghost", for_="delete", timeout=10) is None


def test_create(kube, engine):
    t = later(0.2, kube.pod, "late")
    r = engine.wait_result("pod/late", for_="create", timeout=10)
    t.join()
    assert r.objects["metadata"]["name"] == "late"
    assert r.path == "watch"


def test_composites_and_callable(kube, engine):
    kube.pod("a")
    t = later(0.1, kube.ready, "a")
    cond = c.all_of(
        c.any_of(c.condition("Ready"), c.condition("Failed")),
        c.not_(c.jsonpath("{.metadata.deletionTimestamp}")),
        lambda o: o is not None and o["metadata"]["name"] == "a",
    )
    obj = engine.wait("pod/a", for_=cond, timeout=10)
    t.join()
    assert obj["status"]["phase"] == "Running"


def test_selector_waits_on_each_match(kube, engine):
    for i in range(3):
        kube.pod(f"w{i}", labels={"app": "web"})
    kube.pod("other", labels={"app": "db"})

    def flip() -> None:
        for i in range(3):
            kube.ready(f"w{i}")

    t = later(0.2, flip)
    objs = engine.wait("pods", selector="app=web", for_="condition=Ready", timeout=10)
    t.join()
    assert sorted(o["metadata"]["name"] for o in objs) == ["w0", "w1", "w2"]


def test_several_names_and_timeout_names_the_unmet(kube, engine):
    kube.pod("a")
    kube.pod("b")
    kube.ready("a")
    with pytest.raises(WaitTimeout) as ei:
        engine.wait(["pod/a", "pod/b"], for_="condition=Ready", timeout=0.5)
    assert str(ei.value) == "timed out waiting for the condition on pods/b"
    assert ei.value.unmet == ["pods/b"]


def test_timeout_zero_checks_once(kube, engine):
    kube.pod("a")
    with pytest.raises(WaitTimeout, match="condition not met for pods/a"):
        engine.wait("pod/a", for_="condition=Ready", timeout=0)
    kube.ready("a")
    assert engine.wait("pod/a", for_="condition=Ready", timeout=0)["metadata"]["name"] == "a"


def test_bad_input_fails_at_once(kube, engine):
    kube.pod("a")
    start = time.monotonic()
    with pytest.raises(UnknownResourceType, match='resource type "foos"'):
        engine.wait("foos/x", for_="condition=Ready", timeout=30)
    with pytest.raises(ValueError, match='unrecognized condition: "bogus"'):
        engine.wait("pod/a", for_="bogus", timeout=30)
    with pytest.raises(ValueError, match="jsonpath"):
        engine.wait("pod/a", for_="jsonpath=.a[", timeout=30)
    with pytest.raises(NotFound) as nf:
        engine.wait("pod/missing", for_="condition=Ready", timeout=30)
    assert str(nf.value) == 'Error from server (NotFound): pods "missing" not found'
    assert nf.value.status == 404
    with pytest.raises(NoMatchingResources, match="no matching resources found"):
        engine.wait("pods", selector="app=none", for_="condition=Ready", timeout=30)
    assert engine.wait("pods", selector="app=none", for_="delete", timeout=30) == []
    with pytest.raises(ValueError, match="no name was specified"):
        engine.wait("pods", for_="condition=Ready", timeout=30)
    assert time.monotonic() - start < 10.0  # none of them waited for its timeout


def test_forbidden_get_is_an_error_at_once(fake_apiserver, kube):
    kube.pod("a")
    with Engine(api_client=fake_apiserver.api_client(), watch=False) as eng:
        fake_apiserver.faults.fail_next(5, status=403, verb="get")
        start = time.monotonic()
        with pytest.raises(Forbidden) as ei:
            eng.wait("pod/a", for_="condition=Ready", timeout=30)
        assert ei.value.status == 403
        assert time.monotonic() - start < 5.0


def test_forbidden_list_and_watch_is_an_error_at_once(fake_apiserver, kube, engine):
    kube.pod("a", labels={"app": "web"})
    fake_apiserver.faults.fail_next(1, status=403, verb="list")
    with pytest.raises(Forbidden):
        engine.wait("pods", selector="app=web", for_="condition=Ready", timeout=30)
    # RBAC denies list (the watcher's) and get (the poll path's): an error, not a hang
    fake_apiserver.faults.fail_next(10, status=403, verb="list")
    fake_apiserver.faults.fail_next(10, status=403, verb="get")
    start = time.monotonic()
    with pytest.raises(Forbidden):
        engine.wait("pod/a", for_="condition=Ready", timeout=30)
    assert time.monotonic() - start < 5.0
    fake_apiserver.faults.clear()


def test_ctx_cancel_raises_canceled(kube, engine):
    kube.pod("a")
    ctx, cancel = with_cancel(background())
    timer = threading.Timer(0.2, cancel)
    timer.start()
    with pytest.raises(Canceled):
        engine.wait("pod/a", for_="condition=Ready", ctx=ctx)
    timer.join()
    ev = threading.Event()
    ev.set()
    with pytest.raises(Canceled):
        engine.wait("pod/a", for_="condition=Ready", ctx=ev)


def test_pure_polling_mode_ends_by_poll(fake_apiserver, kube):
    kube.pod("a")
    with Engine(api_client=fake_apiserver.api_client(), watch=False, poll_interval=0.2) as eng:
        t = later(0.1, kube.ready, "a")
        r = eng.wait_result("pod/a", for_="condition=Ready", timeout=10)
        t.join()
        assert r.path == "poll"
        assert eng.stats()["watches"] == 0
        assert fake_apiserver.request_counts().get("watch", 0) == 0


def test_deployment_group_forms_and_custom_resources(kube, engine):
    kube.apps.create_namespaced_deployment(
        "default",
        {
            "metadata": {"name": "api"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "api"}},
                "template": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        },
    )
    kube.apps.patch_namespaced_deployment_status(
        "api",
        "default",
        {
            "status": {
                "observedGeneration": 1,
                "readyReplicas": 1,
                "conditions": [{"type": "Available", "status": "True"}],
            }
        },
    )
    for form in ("deployment.apps/api", "deployments.v1.apps/api", "deploy/api", "Deployment/api"):
        obj = engine.wait(form, for_=["condition=Available", "jsonpath={.status.readyReplicas}=1"])
        assert obj["metadata"]["name"] == "api"
    kube.ext.create_custom_resource_definition(
        {
            "metadata": {"name": "foos.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "foos", "singular": "foo", "kind": "Foo", "shortNames": ["fo"]},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object"}},
                    }
                ],
            },
        }
    )
    engine.wait("crd/foos.example.com", for_=c.condition("Established"), timeout=10)
    kube.custom.create_namespaced_custom_object(
        "example.com", "v1", "default", "foos", {"apiVersion": "example.com/v1", "kind": "Foo",
                                                 "metadata": {"name": "f1"}}
    )
    for form in ("foos/f1", "foo.example.com/f1", "fo/f1", "foos.v1.example.com/f1"):
        assert engine.wait(form, for_="create", timeout=10)["metadata"]["name"] == "f1"


def test_close_cancels_waiting_threads_and_joins(fake_apiserver, kube):
    kube.pod("a")
    eng = Engine(api_client=fake_apiserver.api_client())
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            eng.wait("pod/a", for_="condition=Ready", timeout=60)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=waiter) for _ in range(20)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while eng.stats()["watchers"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    start = time.monotonic()
    eng.close()
    for t in threads:
        t.join(5)
    assert time.monotonic() - start < 2.5
    assert len(errors) == 20 and all(isinstance(e, Canceled) for e in errors)
    with pytest.raises(Canceled):
        eng.wait("pod/a", for_="condition=Ready")


def test_poll_path_ticks_on_the_engine_clock(fake_apiserver, kube):
    """With watch=False the only way to see a change is the poll tick, driven here
    by a FakeClock: nothing happens until the clock passes poll_interval."""
    from hybridwait.testing import FakeClock

    kube.pod("a")
    clock = FakeClock()
    with Engine(
        api_client=fake_apiserver.api_client(), watch=False, poll_interval=5.0, clock=clock
    ) as eng:
        out: dict[str, Any] = {}
        t = threading.Thread(
            target=lambda: out.setdefault("r", eng.wait_result("pod/a", for_="condition=Ready"))
        )
        t.start()
        deadline = time.monotonic() + 5
        while eng.stats()["polls"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        kube.ready("a")
        clock.step(4.9)
        time.sleep(0.3)
        assert "r" not in out  # the next check is due at 5 s of engine time
        assert eng.stats()["direct_gets"] == 1
        clock.step(0.2)
        t.join(5)
        assert out["r"].path == "poll"
        assert eng.stats()["direct_gets"] == 2
