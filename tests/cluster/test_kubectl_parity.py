"""Real kubectl 1.32 against the simulated control plane: rollout status,
wait --for=condition, get -w, and ``hybridwait wait --for=ready``, for a
rollout, a failed rollout (ProgressDeadlineExceeded) and a Job, as on a
cluster."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.cluster import ClusterSettings, Span
from tests.cli.conftest import kubectl_path, run_cli
from tests.cluster.conftest import deployment, job

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(kubectl_path() is None, reason="kubectl is not installed"),
]

# Pods take 0.1-0.4 s of real time to start; where kubectl must see a rollout in
# progress, a fault holds it until kubectl is watching.
SETTINGS = ClusterSettings(nodes=3, seed=3, time_scale=10.0, create_delay=Span(1.0, 4.0),
                           ready_delay=Span(0.5, 1.0), run_time=Span(2.0, 4.0))


@pytest.fixture
def srv() -> Iterator[FakeAPIServer]:
    with FakeAPIServer(cluster=SETTINGS) as s:
        yield s


def kubectl(srv: FakeAPIServer, *args: str, timeout: float = 60.0
            ) -> subprocess.CompletedProcess[str]:
    """Run kubectl against ``srv``."""
    return subprocess.run([kubectl_path() or "kubectl", f"--kubeconfig={srv.kubeconfig}", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def _apps(srv: FakeAPIServer) -> Any:
    from kubernetes import client

    return client.AppsV1Api(srv.api_client())


def test_rollout_status_follows_a_rollout_to_the_end(srv: FakeAPIServer) -> None:
    apps = _apps(srv)
    srv.cluster.never_ready(image="nginx:1")  # held until kubectl is watching
    apps.create_namespaced_deployment("default", deployment("web", "nginx:1", replicas=3))
    proc = subprocess.Popen(
        [kubectl_path() or "kubectl", f"--kubeconfig={srv.kubeconfig}", "rollout", "status",
         "deployment/web", "--timeout=60s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # kubectl's first report (the rollout held, pods not Ready), then release
        # it: a watch being open is not enough, as its initial events may be sent
        # after the release on a busy machine (kubectl ends at --timeout anyway)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        srv.cluster.clear()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    lines = [first.rstrip("\n"), *out.splitlines()]
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert lines[0].startswith('Waiting for deployment "web" rollout to finish: ')
    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "nginx:2"}]}}}})
    p = kubectl(srv, "rollout", "status", "deployment/web", "--timeout=60s")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == 'deployment "web" successfully rolled out'
    h = kubectl(srv, "rollout", "history", "deployment/web")
    assert h.returncode == 0 and [ln.split()[0] for ln in h.stdout.splitlines()[2:] if ln] == [
        "1", "2"]


def test_wait_for_available_and_hybridwait_for_ready(srv: FakeAPIServer,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _apps(srv).create_namespaced_deployment("default", deployment("web", "nginx:1"))
    p = kubectl(srv, "wait", "--for=condition=Available", "deployment/web", "--timeout=60s")
    assert (p.returncode, p.stdout.strip()) == (0, "deployment.apps/web condition met")
    _apps(srv).create_namespaced_deployment("default", deployment("api", "api:1"))
    r = run_cli(["wait", "deployment/api", "--for=ready", "--timeout=60s",
                 f"--kubeconfig={srv.kubeconfig}"], capsys)
    assert (r.code, r.out, r.err) == (0, ["deployment.apps/api condition met"], [])


def test_a_failed_rollout_is_reported_by_kubectl_and_by_hybridwait(
        srv: FakeAPIServer, capsys: pytest.CaptureFixture[str]) -> None:
    apps = _apps(srv)
    apps.create_namespaced_deployment("default", deployment(
        "web", "nginx:1", replicas=2, progressDeadlineSeconds=10))
    assert kubectl(srv, "rollout", "status", "deployment/web", "--timeout=60s").returncode == 0
    srv.cluster.crash_loop(image="nginx:broken")
    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "nginx:broken"}]}}}})
    t0 = time.monotonic()
    r = run_cli(["wait", "deployment/web", "--for=ready", "--timeout=60s",
                 f"--kubeconfig={srv.kubeconfig}"], capsys)
    assert r.code == 1 and r.out == []
    assert len(r.err) == 1 and "progress deadline exceeded" in r.err[0]
    assert "has timed out progressing" in r.err[0]
    assert time.monotonic() - t0 < 30  # 10 simulated seconds: about 1 s
    p = kubectl(srv, "rollout", "status", "deployment/web", "--timeout=60s")
    assert p.returncode == 1
    assert p.stderr.strip() == 'error: deployment "web" exceeded its progress deadline'
    g = kubectl(srv, "get", "pods", "-l", "app=web", "--no-headers")
    # READY and RESTARTS of the crashing pod (the emulator's table prints the
    # phase in STATUS where kubectl's own printer says CrashLoopBackOff)
    crashing = [ln.split() for ln in g.stdout.splitlines() if ln.split()[1] == "0/1"]
    assert crashing and all(int(row[3]) >= 1 for row in crashing)


def test_a_job_completes_for_kubectl_wait_and_get_watch(srv: FakeAPIServer) -> None:
    from kubernetes import client

    srv.cluster.image_pull_error(image="busybox")  # held until kubectl is watching
    client.BatchV1Api(srv.api_client()).create_namespaced_job(
        "default", job("migrate", completions=2, parallelism=1))
    watch = subprocess.Popen(
        [kubectl_path() or "kubectl", f"--kubeconfig={srv.kubeconfig}", "get", "pods", "-w",
         "-l", "job-name=migrate", "--request-timeout=20s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the header and the held pod's first row, then release it (kubectl ends
        # at --request-timeout anyway)
        assert watch.stdout is not None
        head = [watch.stdout.readline(), watch.stdout.readline()]
        srv.cluster.clear()
        p = kubectl(srv, "wait", "--for=condition=Complete", "job/migrate", "--timeout=60s")
        assert (p.returncode, p.stdout.strip()) == (0, "job.batch/migrate condition met")
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=30)
    out = "".join(head) + out
    statuses = [line.split()[2] for line in out.splitlines()[1:] if line.strip()]
    # kubectl's printer says ContainerCreating / Completed; the emulator's
    # server-side table prints the phase (Pending / Succeeded) for now
    for seen in ({"ContainerCreating", "ImagePullBackOff", "Pending"}, {"Running"},
                 {"Completed", "Succeeded"}):
        assert seen & set(statuses), statuses
    g = kubectl(srv, "get", "job", "migrate", "-o",
                "jsonpath={.status.succeeded} {.status.conditions[-1].type}")
    assert g.stdout == "2 Complete"


def test_fake_apiserver_cluster_flag_serves_a_cluster_kubectl_can_roll_out_on(
        tmp_path: Any) -> None:
    import signal
    import sys

    kc = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hybridwait.cli", "fake-apiserver", "--cluster", "--nodes", "2",
         "--time-scale", "20", "--kubeconfig", str(kc)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("serving on http://127.0.0.1:")

        def kc_run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([kubectl_path() or "kubectl", f"--kubeconfig={kc}", *args],
                                  capture_output=True, text=True, timeout=60, check=False)
        assert kc_run("create", "deployment", "web", "--image=nginx",
                      "--replicas=2").returncode == 0
        p = kc_run("rollout", "status", "deployment/web", "--timeout=60s")
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines()[-1] == 'deployment "web" successfully rolled out'
        nodes = kc_run("get", "nodes", "-o", "name").stdout.split()
        assert nodes == ["node/node-1", "node/node-2"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_kubectl_set_image_undo_scale_and_restart(srv: FakeAPIServer) -> None:
    def ok(*args: str) -> str:
        p = kubectl(srv, *args)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    ok("create", "deployment", "web", "--image=nginx:1", "--replicas=2")
    ok("rollout", "status", "deployment/web", "--timeout=60s")
    ok("set", "image", "deployment/web", "nginx=nginx:2")
    ok("rollout", "status", "deployment/web", "--timeout=60s")
    assert ok("rollout", "undo", "deployment/web").strip() == "deployment.apps/web rolled back"
    ok("rollout", "status", "deployment/web", "--timeout=60s")
    # revision 1 came back as revision 3, with the first ReplicaSet
    history = ok("rollout", "history", "deployment/web").splitlines()[2:]
    assert [ln.split()[0] for ln in history if ln] == ["2", "3"]
    ok("scale", "deployment/web", "--replicas=4")
    ok("rollout", "restart", "deployment/web")
    ok("rollout", "status", "deployment/web", "--timeout=60s")
    image = ok("get", "deploy", "web", "-o",
               "jsonpath={.spec.template.spec.containers[0].image} {.status.readyReplicas}")
    assert image == "nginx:1 4"
    # the old pods may still be Terminating (30 s grace): 4 running, the rest go
    listing = ok("get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}"
                 "{.metadata.name} {.metadata.deletionTimestamp}{\"\\n\"}{end}").splitlines()
    assert len([ln for ln in listing if len(ln.split()) == 1]) == 4
    terminating = [f"pod/{ln.split()[0]}" for ln in listing if len(ln.split()) == 2]
    if terminating:
        ok("wait", "--for=delete", *terminating, "--timeout=60s")


def test_a_failing_job_for_kubectl_and_hybridwait(srv: FakeAPIServer,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from kubernetes import client

    srv.cluster.crash_loop(selector="job-name=broken")
    client.BatchV1Api(srv.api_client()).create_namespaced_job(
        "default", job("broken", backoffLimit=1))
    p = kubectl(srv, "wait", "--for=condition=Failed", "job/broken", "--timeout=60s")
    assert (p.returncode, p.stdout.strip()) == (0, "job.batch/broken condition met")
    r = run_cli(["wait", "job/broken", "--for=ready", "--timeout=60s",
                 f"--kubeconfig={srv.kubeconfig}"], capsys)
    assert r.code == 1 and r.out == []
    assert r.err == ["error: jobs/broken: job failed: 2 failed, 0/1 succeeded: "
                     "Job has reached the specified backoff limit"]
    r = run_cli(["wait", "job/broken", "--for=condition=Complete", "--fail-for=condition=Failed",
                 "--timeout=60s", f"--kubeconfig={srv.kubeconfig}"], capsys)
    assert r.code == 1 and "jobs/broken" in r.err[0]


def test_kubectl_delete_cascade_foreground_orphan_and_a_terminating_pod(
        srv: FakeAPIServer) -> None:
    def ok(*args: str) -> str:
        p = kubectl(srv, *args)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    for name in ("fg", "orphaned"):
        ok("create", "deployment", name, "--image=nginx:1", "--replicas=2")
        ok("rollout", "status", f"deployment/{name}", "--timeout=60s")
    # foreground: kubectl returns once the Deployment is gone, which is after
    # its ReplicaSet and pods (each after its 30 s grace period)
    assert ok("delete", "deployment", "fg", "--cascade=foreground").strip() == (
        'deployment.apps "fg" deleted')
    assert ok("get", "rs,pods", "-l", "app=fg", "-o", "name") == ""
    # orphan: the ReplicaSet and its pods stay, without the owner reference
    ok("delete", "deployment", "orphaned", "--cascade=orphan")
    rs = ok("get", "rs", "-l", "app=orphaned", "-o",
            "jsonpath={.items[*].metadata.ownerReferences}{.items[*].status.readyReplicas}")
    assert rs == "2"
    # a running pod deleted with a grace period is Terminating, then gone
    pod = ok("get", "pods", "-l", "app=orphaned", "-o", "name").split()[0]
    ok("delete", pod, "--grace-period=20", "--wait=false")
    marked = ok("get", pod, "-o", "jsonpath={.metadata.deletionGracePeriodSeconds}")
    assert marked == "20"
    table = ok("get", pod, "--no-headers").split()
    assert table[2] == "Terminating", table
    ok("wait", "--for=delete", pod, "--timeout=60s")
    # its ReplicaSet replaced it at once (a terminating pod is not counted)
    ok("wait", "--for=jsonpath={.status.readyReplicas}=2", "rs", "-l", "app=orphaned",
       "--timeout=60s")


def test_kubectl_rollout_history_and_undo_of_a_statefulset(srv: FakeAPIServer) -> None:
    def ok(*args: str) -> str:
        p = kubectl(srv, *args)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    _apps(srv).create_namespaced_stateful_set("default", {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
                     "terminationGracePeriodSeconds": 2,
                     "containers": [{"name": "db", "image": "pg:1"}]}}}})
    ok("rollout", "status", "statefulset/db", "--timeout=60s")
    ok("set", "image", "statefulset/db", "db=pg:2")
    ok("rollout", "status", "statefulset/db", "--timeout=60s")

    def revisions() -> list[str]:
        out = ok("rollout", "history", "statefulset/db").splitlines()
        assert out[1].split() == ["REVISION", "CHANGE-CAUSE"], out
        return [ln.split()[0] for ln in out[2:] if ln.strip()]
    assert revisions() == ["1", "2"]
    assert ok("rollout", "undo", "statefulset/db").strip() == "statefulset.apps/db rolled back"
    ok("rollout", "status", "statefulset/db", "--timeout=60s")
    assert revisions() == ["2", "3"]  # revision 1 came back as 3
    assert ok("get", "sts", "db", "-o", "jsonpath={.spec.template.spec.containers[0].image} "
              "{.status.updatedReplicas}") == "pg:1 2"
    owners = ok("get", "controllerrevisions", "-o",
                "jsonpath={.items[*].metadata.ownerReferences[0].name}").split()
    assert owners == ["db", "db"]


def test_kubectl_rollout_history_and_undo_of_a_daemonset(srv: FakeAPIServer) -> None:
    def ok(*args: str) -> str:
        p = kubectl(srv, *args)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    _apps(srv).create_namespaced_daemon_set("default", {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {
                     "terminationGracePeriodSeconds": 2,
                     "containers": [{"name": "agent", "image": "agent:1"}]}}}})
    ok("rollout", "status", "daemonset/agent", "--timeout=60s")
    ok("set", "image", "daemonset/agent", "agent=agent:2")
    ok("rollout", "status", "daemonset/agent", "--timeout=60s")
    history = ok("rollout", "history", "daemonset/agent").splitlines()[2:]
    assert [ln.split()[0] for ln in history if ln.strip()] == ["1", "2"]
    assert ok("rollout", "undo", "daemonset/agent").strip() == "daemonset.apps/agent rolled back"
    ok("rollout", "status", "daemonset/agent", "--timeout=60s")
    images = ok("get", "pods", "-l", "app=agent", "-o", "jsonpath={range .items[*]}"
                "{.spec.containers[0].image} {.metadata.deletionTimestamp}{\"\\n\"}{end}")
    assert sorted(ln.split()[0] for ln in images.splitlines()
                  if len(ln.split()) == 1) == ["agent:1"] * 3
