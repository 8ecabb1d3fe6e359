"""Security: TLS verification on by default and never silently off; no secret in
any log line, repr or exception message; the emulator binds loopback only; no
eval/exec on input paths (JSONPath included)."""

from __future__ import annotations

import ast
import base64
import builtins
import logging
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import hybridwait
from hybridwait import Engine
from hybridwait.cli.main import main as cli_main
from hybridwait.kube.errors import ConnectionFailed
from hybridwait.testing import FakeAPIServer
from tests.reliability.rogue import Rogue, cm

TOKEN = "tok-6f1d2e9a-SECRET"
PASSWORD = "pw-SECRET-93b1"
KEY_MARK = "KEYDATA-SECRET"
SECRETS = (TOKEN, PASSWORD, KEY_MARK, base64.b64encode(KEY_MARK.encode()).decode())


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (openssl)."""
    d = tmp_path_factory.mktemp("tls")
    crt, key = str(d / "tls.crt"), str(d / "tls.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", crt],
        check=True, capture_output=True)
    return crt, key


def _kubeconfig(path: Path, server: str, cluster: dict[str, Any] | None = None,
                user: dict[str, Any] | None = None) -> str:
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user if user is not None else {"token": TOKEN}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    }
    path.write_text(yaml.safe_dump(doc))
    return str(path)


# -- TLS ---------------------------------------------------------------------------------
def test_tls_verified_by_default(cert: tuple[str, str], tmp_path: Path) -> None:
    """No CA in the kubeconfig: a self-signed server is refused (not trusted)."""
    with Rogue(tls=cert) as r:
        r.obj = cm("a", "x")
        eng = Engine(kubeconfig=_kubeconfig(tmp_path / "kc", r.url), request_timeout=3)
        try:
            assert eng.api_client.configuration.verify_ssl is True
            with pytest.raises(ConnectionFailed) as info:
                eng.wait("configmap/a", for_="create", timeout=5)
            assert TOKEN not in str(info.value)
        finally:
            eng.close()


def test_tls_with_the_cluster_ca_works(cert: tuple[str, str], tmp_path: Path) -> None:
    ca = base64.b64encode(Path(cert[0]).read_bytes()).decode()
    with Rogue(tls=cert) as r:
        r.obj = cm("a", "x")
        kc = _kubeconfig(tmp_path / "kc", r.url, {"certificate-authority-data": ca})
        with Engine(kubeconfig=kc, request_timeout=3) as eng:
            assert eng.api_client.configuration.verify_ssl is True
            assert eng.wait("configmap/a", for_="create", timeout=5)["metadata"]["name"] == "a"


def test_insecure_skip_tls_verify_is_never_silent(cert: tuple[str, str], tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """Only the kubeconfig can turn verification off, and then it is said out
    loud: a warning (log record or Python warning) on use."""
    with Rogue(tls=cert) as r:
        r.obj = cm("a", "x")
        kc = _kubeconfig(tmp_path / "kc", r.url, {"insecure-skip-tls-verify": True})
        caplog.set_level(logging.WARNING)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with Engine(kubeconfig=kc, request_timeout=3) as eng:
                assert eng.api_client.configuration.verify_ssl is False
                eng.wait("configmap/a", for_="create", timeout=5)
        said = [str(w.message) for w in caught] + [rec.getMessage() for rec in caplog.records]
        assert any("verif" in s.lower() or "insecure" in s.lower() or "unverified" in s.lower()
                   for s in said), said


# -- secrets ---------------------------------------------------------------------------------
@pytest.fixture
def secret_run(tmp_path: Path) -> Iterator[tuple[list[str], FakeAPIServer, str]]:
    """Everything said during a run with a kubeconfig holding a token, a client
    key and a password: every log record (all loggers, DEBUG) and message."""
    said: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(self.format(record))
            if record.exc_info:
                said.append(logging.Formatter().formatException(record.exc_info))

    root = logging.getLogger()
    h = Grab(logging.DEBUG)
    old = root.level
    root.addHandler(h)
    root.setLevel(logging.DEBUG)
    try:
        with FakeAPIServer() as srv:
            user = {"token": TOKEN, "username": "admin", "password": PASSWORD,
                    "client-key-data": base64.b64encode(KEY_MARK.encode()).decode()}
            yield said, srv, _kubeconfig(tmp_path / "kc", srv.url, user=user)
    finally:
        root.removeHandler(h)
        root.setLevel(old)


def test_no_secret_in_logs_reprs_or_errors(secret_run: tuple[list[str], FakeAPIServer, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    said, srv, kc = secret_run
    from kubernetes import client

    client.CoreV1Api(srv.api_client()).create_namespaced_config_map(
        "default", {"metadata": {"name": "a"}, "data": {"s": "x"}})
    eng = Engine(kubeconfig=kc, poll_interval=0.5, stall_timeout=1.0, request_timeout=2)
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("configmap/a", {"for_": "jsonpath={.data.s}=x"}),
        ("configmap/missing", {"for_": "condition=Ready"}),          # NotFound
        ("nosuch/a", {"for_": "create"}),                             # unknown type
        ("configmap/a", {"for_": "jsonpath={.data.s}=never", "timeout": 1.0}),  # timeout
        ("configmap/a", {"for_": "jsonpath={.data}=x"}),               # ConditionError
        ("configmap/a", {"for_": "bogus"}),                            # ForError
    ]
    try:
        for res, kw in attempts:
            kw.setdefault("timeout", 2.0)
            try:
                said.append(repr(eng.wait(res, **kw)))
            except Exception as exc:
                said += [str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__)]
        srv.faults.fail_next(3, 403, verb="get")
        srv.faults.drop_watches()
        try:
            eng.wait("configmap/a", for_="jsonpath={.data.s}=x", timeout=2)
        except Exception as exc:
            said += [str(exc), repr(exc)]
        said += [repr(eng), repr(eng._transport), str(eng.stats())]
        said += [repr(st) for st in eng.watch_status()]
        srv.stop()  # ConnectionFailed
        try:
            eng.wait("configmap/b", for_="create", timeout=2)
        except Exception as exc:
            said += [str(exc), repr(exc), repr(exc.__cause__)]
    finally:
        eng.close()
    # the CLI too: its output and its verbose log
    code = cli_main(["wait", "configmap/a", "--for=delete", "--timeout=1s",
                                     "--kubeconfig", kc])
    out = capsys.readouterr()
    said += [out.out, out.err, str(code)]
    text = "\n".join(said)
    assert len(said) > 20 and "refused" in text and "not found" in text, text[-3000:]
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked"


# -- the emulator binds loopback only ----------------------------------------------------
def _listen_addrs(port: int) -> list[str]:
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            p = line.split()
            addr, lport = p[1].rsplit(":", 1)
            if int(lport, 16) == port and p[3] == "0A":
                out.append(addr)
    return out


def test_emulator_binds_loopback_and_says_so() -> None:
    with FakeAPIServer() as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        assert _listen_addrs(srv.port) == ["0100007F"]  # 127.0.0.1, nothing else
    p = subprocess.Popen([sys.executable, "-m", "hybridwait.cli.main", "fake-apiserver"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert p.stdout is not None
        first = p.stdout.readline()
        assert first.startswith("serving on http://127.0.0.1:"), first
        port = int(first.rsplit(":", 1)[1])
        deadline = time.monotonic() + 5
        while not _listen_addrs(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _listen_addrs(port) == ["0100007F"]
    finally:
        p.terminate()
        p.wait(10)


# -- no eval/exec on input paths -----------------------------------------------------------
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile"}
_FORBIDDEN_ATTRS = {("os", "system"), ("os", "popen"), ("pickle", "loads"), ("pickle", "load"),
                    ("marshal", "loads"), ("yaml", "load"), ("yaml", "unsafe_load")}


def _own_marshal_bytes(func: ast.AST, call: ast.Call) -> bool:
    """``marshal.loads(x)`` where ``x`` was assigned ``marshal.dumps(...)`` in the
    same function: bytes this process just made (a fast deep copy), never input."""
    if len(call.args) != 1 or not isinstance(call.args[0], ast.Name):
        return False
    name = call.args[0].id
    for node in ast.walk(func):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and isinstance(node.value.func.value, ast.Name)
                and (node.value.func.value.id, node.value.func.attr) == ("marshal", "dumps")):
            return True
    return False


def test_no_eval_or_exec_in_the_package() -> None:
    root = Path(hybridwait.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        funcs = [n for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id in _FORBIDDEN_CALLS:
                found.append(f"{path}:{node.lineno} {f.id}()")
            if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and (f.value.id, f.attr) in _FORBIDDEN_ATTRS):
                if (f.value.id, f.attr) == ("marshal", "loads") and any(
                        node in ast.walk(fn) and _own_marshal_bytes(fn, node) for fn in funcs):
                    continue  # a copy of the process's own data, not input
                found.append(f"{path}:{node.lineno} {f.value.id}.{f.attr}()")
            if any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value
                   for k in node.keywords):
                found.append(f"{path}:{node.lineno} shell=True")
    assert not found, found


def test_jsonpath_input_never_reaches_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    """jsonpath-ng's bundled PLY calls eval/exec on its own grammar while
    building the parser; a tripwire proves no user text ever reaches them."""
    from hybridwait.kube.conditions import parse_for

    marker = "ZZ_USER_INPUT_ZZ"
    seen: list[str] = []
    real_eval, real_exec = builtins.eval, builtins.exec

    def spy_eval(src: Any, *a: Any, **k: Any) -> Any:
        seen.append(str(src))
        return real_eval(src, *a, **k)

    def spy_exec(src: Any, *a: Any, **k: Any) -> Any:
        seen.append(str(src))
        return real_exec(src, *a, **k)

    monkeypatch.setattr(builtins, "eval", spy_eval)
    monkeypatch.setattr(builtins, "exec", spy_exec)
    doc = {"metadata": {"name": "a"}, "data": {"s": marker}}
    for expr in [
        f"jsonpath={{.data.{marker}}}",
        f'jsonpath={{.data[?(@.s=="{marker}")]}}',
        f"jsonpath={{.data.s}}={marker}",
        f"jsonpath={{.items[?(@.x == '{marker}')].y}}",
        f"jsonpath={{..{marker}}}",
        f"jsonpath={{.data['{marker}']}}",
    ]:
        try:
            cond = parse_for(expr)
            cond(doc)
        except ValueError:
            pass
    assert not [s for s in seen if marker in s], seen
