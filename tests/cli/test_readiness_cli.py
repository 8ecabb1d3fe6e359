"""`hybridwait wait` readiness features: --for=ready, --fail-for, --any, -f/-R,
--version, the live status board, bad input, and the timeout text of an
unresponsive server (D9). Against the emulator, in-process; -f parity with the
real kubectl where kubectl has the same form."""

from __future__ import annotations

import io
import shlex
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from hybridwait.cli.main import main
from hybridwait.cli.progress import StatusBoard
from hybridwait.kube.status import ObjectStatus, Status
from hybridwait.testing import FakeAPIServer
from tests.cli.conftest import Run, kubectl_path, make_pod, run_cli

LONG = "30s"  # generous timeout for waits that must end early


def _kc(srv: FakeAPIServer) -> str:
    return f"--kubeconfig={srv.kubeconfig}"


def _write(path: Path, *docs: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


def _deploy(name: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def _job(name: str) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "c", "image": "perl"}]}}}}


def _cm(name: str, ns: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


class Api:
    def __init__(self, srv: FakeAPIServer) -> None:
        from kubernetes import client

        api = srv.api_client()
        self.v1 = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.batch = client.BatchV1Api(api)

    def available(self, name: str) -> None:
        self.apps.patch_namespaced_deployment_status(name, "default", {"status": {
            "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
            "availableReplicas": 1, "conditions": [
                {"type": "Available", "status": "True"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}})

    def job_status(self, name: str, ctype: str) -> None:
        self.batch.patch_namespaced_job_status(name, "default", {"status": {
            "startTime": "2026-01-01T00:00:00Z",
            "conditions": [{"type": ctype, "status": "True", "message": f"job {ctype}"}]}})


@pytest.fixture
def api(fake_apiserver: FakeAPIServer) -> Api:
    return Api(fake_apiserver)


# -- --version ---------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import hybridwait

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"hybridwait {hybridwait.__version__}\n"


# -- --for=ready -------------------------------------------------------------------------


def test_ready_deployment_becomes_available(fake_apiserver: FakeAPIServer, api: Api,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    api.apps.create_namespaced_deployment("default", _deploy("web"))
    timer = threading.Timer(0.3, api.available, ("web",))
    timer.start()
    try:
        r = run_cli(["wait", "deploy/web", "--for=ready", f"--timeout={LONG}",
                     _kc(fake_apiserver)], capsys)
    finally:
        timer.join()
    assert (r.code, r.out, r.err) == (0, ["deployment.apps/web condition met"], [])


def test_ready_job_failed_is_an_error_at_once(fake_apiserver: FakeAPIServer, api: Api,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    api.batch.create_namespaced_job("default", _job("pi"))
    api.job_status("pi", "Failed")
    t0 = time.monotonic()
    r = run_cli(["wait", "job/pi", "--for=ready", "--timeout=5m", _kc(fake_apiserver)], capsys)
    assert time.monotonic() - t0 < 30
    assert r.code == 1 and r.out == []
    assert r.err == ["error: jobs/pi: job failed: 0 failed, 0/1 succeeded: job Failed"]


# -- --fail-for and --any ----------------------------------------------------------------


def test_fail_for_condition_ends_the_wait(fake_apiserver: FakeAPIServer, api: Api,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    api.batch.create_namespaced_job("default", _job("j"))
    api.job_status("j", "Failed")
    r = run_cli(["wait", "job/j", "--for=condition=Complete", "--fail-for=condition=Failed",
                 "--timeout=5m", _kc(fake_apiserver)], capsys)
    assert r.code == 1 and r.out == []
    assert len(r.err) == 1 and r.err[0].startswith("error: jobs/j: ")
    assert "Failed" in r.err[0]


def test_fail_for_delete_ends_a_condition_wait(fake_apiserver: FakeAPIServer, api: Api,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    make_pod(fake_apiserver, "doomed", "False")
    fake_apiserver.reset_requests()
    result: list[int] = []  # the CLI's exit code, set by its thread
    cli = threading.Thread(target=lambda: result.append(main([
        "wait", "pod/doomed", "--for=condition=Ready", "--fail-for=delete", "--no-watch",
        "--poll-interval=200ms", "--timeout=5m", _kc(fake_apiserver)])))
    capsys.readouterr()
    t0 = time.monotonic()
    cli.start()
    try:
        # delete only once the wait has read the pod (its first check saw it)
        deadline = time.monotonic() + 30
        while not any(r.verb == "get" and r.path.endswith("/pods/doomed") and r.status == 200
                      for r in fake_apiserver.requests):
            assert time.monotonic() < deadline and cli.is_alive()
            time.sleep(0.01)
        api.v1.delete_namespaced_pod("doomed", "default")
    finally:
        cli.join(60)
    got = capsys.readouterr()
    assert time.monotonic() - t0 < 30  # not kubectl's hang until the timeout
    assert result == [1] and got.out == ""
    err = got.err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: pods/doomed: "), err


@pytest.mark.parametrize("outcome", ["Complete", "Failed"])
def test_any_job_complete_or_failed(outcome: str, fake_apiserver: FakeAPIServer, api: Api,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    api.batch.create_namespaced_job("default", _job("either"))
    api.job_status("either", outcome)
    r = run_cli(["wait", "job/either", "--for=condition=Complete", "--for=condition=Failed",
                 "--any", f"--timeout={LONG}", _kc(fake_apiserver)], capsys)
    assert (r.code, r.out, r.err) == (0, ["job.batch/either condition met"], [])


def test_without_any_repeated_for_are_anded(fake_apiserver: FakeAPIServer, api: Api,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    api.batch.create_namespaced_job("default", _job("both"))
    api.job_status("both", "Complete")
    r = run_cli(["wait", "job/both", "--for=condition=Complete", "--for=condition=Failed",
                 "--timeout=0", _kc(fake_apiserver)], capsys)
    assert (r.code, r.err) == (1, ["error: condition not met for jobs/both"])


# -- -f / --filename ---------------------------------------------------------------------


def test_filename_waits_on_every_object_in_order(fake_apiserver: FakeAPIServer, api: Api,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    api.v1.create_namespaced_config_map("default", _cm("cfg"))
    api.apps.create_namespaced_deployment("default", _deploy("web"))
    api.batch.create_namespaced_job("default", _job("migrate"))
    path = _write(tmp_path / "app.yaml", _cm("cfg"), _deploy("web"), _job("migrate"))
    timer = threading.Timer(0.3, api.available, ("web",))
    timer.start()
    api.job_status("migrate", "Complete")
    try:
        r = run_cli(["wait", "-f", path, "--for=ready", f"--timeout={LONG}",
                     _kc(fake_apiserver)], capsys)
    finally:
        timer.join()
    assert (r.code, r.err) == (0, [])
    assert r.out == ["configmap/cfg condition met", "deployment.apps/web condition met",
                     "job.batch/migrate condition met"]


def test_filename_timeout_names_unmet_objects_with_status(
        fake_apiserver: FakeAPIServer, api: Api, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    api.v1.create_namespaced_config_map("default", _cm("cfg"))
    api.apps.create_namespaced_deployment("default", _deploy("web"))
    api.batch.create_namespaced_job("default", _job("migrate"))
    path = _write(tmp_path / "app.yaml", _deploy("web"), _cm("cfg"), _job("migrate"))
    r = run_cli(["wait", "-f", path, "--for=ready", "--timeout=4s", _kc(fake_apiserver)],
                capsys)
    assert r.code == 1
    assert r.out == ["configmap/cfg condition met"]
    assert r.err == [
        "timed out waiting for the condition on deployments/web (InProgress: replicas: 0/1)",
        "timed out waiting for the condition on jobs/migrate (InProgress: job not started)",
    ]


def test_filename_directory_recursive_and_stdin(fake_apiserver: FakeAPIServer, api: Api,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("top", "deep", "piped"):
        api.v1.create_namespaced_config_map("default", _cm(name))
    _write(tmp_path / "d" / "a.yaml", _cm("top"))
    _write(tmp_path / "d" / "sub" / "b.yml", _cm("deep"))
    (tmp_path / "d" / "notes.txt").write_text("not a manifest")
    kc = _kc(fake_apiserver)
    d = str(tmp_path / "d")
    r = run_cli(["wait", "-f", d, "--for=create", "-o", "name", kc], capsys)
    assert (r.code, r.out) == (0, ["configmap/top", "configmap/deep"])
    r = run_cli(["wait", "-f", d, "-R=false", "--for=create", "-o", "name", kc], capsys)
    assert (r.code, r.out) == (0, ["configmap/top"])
    monkeypatch.setattr("sys.stdin", io.StringIO(yaml.safe_dump(_cm("piped"))))
    r = run_cli(["wait", "-f", "-", "-f", d, "-R=false", "--for=create", "-o", "name", kc],
                capsys)
    assert (r.code, r.out) == (0, ["configmap/piped", "configmap/top"])


def test_filename_namespace_from_manifest_then_flag(fake_apiserver: FakeAPIServer, api: Api,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for ns in ("one", "two"):
        api.v1.create_namespace({"metadata": {"name": ns}})
    api.v1.create_namespaced_config_map("one", _cm("x"))
    api.v1.create_namespaced_config_map("two", _cm("y"))
    path = _write(tmp_path / "m.yaml", _cm("x", "one"), _cm("y"))
    r = run_cli(["wait", "-f", path, "-n", "two", "--for=ready", "-o", "json",
                 _kc(fake_apiserver)], capsys)
    assert r.code == 0, r.err
    namespaces = [line.split('"')[3] for line in r.out if '"namespace"' in line]
    assert namespaces == ["one", "two"]


BAD_INPUT = [
    ("-f {tmp}/missing.yaml --for=ready", 'error: the path "{tmp}/missing.yaml" does not exist'),
    ("-f {tmp}/unknown.yaml --for=ready",
     'error: resource mapping not found for name: "f1" namespace: "" from "{tmp}/unknown.yaml": '
     'no matches for kind "Foo" in version "example.com/v1"'),
    ("-f {tmp}/noname.yaml --for=ready", "error: resource name must be provided"),
    ("-f {tmp}/broken.yaml --for=ready",
     "error: error parsing {tmp}/broken.yaml: error converting YAML to JSON: yaml: "),
    ("-f {tmp}/list.yaml --for=ready", 'error: unable to decode "{tmp}/list.yaml": '),
    ("-f {tmp}/good.yaml pod/a --for=ready",
     "error: resource/name arguments cannot be provided when a path is specified"),
    ("-f {tmp}/good.yaml -l app=web --for=ready", "error: -l/--selector and --field-selector "),
    ("-f {tmp}/good.yaml -A --for=ready", "error: -A/--all-namespaces cannot be used with -f"),
    ("-f {tmp}/empty.yaml --for=ready", "error: no matching resources found"),
    ("pod/a --for=condition=Ready --any", "error: --any needs at least two --for conditions"),
    ("pod/a --for=condition=Ready --fail-for=condition=Ready",
     "error: --fail-for=condition=Ready is also a --for condition"),
    ("pod/a --for=condition=Ready --fail-for=bogus",
     'error: --fail-for: unrecognized condition: "bogus"'),
    ("pod/a --for=ready=yes", 'error: unrecognized condition: "ready=yes"'),
]


@pytest.mark.parametrize(("args", "want"), BAD_INPUT, ids=[a for a, _ in BAD_INPUT])
def test_bad_input_is_one_error_line_before_any_wait(
        args: str, want: str, fake_apiserver: FakeAPIServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "good.yaml", _cm("g"))
    _write(tmp_path / "unknown.yaml", _cm("ok"),
           {"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "f1"}})
    _write(tmp_path / "noname.yaml", _cm("ok"), {"apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": {}})
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(_cm("ok")) + "---\nthis: [is broken\n")
    (tmp_path / "empty.yaml").write_text("---\n# nothing here\n")
    (tmp_path / "list.yaml").write_text(yaml.safe_dump(_cm("ok")) + "---\n- a\n- b\n")
    fake_apiserver.reset_requests()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in shlex.split(args)]
    r = run_cli(["wait", *argv, _kc(fake_apiserver)], capsys)
    assert r.code == 1 and r.out == []
    assert r.err[0].startswith(want.replace("{tmp}", str(tmp_path))), r.err
    counts = fake_apiserver.request_counts()
    assert counts.get("watch", 0) == 0 and counts.get("get", 0) == 0  # nothing waited on


# -- kubectl parity for -f ---------------------------------------------------------------


def _kubectl(args: list[str]) -> Run:
    p = subprocess.run([kubectl_path() or "kubectl", "wait", *args], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    err = [line for line in p.stderr.splitlines() if "memcache.go" not in line]
    return Run(p.returncode, p.stdout.splitlines(), err)


FILE_PARITY = [
    "-f {tmp}/pods.yaml --for=condition=Ready",
    "-f {tmp}/pods.yaml --for=condition=Ready -o name",
    "-f {tmp}/dir --for=condition=Ready -o name",
    "-f {tmp}/pods.yaml -f {tmp}/pods.yaml --for=condition=Ready",
    "-f {tmp}/missing.yaml --for=condition=Ready",
    "-f {tmp}/noname.yaml --for=condition=Ready",
    "-f {tmp}/unknown.yaml --for=condition=Ready",
    "-f {tmp}/empty.yaml --for=condition=Ready",
    "-f {tmp}/pods.yaml pod/a --for=condition=Ready",
    "-f {tmp}/notready.yaml --for=condition=Ready --timeout=1s",
]


@pytest.mark.kubectl
@pytest.mark.skipif(kubectl_path() is None, reason="kubectl is not installed")
@pytest.mark.parametrize("scenario", FILE_PARITY)
def test_filename_same_as_kubectl(scenario: str, cluster: FakeAPIServer, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    def pod(name: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": "c", "image": "x"}]}}

    _write(tmp_path / "pods.yaml", pod("a"), pod("c"))
    _write(tmp_path / "dir" / "pods.yaml", pod("a"), pod("c"))
    _write(tmp_path / "dir" / "sub" / "more.yaml", pod("c"))
    _write(tmp_path / "noname.yaml", {"apiVersion": "v1", "kind": "Pod", "metadata": {}})
    _write(tmp_path / "unknown.yaml",
           {"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "f1"}})
    _write(tmp_path / "notready.yaml", pod("b"))
    (tmp_path / "empty.yaml").write_text("")
    args = [a.replace("{tmp}", str(tmp_path)) for a in shlex.split(scenario)]
    args.append(f"--kubeconfig={cluster.kubeconfig}")
    want = _kubectl(args)
    got = run_cli(["wait", *args], capsys)
    assert (got.code, got.out, got.err) == (want.code, want.out, want.err)


# -- the live status board ---------------------------------------------------------------


class _State:
    def __init__(self, index: int, resource: str, status: Status, message: str,
                 done: bool) -> None:
        self.index, self.resource, self.done = index, resource, done
        self.status = ObjectStatus(status, message)


def test_status_board_draws_on_a_terminal_only() -> None:
    states = [_State(0, "deployments/web", Status.IN_PROGRESS, "ready: 1/3", False),
              _State(1, "configmaps/cfg", Status.CURRENT, "always ready", True)]
    plain = io.StringIO()
    StatusBoard(plain, tty=False).update(states)
    assert plain.getvalue() == ""

    term = io.StringIO()
    board = StatusBoard(term, tty=True, width=80)
    board.update(states)
    lines = term.getvalue().splitlines()
    assert len(lines) == 2
    assert "deployments/web" in lines[0] and "InProgress" in lines[0] and "ready: 1/3" in lines[0]
    assert lines[1].startswith("✓") and "Current" in lines[1]
    board.update(states)  # unchanged: nothing redrawn
    assert term.getvalue().count("deployments/web") == 1
    states[0] = _State(0, "deployments/web", Status.CURRENT, "available", True)
    board.update(states)
    assert "\x1b[2F\x1b[J" in term.getvalue()  # moved up over the old board and erased it
    board.close()
    assert term.getvalue().endswith("\x1b[2F\x1b[J")


# -- D9: a server that does not answer ---------------------------------------------------


@pytest.fixture
def silent_server(tmp_path: Path, fake_apiserver: FakeAPIServer) -> Any:
    """A kubeconfig pointing at a socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    text = Path(fake_apiserver.kubeconfig).read_text()
    host = yaml.safe_load(text)["clusters"][0]["cluster"]["server"]
    path = tmp_path / "silent.kubeconfig"
    path.write_text(text.replace(host, f"http://127.0.0.1:{port}"))
    try:
        yield str(path)
    finally:
        sock.close()


def test_unanswered_request_is_a_timeout_not_refused(silent_server: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(["wait", "pod/a", "--for=condition=Ready", "--timeout=3s",
                 f"--kubeconfig={silent_server}"], capsys)
    assert r.code == 1
    assert r.err == ["Unable to connect to the server: context deadline exceeded"]


# -- StatefulSet, CRD and Deployment through the CLI -------------------------------------


_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {
                               "type": "object",
                               "x-kubernetes-preserve-unknown-fields": True}}}]},
}
_STS: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
    "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
             "template": {"metadata": {"labels": {"app": "db"}},
                          "spec": {"containers": [{"name": "c", "image": "postgres"}]}}},
}


def _crd_conditions(srv: FakeAPIServer, *conds: dict[str, str]) -> None:
    from kubernetes import client

    client.ApiextensionsV1Api(srv.api_client()).patch_custom_resource_definition_status(
        "gadgets.example.com", {"status": {"conditions": list(conds)}})


def test_statefulset_and_crd_rolling_out(fake_apiserver: FakeAPIServer, api: Api,
                                         tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from kubernetes import client

    client.ApiextensionsV1Api(fake_apiserver.api_client()).create_custom_resource_definition(
        _CRD)
    _crd_conditions(fake_apiserver, {"type": "Established", "status": "False",
                                     "reason": "Installing"})
    api.apps.create_namespaced_stateful_set("default", _STS)
    path = _write(tmp_path / "db.yaml", _CRD, _STS)
    kc = _kc(fake_apiserver)
    r = run_cli(["wait", "-f", path, "--for=ready", "--timeout=0", kc], capsys)
    assert r.code == 1 and r.out == []  # both still rolling out
    assert r.err == [
        "condition not met for customresourcedefinitions/gadgets.example.com "
        "(InProgress: CRD is being installed)",
        "condition not met for statefulsets/db (InProgress: replicas: 0/2)",
    ]

    def roll_out() -> None:
        _crd_conditions(fake_apiserver, {"type": "Established", "status": "True"})
        api.apps.patch_namespaced_stateful_set_status("db", "default", {"status": {
            "observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "currentReplicas": 2,
            "updatedReplicas": 2, "currentRevision": "db-1", "updateRevision": "db-1"}})

    timer = threading.Timer(0.3, roll_out)
    timer.start()
    try:
        r = run_cli(["wait", "-f", path, "--for=ready", f"--timeout={LONG}", kc], capsys)
    finally:
        timer.join()
    assert (r.code, r.err) == (0, [])
    assert r.out == ["customresourcedefinition.apiextensions.k8s.io/gadgets.example.com "
                     "condition met", "statefulset.apps/db condition met"]


def test_crd_and_deployment_failing(fake_apiserver: FakeAPIServer, api: Api, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from kubernetes import client

    kc = _kc(fake_apiserver)
    client.ApiextensionsV1Api(fake_apiserver.api_client()).create_custom_resource_definition(
        _CRD)
    _crd_conditions(fake_apiserver, {"type": "NamesAccepted", "status": "False",
                                     "reason": "Conflict", "message": "gadgets is taken"})
    r = run_cli(["wait", "crd/gadgets.example.com", "--for=ready", "--timeout=5m", kc], capsys)
    assert (r.code, r.out) == (1, [])
    assert r.err == ["error: customresourcedefinitions/gadgets.example.com: "
                     "names not accepted: gadgets is taken"]

    api.apps.create_namespaced_deployment("default", _deploy("web"))
    api.apps.patch_namespaced_deployment_status("web", "default", {"status": {
        "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
        "conditions": [{"type": "Progressing", "status": "False",
                        "reason": "ProgressDeadlineExceeded"}]}})
    path = _write(tmp_path / "web.yaml", _deploy("web"))
    t0 = time.monotonic()
    r = run_cli(["wait", "-f", path, "--for=ready", "--timeout=5m", kc], capsys)
    assert time.monotonic() - t0 < 30
    assert (r.code, r.out) == (1, [])
    assert r.err == ["error: deployments/web: progress deadline exceeded"]
