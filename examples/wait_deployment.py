"""Create a Deployment and wait until it is Available, like
``kubectl wait deploy/web --for=condition=Available``.

The emulator runs no controllers, so when no --kubeconfig is given a small thread
plays the deployment controller and reports the rollout in the status.

    python examples/wait_deployment.py [--kubeconfig PATH]
"""

from __future__ import annotations

import sys
import threading
import time
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


def play_controller(apps: Any, namespace: str) -> None:
    """Stand-in for kube-controller-manager: report 2 ready replicas, then Available."""
    time.sleep(0.5)
    apps.patch_namespaced_deployment_status("web", namespace, {"status": {
        "observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "availableReplicas": 2,
        "conditions": [{"type": "Available", "status": "True",
                        "reason": "MinimumReplicasAvailable"}],
    }})


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    from kubernetes import client

    with cluster(args.kubeconfig) as kubeconfig, Engine(kubeconfig=kubeconfig) as eng:
        apps = client.AppsV1Api(eng.api_client)
        apps.create_namespaced_deployment(args.namespace, DEPLOYMENT)
        controller = None
        if args.kubeconfig is None:
            controller = threading.Thread(target=play_controller, args=(apps, args.namespace))
            controller.start()
        try:
            r = eng.wait_result("deployment.apps/web", namespace=args.namespace, timeout=60,
                                for_=["condition=Available",
                                      "jsonpath={.status.readyReplicas}=2"])
        finally:
            if controller is not None:
                controller.join()
        print(f"deployment.apps/web available ({r.path} path, {r.elapsed:.2f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
