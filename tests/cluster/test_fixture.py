"""The ``fake_cluster`` pytest fixture (hybridwait's pytest plugin) and the
``hybridwait.testing`` exports for the simulated control plane."""

from __future__ import annotations

import pytest

from hybridwait.testing import ClusterSettings, FakeAPIServer, Span
from tests.cluster.conftest import deployment, wait_until

pytest_plugins = ["pytester"]


def test_fake_cluster_rolls_out_a_deployment(fake_cluster: FakeAPIServer) -> None:
    from kubernetes import client

    assert fake_cluster.cluster.running
    assert fake_cluster.cluster.settings.time_scale == 60.0
    client.AppsV1Api(fake_cluster.api_client()).create_namespaced_deployment(
        "default", deployment("web", "nginx", replicas=2))

    def available() -> bool:
        d = fake_cluster.store.get("apps/deployments", "default", "web") or {}
        return (d.get("status") or {}).get("availableReplicas") == 2
    wait_until(fake_cluster, available, what="the Deployment available")


@pytest.mark.parametrize("fake_cluster", [ClusterSettings(nodes=1, seed=7, time_scale=50.0,
                                                          create_delay=Span(0.1, 0.2))],
                         indirect=True)
def test_fake_cluster_takes_settings_by_indirect_parametrization(
        fake_cluster: FakeAPIServer) -> None:
    assert fake_cluster.cluster.nodes == ["node-1"]
    assert fake_cluster.cluster.settings.seed == 7
    wait_until(fake_cluster, lambda: len(fake_cluster.store.items("/nodes")) == 1,
               what="the one node")


def test_fake_cluster_stops_every_controller_thread(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import threading

        def test_uses_it(fake_cluster):
            assert len(fake_cluster.cluster.threads()) == 14

        def test_after():
            assert not [t for t in threading.enumerate()
                        if t.name.startswith("hybridwait-cluster-")]
        """)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_fake_cluster_rejects_other_params(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("fake_cluster", [3], indirect=True)
        def test_bad(fake_cluster):
            pass
        """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fake_cluster: expected ClusterSettings, got 3*"])
