"""The demo's simulated kubelet keeps its promise through an API outage: a change
planned while the server is down is applied once it is back (the chaos demo's
"every wait ends correctly" depends on it)."""

from __future__ import annotations

import time
from pathlib import Path

from kubernetes import client, config

from hybridwait.cli.kubelet import PodPlan, SimulatedKubelet
from hybridwait.testing import FakeAPIServer


def test_change_planned_during_an_outage_is_applied_when_the_server_returns(
    tmp_path: Path,
) -> None:
    kc = tmp_path / "kubeconfig"
    with FakeAPIServer(kubeconfig=kc) as srv:
        api = config.new_client_from_config(str(kc))
        try:
            kubelet = SimulatedKubelet(api, "demo", [PodPlan("web-0", "ready", 0.0)])
            kubelet.create_namespace_and_pods()
            srv.stop()  # connections now refused (urllib3 raises MaxRetryError)
            kubelet.start()  # web-0 is due at once, while the server is down
            time.sleep(0.3)
            srv.start()  # same port
            kubelet.join(15)
            assert kubelet.failed == {}, "the kubelet gave up instead of retrying"
            assert "web-0" in kubelet.done_at
            assert kubelet.retries >= 1
            pod = client.CoreV1Api(api).read_namespaced_pod("web-0", "demo")
            ready = [c for c in pod.status.conditions or [] if c.type == "Ready"]
            assert ready and ready[0].status == "True"
        finally:
            api.close()
