"""Server-side printing rules (hybridwait.testing.apiserver.printers): a Pod's
READY/STATUS/RESTARTS from its containers, a Job's 1.32 STATUS and COMPLETIONS,
kubectl's human durations and selectors, and the Table the server sends (every
column, wide ones with priority 1)."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.printers import (
    COLUMNS,
    format_selector,
    human_duration,
    pod_summary,
    printer_columns,
)

from .conftest import WIDGET_CRD, raw

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def _ago(seconds: int) -> str:
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pod(statuses: list[dict[str, Any]], phase: str = "Running", init: int = 0,
         init_statuses: list[dict[str, Any]] | None = None,
         conditions: list[dict[str, Any]] | None = None, **meta: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", **meta},
            "spec": {"containers": [{"name": f"c{i}"} for i in range(len(statuses) or 1)],
                     "initContainers": [{"name": f"i{i}"} for i in range(init)]},
            "status": {"phase": phase, "containerStatuses": statuses,
                       "initContainerStatuses": init_statuses or [],
                       "conditions": conditions or []}}


def _cs(state: dict[str, Any], ready: bool = False, restarts: int = 0,
        last: dict[str, Any] | None = None, name: str = "c0") -> dict[str, Any]:
    return {"name": name, "ready": ready, "restartCount": restarts, "state": state,
            "lastState": last or {}}


@pytest.mark.parametrize(("pod", "expected"), [
    (_pod([], phase="Pending"), ("0/1", "Pending", "0")),
    (_pod([_cs({"waiting": {"reason": "ContainerCreating"}})], phase="Pending"),
     ("0/1", "ContainerCreating", "0")),
    (_pod([_cs({"running": {}}, ready=True)]), ("1/1", "Running", "0")),
    (_pod([_cs({"waiting": {"reason": "ImagePullBackOff"}})], phase="Pending"),
     ("0/1", "ImagePullBackOff", "0")),
    (_pod([_cs({"terminated": {"reason": "Completed", "exitCode": 0}})], phase="Succeeded"),
     ("0/1", "Completed", "0")),
    (_pod([_cs({"terminated": {"reason": "Error", "exitCode": 1}})], phase="Failed"),
     ("0/1", "Error", "0")),
    (_pod([_cs({"terminated": {"exitCode": 3}})], phase="Failed"),
     ("0/1", "ExitCode:3", "0")),
    (_pod([_cs({"terminated": {"exitCode": 137, "signal": 9}})], phase="Failed"),
     ("0/1", "Signal:9", "0")),
    # One container done, one still running and the pod Ready: Running.
    (_pod([_cs({"terminated": {"reason": "Completed", "exitCode": 0}}, name="c0"),
           _cs({"running": {}}, ready=True, name="c1")],
          conditions=[{"type": "Ready", "status": "True"}]), ("1/2", "Running", "0")),
    (_pod([_cs({"terminated": {"reason": "Completed", "exitCode": 0}}, name="c0"),
           _cs({"running": {}}, ready=True, name="c1")]), ("1/2", "NotReady", "0")),
    # Init containers: waiting on the first, the second, a failed one.
    (_pod([_cs({"waiting": {"reason": "PodInitializing"}})], phase="Pending", init=1,
          init_statuses=[_cs({"waiting": {"reason": "PodInitializing"}}, name="i0")]),
     ("0/1", "Init:0/1", "0")),
    (_pod([_cs({"waiting": {"reason": "PodInitializing"}})], phase="Pending", init=2,
          init_statuses=[_cs({"terminated": {"exitCode": 0}}, name="i0"),
                         _cs({"running": {}}, name="i1")]),
     ("0/1", "Init:1/2", "0")),
    (_pod([_cs({"waiting": {"reason": "PodInitializing"}})], phase="Pending", init=1,
          init_statuses=[_cs({"waiting": {"reason": "CrashLoopBackOff"}}, restarts=2,
                             name="i0")]),
     ("0/1", "Init:CrashLoopBackOff", "2")),
    (_pod([_cs({"waiting": {"reason": "PodInitializing"}})], phase="Pending", init=1,
          init_statuses=[_cs({"terminated": {"exitCode": 2}}, name="i0")]),
     ("0/1", "Init:ExitCode:2", "0")),
    (_pod([_cs({"running": {}}, ready=True)], deletionTimestamp=_ago(1)),
     ("1/1", "Terminating", "0")),
    (_pod([_cs({"terminated": {"reason": "Completed", "exitCode": 0}})], phase="Succeeded",
          deletionTimestamp=_ago(1)), ("0/1", "Completed", "0")),
    (_pod([], phase="Pending", conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     ("0/1", "SchedulingGated", "0")),
])
def test_pod_ready_status_restarts_as_kubectl_prints_them(
        pod: dict[str, Any], expected: tuple[str, str, str]) -> None:
    assert tuple(pod_summary(pod)) == expected


def test_restarts_show_how_long_ago_the_last_one_finished() -> None:
    pod = _pod([_cs({"waiting": {"reason": "CrashLoopBackOff"}}, restarts=4,
                    last={"terminated": {"exitCode": 1, "finishedAt": _ago(300)}})])
    summary = pod_summary(pod)
    assert summary.status == "CrashLoopBackOff"
    assert summary.restarts in ("4 (5m ago)", "4 (5m1s ago)", "4 (5m2s ago)")


@pytest.mark.parametrize(("seconds", "text"), [
    (-5, "<invalid>"), (0, "0s"), (119, "119s"), (120, "2m"), (192, "3m12s"),
    (600, "10m"), (10799, "179m"), (3 * 3600, "3h"), (3 * 3600 + 60 * 7, "3h7m"),
    (30 * 3600, "30h"), (3 * 86400, "3d"), (3 * 86400 + 4 * 3600, "3d4h"),
    (40 * 86400, "40d"), (3 * 365 * 86400 + 5 * 86400, "3y5d"), (9 * 365 * 86400, "9y"),
])
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_selectors_print_sorted_with_set_operators() -> None:
    sel = {"matchLabels": {"tier": "web", "app": "a"},
           "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                {"key": "gpu", "operator": "DoesNotExist"}]}
    assert format_selector(sel) == "app=a,env in (dev,prod),!gpu,tier=web"
    assert format_selector(None) == "<none>"


def _job(conditions: list[dict[str, str]], **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "j"}, "spec": spec,
            "status": {"conditions": conditions, "succeeded": 1}}


@pytest.mark.parametrize(("job", "status", "completions"), [
    (_job([], completions=3), "Running", "1/3"),
    (_job([{"type": "Complete", "status": "True"}], completions=1), "Complete", "1/1"),
    (_job([{"type": "Failed", "status": "True"}], completions=1), "Failed", "1/1"),
    (_job([{"type": "Suspended", "status": "True"}], parallelism=4), "Suspended", "1/1 of 4"),
    (_job([{"type": "Suspended", "status": "False"}]), "Running", "1/1"),
])
def test_job_status_and_completions(job: dict[str, Any], status: str, completions: str) -> None:
    cols = {c.name: c for c in printer_columns("batch/jobs") or []}
    assert cols["Status"].cell(job) == status
    assert cols["Completions"].cell(job) == completions


def test_every_table_column_is_sent_and_wide_ones_have_priority_1(
        fake_apiserver: FakeAPIServer) -> None:
    code, _, body = raw(fake_apiserver, "POST", "/api/v1/namespaces/default/services", {
        "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                 "ports": [{"port": 443, "protocol": "TCP"}]}})
    assert code == 201
    code, _, table = raw(fake_apiserver, "GET", "/api/v1/namespaces/default/services",
                         headers={"Accept": TABLE})
    assert code == 200
    assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0),
        ("Age", 0), ("Selector", 1)]
    cells = table["rows"][0]["cells"]
    node_port = body["spec"]["ports"][0]["nodePort"]
    assert cells[:5] == ["lb", "LoadBalancer", body["spec"]["clusterIP"], "<pending>",
                         f"443:{node_port}/TCP"]
    assert cells[6] == "app=web"


def test_roles_and_kinds_without_a_printer_get_name_and_created_at(
        fake_apiserver: FakeAPIServer) -> None:
    code, _, _ = raw(fake_apiserver, "POST",
                     "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                     {"metadata": {"name": "reader"}, "rules": []})
    assert code == 201
    code, _, _ = raw(fake_apiserver, "POST",
                     "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD)
    assert code == 201
    for path in ("/apis/rbac.authorization.k8s.io/v1/clusterroles/reader",
                 "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                 f"{WIDGET_CRD['metadata']['name']}"):
        _, _, table = raw(fake_apiserver, "GET", path, headers={"Accept": TABLE})
        assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Created At"]
        created = table["rows"][0]["cells"][1]
        assert datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")


def test_no_printer_cell_fails_on_odd_objects() -> None:
    """A Table must never be a 500: every cell of every printer gives a value for
    objects with missing, null or wrongly typed fields (what a status writer or
    a schema-less field can hold)."""
    rnd = random.Random(0)
    junk: list[Any] = [None, 1, "x", [], {}, [1, "a", None], {"a": 1}, True, 2.5,
                       [{"name": 1}], {"type": 3}]
    fields = ["metadata", "spec", "status", "data", "subsets", "ports", "endpoints", "type",
              "involvedObject", "roleRef", "subjects", "webhooks", "conditions", "template",
              "rules", "series", "count", "firstTimestamp", "lastTimestamp", "secrets"]

    def odd(depth: int = 0) -> Any:
        if depth > 3:
            return rnd.choice(junk)
        return {k: odd(depth + 1) if rnd.random() < 0.5 else rnd.choice(junk)
                for k in rnd.sample(fields, 8)}

    for _ in range(500):
        obj = odd()
        for cols in COLUMNS.values():
            for c in cols:
                c.cell(obj)
