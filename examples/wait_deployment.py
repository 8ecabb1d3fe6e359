"""Create a Deployment and wait until it is Available, like
``kubectl wait deploy/web --for=condition=Available``.

When no --kubeconfig is given, the emulator runs its simulated control plane
(scheduler, kubelet, ReplicaSet and Deployment controllers), so the rollout
happens as on a cluster. The Deployment is deleted at the end, so the script can
run again on the same cluster.

    python examples/wait_deployment.py [--kubeconfig PATH]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from hybridwait import Engine

sys.path.insert(0, __import__("os").path.dirname(__file__))
from _cluster import cluster, parse_args

DEPLOYMENT: Any = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    from kubernetes import client

    with cluster(args.kubeconfig, simulated=True) as kubeconfig, \
            Engine(kubeconfig=kubeconfig) as eng:
        apps = client.AppsV1Api(eng.api_client)
        apps.create_namespaced_deployment(args.namespace, DEPLOYMENT)
        try:
            r = eng.wait_result("deployment.apps/web", namespace=args.namespace, timeout=120,
                                for_=["condition=Available",
                                      "jsonpath={.status.readyReplicas}=2"])
        finally:
            apps.delete_namespaced_deployment("web", args.namespace)
        print(f"deployment.apps/web available ({r.path} path, {r.elapsed:.2f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
