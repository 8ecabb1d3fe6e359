"""``kubectl get`` (1.32) of the common built-in kinds against the emulator: the
header and every cell as a real 1.32 API server's printers produce them (pods'
container-derived STATUS, jobs' STATUS/COMPLETIONS/DURATION, services' ports and
external IPs, nodes' roles...), with ``-o wide`` columns. Ages vary from run to
run, so cells that are ages are compared by their form (``5s``, ``3m12s``...)."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer

from .conftest import raw

KUBECTL = shutil.which("kubectl")
pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)"),
]

AGE = re.compile(r"^(<invalid>|\d+s|\d+m(\d+s)?|\d+h(\d+m)?|\d+d(\d+h)?|\d+y(\d+d)?)$")
ANY_AGE = "<age>"  # an expected cell that must be an age


def _ago(seconds: int) -> str:
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def kubectl_table(srv: FakeAPIServer, *args: str) -> tuple[list[str], list[list[str]]]:
    """Run ``kubectl get ARGS`` and split its output into the header names and the
    rows' cells by the header's column positions (cells may hold single spaces
    or be empty)."""
    assert KUBECTL is not None
    res = subprocess.run([KUBECTL, "--kubeconfig", srv.kubeconfig, "get", *args],
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    lines = [line for line in res.stdout.splitlines() if line.strip()]
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=\s{3}))\S", header)]
    names = [header[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    rows = [[line[a:b].strip() if b is not None else line[a:].strip()
             for a, b in zip(starts, [*starts[1:], None], strict=True)] for line in lines[1:]]
    return names, rows


def check(srv: FakeAPIServer, args: list[str], header: list[str],
          rows: list[list[str | re.Pattern[str]]]) -> None:
    """Header and cells equal; ``ANY_AGE`` cells are ages, pattern cells match
    (durations that grow while a busy machine runs the test)."""
    got_header, got_rows = kubectl_table(srv, *args)
    assert got_header == header
    assert len(got_rows) == len(rows), got_rows
    for got, want in zip(got_rows, rows, strict=True):
        for g, w in zip(got, want, strict=True):
            if isinstance(w, re.Pattern):
                assert w.fullmatch(g), (got, want)
            elif w == ANY_AGE:
                assert AGE.match(g), (got, want)
            else:
                assert g == w, (got, want)


def create(srv: FakeAPIServer, path: str, obj: dict[str, Any],
           status: dict[str, Any] | None = None) -> dict[str, Any]:
    code, _, body = raw(srv, "POST", path, obj)
    assert code == 201, body
    if status is not None:
        name = obj["metadata"]["name"]
        code, _, body = raw(srv, "PATCH", f"{path}/{name}/status", {"status": status},
                            {"Content-Type": "application/merge-patch+json"})
        assert code == 200, body
    return dict(body)


PODS = "/api/v1/namespaces/default/pods"


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def _cs(state: dict[str, Any], ready: bool = False, restarts: int = 0,
        last: dict[str, Any] | None = None, name: str = "c") -> dict[str, Any]:
    return {"name": name, "image": "nginx", "imageID": "", "ready": ready,
            "restartCount": restarts, "state": state, "lastState": last or {}}


def test_get_pods_status_column_and_wide(fake_apiserver: FakeAPIServer) -> None:
    srv = fake_apiserver
    create(srv, PODS, _pod("running", nodeName="node-1"),
           {"phase": "Running", "podIP": "10.244.0.5",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [_cs({"running": {"startedAt": _ago(60)}}, ready=True)]})
    create(srv, PODS, _pod("creating"),
           {"phase": "Pending",
            "containerStatuses": [_cs({"waiting": {"reason": "ContainerCreating"}})]})
    create(srv, PODS, _pod("crashing"),
           {"phase": "Running", "containerStatuses": [_cs(
               {"waiting": {"reason": "CrashLoopBackOff"}}, restarts=4,
               last={"terminated": {"exitCode": 1, "reason": "Error",
                                    "finishedAt": _ago(400)}})]})
    create(srv, PODS, _pod("done", restartPolicy="Never"),
           {"phase": "Succeeded", "containerStatuses": [_cs(
               {"terminated": {"exitCode": 0, "reason": "Completed"}})]})
    create(srv, PODS, _pod("failed", restartPolicy="Never"),
           {"phase": "Failed", "containerStatuses": [_cs(
               {"terminated": {"exitCode": 1, "reason": "Error"}})]})
    create(srv, PODS, _pod("pulling"),
           {"phase": "Pending", "containerStatuses": [_cs(
               {"waiting": {"reason": "ImagePullBackOff",
                            "message": 'Back-off pulling image "nginx"'}})]})
    init = _pod("init")
    init["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"}]
    create(srv, PODS, init,
           {"phase": "Pending",
            "initContainerStatuses": [_cs({"running": {}}, name="setup")],
            "containerStatuses": [_cs({"waiting": {"reason": "PodInitializing"}})]})
    create(srv, PODS, {**_pod("leaving"),
                       "metadata": {"name": "leaving", "finalizers": ["example.com/hold"]}},
           {"phase": "Running", "containerStatuses": [_cs({"running": {}}, ready=True)]})
    code, _, _ = raw(srv, "DELETE", f"{PODS}/leaving")
    assert code == 200
    header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    # the crash finished 400 s before the pod was written: 6m40s ago, or a little more
    crashed = re.compile(r"4 \((6m[4-5]\ds|[6-9]m\d*s?) ago\)")
    rows: list[list[str | re.Pattern[str]]] = [
            ["crashing", "0/1", "CrashLoopBackOff", crashed, ANY_AGE],
            ["creating", "0/1", "ContainerCreating", "0", ANY_AGE],
            ["done", "0/1", "Completed", "0", ANY_AGE],
            ["failed", "0/1", "Error", "0", ANY_AGE],
            ["init", "0/1", "Init:0/1", "0", ANY_AGE],
            ["leaving", "1/1", "Terminating", "0", ANY_AGE],
            ["pulling", "0/1", "ImagePullBackOff", "0", ANY_AGE],
            ["running", "1/1", "Running", "0", ANY_AGE]]
    check(srv, ["pods"], header, rows)
    wide_header, wide_rows = kubectl_table(srv, "pods", "-o", "wide")
    assert wide_header == [*header, "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    running = next(r for r in wide_rows if r[0] == "running")
    assert running[5:] == ["10.244.0.5", "node-1", "<none>", "<none>"]
    creating = next(r for r in wide_rows if r[0] == "creating")
    assert creating[5:] == ["<none>", "<none>", "<none>", "<none>"]


def _workload(name: str, kind_spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1"},
                                                          {"name": "log", "image": "fluent"}]}},
                     **kind_spec}}


def test_get_workloads(fake_apiserver: FakeAPIServer) -> None:
    srv = fake_apiserver
    apps = "/apis/apps/v1/namespaces/default"
    create(srv, f"{apps}/deployments", _workload("api", {"replicas": 3}),
           {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2})
    create(srv, f"{apps}/replicasets", _workload("api-5d9c", {"replicas": 3}),
           {"replicas": 3, "readyReplicas": 1})
    create(srv, f"{apps}/statefulsets", _workload("db", {"replicas": 2, "serviceName": "db"}),
           {"replicas": 2, "readyReplicas": 2})
    ds = _workload("agent", {})
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
    create(srv, f"{apps}/daemonsets", ds,
           {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
            "updatedNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 0})
    check(srv, ["deployments"], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
          [["api", "2/3", "3", "2", ANY_AGE]])
    check(srv, ["deployments", "-o", "wide"],
          ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES",
           "SELECTOR"],
          [["api", "2/3", "3", "2", ANY_AGE, "web,log", "nginx:1,fluent", "app=api"]])
    check(srv, ["replicasets"], ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
          [["api-5d9c", "3", "3", "1", ANY_AGE]])
    check(srv, ["statefulsets", "-o", "wide"],
          ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"],
          [["db", "2/2", ANY_AGE, "web,log", "nginx:1,fluent"]])
    check(srv, ["daemonsets"],
          ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR",
           "AGE"],
          [["agent", "3", "3", "2", "3", "2", "kubernetes.io/os=linux", ANY_AGE]])


def _job(name: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "work", "image": "busybox"}]}}, **spec}}


def test_get_jobs_and_cronjobs(fake_apiserver: FakeAPIServer) -> None:
    srv = fake_apiserver
    jobs = "/apis/batch/v1/namespaces/default/jobs"
    create(srv, jobs, _job("done"),
           {"startTime": _ago(100), "completionTime": _ago(70), "succeeded": 1,
            "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                           {"type": "Complete", "status": "True"}]})
    create(srv, jobs, _job("broken"),
           {"startTime": _ago(50), "failed": 7,
            "conditions": [{"type": "FailureTarget", "status": "True"},
                           {"type": "Failed", "status": "True"}],
            "completionTime": None})
    create(srv, jobs, _job("batch", completions=5, parallelism=2),
           {"startTime": _ago(30), "succeeded": 2, "active": 2})
    create(srv, jobs, _job("paused", suspend=True, parallelism=3, completions=None),
           {"conditions": [{"type": "Suspended", "status": "True"}]})
    # running Jobs' durations grow from 30 s and 50 s while the test runs
    check(srv, ["jobs"], ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
          [["batch", "Running", "2/5", re.compile(r"[3-9]\ds|1\d\ds"), ANY_AGE],
           ["broken", "Failed", "0/1", re.compile(r"[5-9]\ds|1\d\ds"), ANY_AGE],
           ["done", "Complete", "1/1", "30s", ANY_AGE],
           ["paused", "Suspended", "0/1 of 3", "", ANY_AGE]])
    cron = {"metadata": {"name": "nightly"},
            "spec": {"schedule": "0 3 * * *", "timeZone": "Etc/UTC",
                     "jobTemplate": {"spec": _job("x")["spec"]}}}
    create(srv, "/apis/batch/v1/namespaces/default/cronjobs", cron,
           {"lastScheduleTime": _ago(7200), "active": []})
    check(srv, ["cronjobs", "-o", "wide"],
          ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE",
           "CONTAINERS", "IMAGES", "SELECTOR"],
          [["nightly", "0 3 * * *", "Etc/UTC", "False", "0", re.compile(r"12[0-2]m"), ANY_AGE,
            "work", "busybox", "<none>"]])


def test_get_services_endpoints_and_ingresses(fake_apiserver: FakeAPIServer) -> None:
    srv = fake_apiserver
    svcs = "/api/v1/namespaces/default/services"
    a = create(srv, svcs, {"metadata": {"name": "a"}, "spec": {
        "selector": {"app": "a"}, "ports": [{"name": "http", "port": 80},
                                            {"name": "dns", "port": 53, "protocol": "UDP"}]}})
    b = create(srv, svcs, {"metadata": {"name": "b"}, "spec": {
        "type": "NodePort", "selector": {"app": "b"}, "externalIPs": ["192.0.2.7"],
        "ports": [{"port": 8080, "nodePort": 30080}]}})
    c = create(srv, svcs, {"metadata": {"name": "c"}, "spec": {
        "type": "LoadBalancer", "ports": [{"port": 443, "nodePort": 31443}]}},
        {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}})
    create(srv, svcs, {"metadata": {"name": "d"}, "spec": {
        "type": "ExternalName", "externalName": "db.example.com"}})
    create(srv, svcs, {"metadata": {"name": "e"}, "spec": {
        "type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 31080}]}})
    check(srv, ["services", "-o", "wide"],
          ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"],
          [["a", "ClusterIP", a["spec"]["clusterIP"], "<none>", "80/TCP,53/UDP", ANY_AGE,
            "app=a"],
           ["b", "NodePort", b["spec"]["clusterIP"], "192.0.2.7", "8080:30080/TCP", ANY_AGE,
            "app=b"],
           ["c", "LoadBalancer", c["spec"]["clusterIP"], "203.0.113.9", "443:31443/TCP",
            ANY_AGE, "<none>"],
           ["d", "ExternalName", "<none>", "db.example.com", "<none>", ANY_AGE, "<none>"],
           ["e", "LoadBalancer", _cluster_ip(srv, "e"), "<pending>", "80:31080/TCP",
            ANY_AGE, "<none>"]])
    create(srv, "/api/v1/namespaces/default/endpoints", {
        "metadata": {"name": "a"},
        "subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 5)],
                     "ports": [{"port": 80}]}]})
    check(srv, ["endpoints"], ["NAME", "ENDPOINTS", "AGE"],
          [["a", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...", ANY_AGE]])
    create(srv, "/apis/networking.k8s.io/v1/namespaces/default/ingresses", {
        "metadata": {"name": "web"},
        "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"]}],
                 "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}]}},
        {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}})
    check(srv, ["ingresses"], ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
          [["web", "nginx", "a.example.com,b.example.com", "lb.example.com", "80, 443",
            ANY_AGE]])


def _cluster_ip(srv: FakeAPIServer, name: str) -> str:
    _, _, body = raw(srv, "GET", f"/api/v1/namespaces/default/services/{name}")
    return str(body["spec"]["clusterIP"])


def test_get_config_rbac_and_cluster_kinds(fake_apiserver: FakeAPIServer) -> None:
    srv = fake_apiserver
    core = "/api/v1/namespaces/default"
    create(srv, f"{core}/configmaps", {"metadata": {"name": "cfg"},
                                       "data": {"a": "1", "b": "2"}})
    create(srv, f"{core}/secrets", {"metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
                                    "data": {"tls.crt": "", "tls.key": ""}})
    create(srv, f"{core}/serviceaccounts", {"metadata": {"name": "bot"}})
    create(srv, f"{core}/persistentvolumeclaims", {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                 "resources": {"requests": {"storage": "1Gi"}}}}, {"phase": "Pending"})
    create(srv, "/apis/coordination.k8s.io/v1/namespaces/default/leases",
           {"metadata": {"name": "leader"}, "spec": {"holderIdentity": "pod-a"}})
    rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"
    create(srv, f"{rbac}/roles", {"metadata": {"name": "reader"}, "rules": []})
    create(srv, f"{rbac}/rolebindings", {
        "metadata": {"name": "read"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "User", "name": "alice"},
                     {"kind": "ServiceAccount", "name": "bot", "namespace": "default"}]})
    create(srv, "/api/v1/nodes", {"metadata": {"name": "node-1", "labels": {
        "node-role.kubernetes.io/control-plane": ""}}, "spec": {"unschedulable": True}}, {
        "conditions": [{"type": "Ready", "status": "True"}],
        "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
        "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian", "kernelVersion": "6.1",
                     "containerRuntimeVersion": "containerd://1.7", "machineID": "",
                     "systemUUID": "", "bootID": "", "kubeProxyVersion": "",
                     "operatingSystem": "linux", "architecture": "amd64"}})
    create(srv, f"{core}/events", {
        "metadata": {"name": "web.1"}, "type": "Warning", "reason": "BackOff",
        "message": "Back-off restarting failed container", "count": 3,
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "firstTimestamp": _ago(600), "lastTimestamp": _ago(65)})
    check(srv, ["configmaps"], ["NAME", "DATA", "AGE"], [["cfg", "2", ANY_AGE]])
    check(srv, ["secrets"], ["NAME", "TYPE", "DATA", "AGE"],
          [["tls", "kubernetes.io/tls", "2", ANY_AGE]])
    check(srv, ["serviceaccounts", "bot"], ["NAME", "SECRETS", "AGE"],
          [["bot", "0", ANY_AGE]])
    check(srv, ["pvc"], ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES",
                         "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"],
          [["data", "Pending", "", "", "", "standard", "<unset>", ANY_AGE]])
    check(srv, ["leases"], ["NAME", "HOLDER", "AGE"], [["leader", "pod-a", ANY_AGE]])
    _, role_rows = kubectl_table(srv, "roles")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", role_rows[0][1])
    check(srv, ["roles"], ["NAME", "CREATED AT"], [["reader", role_rows[0][1]]])
    check(srv, ["rolebindings", "-o", "wide"],
          ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"],
          [["read", "Role/reader", ANY_AGE, "alice", "", "default:bot"]])
    check(srv, ["nodes", "-o", "wide"],
          ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
           "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
          [["node-1", "Ready,SchedulingDisabled", "control-plane", ANY_AGE, "v1.32.0",
            "172.18.0.2", "<none>", "Debian", "6.1", "containerd://1.7"]])
    check(srv, ["events"], ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
          [[ANY_AGE, "Warning", "BackOff", "pod/web", "Back-off restarting failed container"]])


def test_get_storage_policy_and_network_kinds(fake_apiserver: FakeAPIServer) -> None:
    srv = fake_apiserver
    create(srv, "/api/v1/persistentvolumes", {
        "metadata": {"name": "pv1"},
        "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadOnlyMany", "ReadWriteOnce"],
                 "hostPath": {"path": "/data"}, "storageClassName": "manual"}})
    create(srv, "/apis/storage.k8s.io/v1/storageclasses", {
        "metadata": {"name": "fast",
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "example.com/disk"})
    ns = "namespaces/default"
    create(srv, f"/apis/policy/v1/{ns}/poddisruptionbudgets", {
        "metadata": {"name": "web"},
        "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}})
    create(srv, f"/apis/autoscaling/v2/{ns}/horizontalpodautoscalers", {
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                    "name": "web"},
                 "minReplicas": 2, "maxReplicas": 5,
                 "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization",
                                               "averageUtilization": 50}}}]}})
    create(srv, f"/apis/networking.k8s.io/v1/{ns}/networkpolicies", {
        "metadata": {"name": "deny"}, "spec": {"podSelector": {}}})
    create(srv, f"/apis/discovery.k8s.io/v1/{ns}/endpointslices", {
        "metadata": {"name": "web-abc"}, "addressType": "IPv4", "ports": [{"port": 80}],
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]})
    check(srv, ["pv"], ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM",
                        "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"],
          [["pv1", "5Gi", "RWO,ROX", "Retain", "Pending", "", "manual", "<unset>", "",
            ANY_AGE]])
    check(srv, ["storageclasses"], ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                                    "ALLOWVOLUMEEXPANSION", "AGE"],
          [["fast (default)", "example.com/disk", "Delete", "Immediate", "false", ANY_AGE]])
    check(srv, ["pdb"], ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS",
                         "AGE"], [["web", "50%", "N/A", "0", ANY_AGE]])
    check(srv, ["hpa"], ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS",
                         "AGE"],
          [["web", "Deployment/web", "cpu: <unknown>/50%", "2", "5", "0", ANY_AGE]])
    check(srv, ["networkpolicies"], ["NAME", "POD-SELECTOR", "AGE"],
          [["deny", "<none>", ANY_AGE]])
    check(srv, ["endpointslices"], ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
          [["web-abc", "IPv4", "80", "10.0.0.1,10.0.0.2", ANY_AGE]])
