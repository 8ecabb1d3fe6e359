"""Apply a small app (ConfigMap, Deployment, Service, Job) with the official client and
wait until all of it is up, like ``kubectl apply -f app.yaml && hybridwait wait -f
app.yaml --for=ready``; then apply a Job that fails and see its wait fail at once.

"Up" is kstatus's readiness (``hybridwait.object_status``): a ConfigMap or a
ClusterIP Service as soon as it exists, a Deployment once its new replicas are
available, a Job once it runs (or completed). A running Job is up, so the failing
Job is waited on as docs/readiness.md's recipe says: ``condition=Complete`` with
``fail_for="condition=Failed"`` (it hits its ``activeDeadlineSeconds``).

When no --kubeconfig is given, the emulator runs its simulated control plane
(scheduler, kubelet, Deployment and Job controllers), so everything progresses
as on a cluster. Every object is deleted at the end, so the script can run again.

    python examples/apply_and_wait.py [--kubeconfig PATH]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import yaml

from hybridwait import Engine, WaitFailed, object_status

sys.path.insert(0, __import__("os").path.dirname(__file__))
from _cluster import cluster, parse_args

APP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox, command: [sh, -c, "echo migrated"]}]
"""

BROKEN = """\
apiVersion: batch/v1
kind: Job
metadata: {name: broken}
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: broken, image: busybox, command: [sleep, "60"]}]
"""


def apply(api_client: Any, text: str, namespace: str) -> list[dict[str, Any]]:
    """Create every object of a manifest with the official client; return them."""
    from kubernetes import utils

    docs = [d for d in yaml.safe_load_all(text) if d]
    for doc in docs:
        utils.create_from_dict(api_client, doc, namespace=namespace)
    return docs


def delete(api_client: Any, docs: list[dict[str, Any]], namespace: str) -> None:
    """Delete what :func:`apply` created (a Job's pods with it)."""
    from kubernetes import client

    core, apps, batch = (client.CoreV1Api(api_client), client.AppsV1Api(api_client),
                         client.BatchV1Api(api_client))
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "ConfigMap":
            core.delete_namespaced_config_map(name, namespace)
        elif kind == "Service":
            core.delete_namespaced_service(name, namespace)
        elif kind == "Deployment":
            apps.delete_namespaced_deployment(name, namespace)
        elif kind == "Job":
            batch.delete_namespaced_job(name, namespace, propagation_policy="Background")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    with cluster(args.kubeconfig, simulated=True) as kubeconfig, \
            Engine(kubeconfig=kubeconfig) as eng:
        app = apply(eng.api_client, APP, args.namespace)
        try:
            objs = eng.wait_objects(app, for_="ready", namespace=args.namespace, timeout=120)
            for obj in objs:
                kind, name = obj["kind"], obj["metadata"]["name"]
                print(f"{kind}/{name}: {object_status(obj)}")
            print("app is up")

            broken = apply(eng.api_client, BROKEN, args.namespace)
            try:
                eng.wait_objects(broken, for_="condition=Complete",
                                 fail_for="condition=Failed", namespace=args.namespace,
                                 timeout=300)
                print("the broken job did not fail?")
                return 1
            except WaitFailed as exc:
                print(f"failed at once: {exc} ({object_status(exc.object).message})")
            finally:
                delete(eng.api_client, broken, args.namespace)
        finally:
            delete(eng.api_client, app, args.namespace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
