"""The same scenarios through the real ``kubectl wait`` and ``hybridwait wait`` against
the emulator: same exit code, same stdout lines, same stderr lines."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from tests.cli.conftest import Run, kubectl_path, run_cli

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(kubectl_path() is None, reason="kubectl is not installed"),
]

# Each scenario: arguments after `wait` (the emulator's kubeconfig is added).
SCENARIOS = [
    "pod/a --for=condition=Ready",
    "pod/a pod/c --for=condition=Ready -o name",
    "pods a c --for=condition=Ready",
    "pod/a --for=condition=ready=TRUE",
    "pod/a --for=jsonpath={.status.phase}=Running --timeout=-1s",
    "pod/a --for=create",
    "pod/x --for=create --timeout=1s",
    "pod/a pod/x --for=create --timeout=1s",
    "pod/x --for=create --timeout=0",
    "pod/b --for=condition=Ready --timeout=0",
    "pod/a pod/b pod/c --for=condition=Ready --timeout=1s",
    "pod/a pod/x pod/c --for=condition=Ready --timeout=5s",
    "pod/x pod/y --for=condition=Ready",
    "pod/x --for=delete",
    "pod/a --for=condition=Ready -n other",
    "pods -n other --all --for=condition=Ready",
    "pods -l app=web --for=condition=Ready --timeout=1s",
    "pods -l app=nope --for=condition=Ready",
    "pods -l app=nope --for=delete",
    "pods --all --for=jsonpath={.status.phase}=Running",
    "pods --field-selector=metadata.name=a --for=condition=Ready",
    "pods,deploy a --for=condition=Ready",
    "pods --for=condition=Ready",
    "pod/a --for=condition=Ready -l app=web",
    "pods a --for=condition=Ready -l app=web",
    "pod/a -A --for=condition=Ready",
    "foos/a --for=condition=Ready",
    "pod/a --for=condition=Ready -o yaml",
    "pod/a pod/c --for=condition=Ready -o json",
    "pod/a --for=jsonpath={.status.conditions[0]}=x",
    "pod/a --for=condition=Ready --context=nope",
]

# Bad input rejected before any server contact.
BAD_INPUT = [
    "pod/a --for=condition=Ready --timeout=5",
    "pod/a --for=condition=Ready --timeout=abc",
    "pod/a --for=condition=Ready --timeout=1x",
    "pod/a --for=condition=Ready --timeout=1e3s",
    "pod/a --for=condition=Ready --timeout=2562048h",
    "pod/a --for=condition=Ready --timeout=-.s",
    "pod/a --for=condition=Ready --timeout=",
    "pod/a --for=foo",
    "pod/a --for=create=x",
    "pod/a",
    "--for=condition=Ready",
    "pod/a --for=jsonpath=",
    "pod/a --for=jsonpath={.a}=",
    "pod/a --for=jsonpath={.a}=b=c",
    "pod/a --for=condition=Ready -o",
    "pod/a --for=condition=Ready --bogus",
    "pod/a --for=condition=Ready -x",
    "pod/a --for=condition=Ready ---x",
    "pod/a --for",
    "pod/a --for=condition=Ready -n",
    "pod/a --for=condition=Ready --all=maybe",
    "pod/a --for=condition=Ready -A=maybe",
    "pod/a --for=condition=Ready --kubeconfig=/nonexistent/kubeconfig",
]


def _kubectl(args: list[str]) -> Run:
    p = subprocess.run([kubectl_path() or "kubectl", "wait", *args], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    err = [line.replace("kubectl wait", "hybridwait wait") for line in p.stderr.splitlines()
           if "memcache.go" not in line]
    return Run(p.returncode, p.stdout.splitlines(), err)


def _compare(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    want = _kubectl(args)
    got = run_cli(["wait", *args], capsys)
    assert (got.code, got.out, got.err) == (want.code, want.out, want.err)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_as_kubectl(scenario: str, cluster, capsys: pytest.CaptureFixture[str]) -> None:
    _compare([*shlex.split(scenario), f"--kubeconfig={cluster.kubeconfig}"], capsys)


@pytest.mark.parametrize("scenario", BAD_INPUT)
def test_bad_input_same_as_kubectl(scenario: str, cluster,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    args = shlex.split(scenario)
    if not any(a.startswith("--kubeconfig") for a in args):
        args.insert(0, f"--kubeconfig={cluster.kubeconfig}")  # before flags missing a value
    _compare(args, capsys)
