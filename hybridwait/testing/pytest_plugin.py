"""pytest plugin (entry point ``pytest11: hybridwait``): the ``fake_apiserver``,
``fake_cluster`` and ``kube_api`` fixtures.

``fake_apiserver``: each test gets its own :class:`~hybridwait.testing.FakeAPIServer`
(cheap: one listening thread), stopped with all its threads at teardown.

``fake_cluster``: the same with the simulated control plane on
(``FakeAPIServer(cluster=...)``): nodes, scheduler, kubelet and the workload
controllers, at :func:`fake_cluster_settings` (60 simulated seconds per real
second) unless the test passes its own :class:`~hybridwait.testing.ClusterSettings`
by indirect parametrization.

``kube_api``: the same emulator by default; a real cluster when the run names a
kubeconfig with ``--kube-api-kubeconfig PATH`` or the ``HYBRIDWAIT_KUBECONFIG``
environment variable (the option wins), so one test suite runs on the emulator in
CI and on kind or a staging cluster unchanged. Both give ``.kubeconfig`` and
``.api_client()``; emulator-only handles (``faults``, ``requests``) exist only on
the emulator, so a test that needs them should use ``fake_apiserver`` or skip
when ``isinstance(kube_api, RealCluster)``.

Example::

    def test_pod_becomes_ready(fake_apiserver):
        from kubernetes import client
        v1 = client.CoreV1Api(fake_apiserver.api_client())
        v1.create_namespaced_pod("default", {"metadata": {"name": "web"}})

    def test_rollout(fake_cluster):
        from kubernetes import client
        apps = client.AppsV1Api(fake_cluster.api_client())
        ...   # create a Deployment: ReplicaSet, pods, Ready and Available follow

    def test_on_any_cluster(kube_api):
        from kubernetes import client
        client.CoreV1Api(kube_api.api_client()).list_namespace()
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hybridwait.testing.apiserver import FakeAPIServer
    from hybridwait.testing.cluster import ClusterSettings

#: The environment variable naming a kubeconfig for ``kube_api`` (a real cluster).
KUBECONFIG_ENV = "HYBRIDWAIT_KUBECONFIG"
#: The command-line option naming a kubeconfig for ``kube_api`` (wins over the variable).
KUBECONFIG_OPTION = "--kube-api-kubeconfig"


class RealCluster:
    """A real cluster for ``kube_api``: the kubeconfig it was given and clients for it.

    Example::

        RealCluster("/home/me/.kube/kind").api_client()
    """

    def __init__(self, kubeconfig: str, context: str | None = None) -> None:
        self.kubeconfig = kubeconfig
        self.context = context

    def api_client(self) -> Any:
        """A configured ``kubernetes.client.ApiClient`` (a new one per call)."""
        from kubernetes import config

        return config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=self.kubeconfig, context=self.context)

    def __repr__(self) -> str:
        return f"RealCluster(kubeconfig={self.kubeconfig!r})"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--kube-api-kubeconfig``."""
    group = parser.getgroup("hybridwait")
    group.addoption(KUBECONFIG_OPTION, dest="kube_api_kubeconfig", default=None,
                    metavar="PATH",
                    help="run kube_api tests against the cluster of this kubeconfig instead "
                         f"of the emulator (also: ${KUBECONFIG_ENV})")


def kube_api_kubeconfig(config: pytest.Config) -> str | None:
    """The kubeconfig ``kube_api`` uses, or None for the emulator.

    Example::

        kube_api_kubeconfig(request.config)   # None unless the option/variable is set
    """
    path = config.getoption("kube_api_kubeconfig", default=None) or os.environ.get(
        KUBECONFIG_ENV)
    return str(path) if path else None


@pytest.fixture
def fake_apiserver() -> Iterator[FakeAPIServer]:
    """A running in-memory Kubernetes API server, stopped after the test.

    Example::

        def test_list(fake_apiserver):
            assert fake_apiserver.url.startswith("http://127.0.0.1:")
    """
    from hybridwait.testing.apiserver import FakeAPIServer

    with FakeAPIServer() as srv:
        yield srv


def fake_cluster_settings() -> ClusterSettings:
    """The settings ``fake_cluster`` uses unless a test passes its own: three
    nodes, seed 0, 60 simulated seconds per real second (a pod is Ready within
    about 50 ms, a 10-minute progress deadline passes in 10 s).

    Example::

        fake_cluster_settings().time_scale   # 60.0
    """
    from hybridwait.testing.cluster import ClusterSettings

    return ClusterSettings(time_scale=60.0)


@pytest.fixture
def fake_cluster(request: pytest.FixtureRequest) -> Iterator[FakeAPIServer]:
    """A running emulator with the simulated control plane (``srv.cluster``),
    stopped with every controller thread after the test. Settings: the
    :class:`~hybridwait.testing.ClusterSettings` given by indirect
    parametrization, else :func:`fake_cluster_settings`.

    Example::

        def test_job(fake_cluster):
            fake_cluster.cluster.crash_loop(image="bad:1")

        @pytest.mark.parametrize("fake_cluster", [ClusterSettings(nodes=1, seed=7)],
                                 indirect=True)
        def test_one_node(fake_cluster):
            assert fake_cluster.cluster.nodes == ["node-1"]
    """
    from hybridwait.testing.apiserver import FakeAPIServer
    from hybridwait.testing.cluster import ClusterSettings

    settings = getattr(request, "param", None)
    if settings is None:
        settings = fake_cluster_settings()
    elif not isinstance(settings, ClusterSettings):
        pytest.fail(f"fake_cluster: expected ClusterSettings, got {settings!r}")
    with FakeAPIServer(cluster=settings) as srv:
        yield srv


@pytest.fixture
def kube_api(request: pytest.FixtureRequest) -> Iterator[FakeAPIServer | RealCluster]:
    """The emulator (a fresh one per test), or the real cluster named by
    ``--kube-api-kubeconfig`` / ``$HYBRIDWAIT_KUBECONFIG``.

    Example::

        def test_namespaces(kube_api):
            from kubernetes import client
            assert client.CoreV1Api(kube_api.api_client()).read_namespace("default")
    """
    path = kube_api_kubeconfig(request.config)
    if path:
        if not os.path.isfile(path):
            pytest.fail(f"kube_api: kubeconfig {path!r} does not exist")
        yield RealCluster(path)
        return
    from hybridwait.testing.apiserver import FakeAPIServer

    with FakeAPIServer() as srv:
        yield srv
