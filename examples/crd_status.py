"""Create a CustomResourceDefinition, wait until it is Established, create a custom
resource and wait on its status — what an operator's test does.

A thread plays the operator and fills in the status (no cluster runs a Backup
operator; on yours, this is where your operator's own work would show). The custom
resource and the CRD are deleted at the end (waiting until the CRD is gone), so
the script can run again.

    python examples/crd_status.py [--kubeconfig PATH]
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from hybridwait import Engine, conditions

sys.path.insert(0, __import__("os").path.dirname(__file__))
from _cluster import cluster, parse_args

CRD: Any = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "backups.example.com"},
    "spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"plural": "backups", "singular": "backup", "kind": "Backup"},
        "versions": [{"name": "v1", "served": True, "storage": True,
                      "subresources": {"status": {}},
                      "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
    },
}


def play_operator(custom: Any, namespace: str) -> None:
    """Stand-in for the operator: the backup runs, then completes."""
    for phase in ("Running", "Completed"):
        time.sleep(0.3)
        custom.patch_namespaced_custom_object_status(
            "example.com", "v1", namespace, "backups", "nightly", {"status": {"phase": phase}})


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    from kubernetes import client

    with cluster(args.kubeconfig) as kubeconfig, Engine(kubeconfig=kubeconfig) as eng:
        client.ApiextensionsV1Api(eng.api_client).create_custom_resource_definition(CRD)
        eng.wait("crd/backups.example.com", for_=conditions.condition("Established"), timeout=30)
        print("customresourcedefinition/backups.example.com established")

        custom = client.CustomObjectsApi(eng.api_client)
        custom.create_namespaced_custom_object("example.com", "v1", args.namespace, "backups", {
            "apiVersion": "example.com/v1", "kind": "Backup", "metadata": {"name": "nightly"},
            "spec": {"target": "db"}})
        operator = threading.Thread(target=play_operator, args=(custom, args.namespace))
        operator.start()
        try:
            obj = eng.wait("backups.example.com/nightly", namespace=args.namespace, timeout=60,
                           for_=conditions.phase("Completed"))
        finally:
            operator.join()
            custom.delete_namespaced_custom_object("example.com", "v1", args.namespace,
                                                   "backups", "nightly")
            client.ApiextensionsV1Api(eng.api_client).delete_custom_resource_definition(
                "backups.example.com")
            eng.wait("crd/backups.example.com", for_="delete", timeout=60)  # finalizer done
        print(f"backup.example.com/nightly {obj['status']['phase']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
