"""Apply a small app (ConfigMap, Deployment, Service, Job) with the official client and
wait until all of it is up, like ``kubectl apply -f app.yaml && hybridwait wait -f
app.yaml --for=ready``; then apply a Job that fails and see the wait fail at once.

"Up" is kstatus's readiness (``hybridwait.object_status``): a ConfigMap or a
ClusterIP Service as soon as it exists, a Deployment once its new replicas are
available, a Job once it runs (or completed). The emulator runs no controllers,
so when no --kubeconfig is given a thread plays the deployment and job
controllers and reports progress in the status, as they would.

    python examples/apply_and_wait.py [--kubeconfig PATH]
"""

from __future__ import annotations

import sys
import threading
import time
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
  template:
    spec:
      restartPolicy: Never
      containers: [{name: broken, image: busybox, command: ["false"]}]
"""


def play_controllers(api_client: Any, namespace: str) -> None:
    """Stand-in for kube-controller-manager: the rollout, the migration, the broken job."""
    from kubernetes import client

    apps, batch = client.AppsV1Api(api_client), client.BatchV1Api(api_client)
    for ready in (1, 2):  # the Deployment's pods become ready one by one
        time.sleep(0.3)
        apps.patch_namespaced_deployment_status("web", namespace, {"status": {
            "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
            "readyReplicas": ready, "availableReplicas": ready,
            "conditions": [
                {"type": "Available", "status": "True" if ready == 2 else "False"},
                {"type": "Progressing", "status": "True",
                 "reason": "NewReplicaSetAvailable" if ready == 2 else "ReplicaSetUpdated"}]}})
    batch.patch_namespaced_job_status("migrate", namespace, {"status": {
        "startTime": "2026-01-01T00:00:00Z", "succeeded": 1,
        "conditions": [{"type": "Complete", "status": "True"}]}})


def fail_broken_job(api_client: Any, namespace: str) -> None:
    """The job controller gives up on the broken Job."""
    from kubernetes import client

    time.sleep(0.3)
    client.BatchV1Api(api_client).patch_namespaced_job_status("broken", namespace, {"status": {
        "startTime": "2026-01-01T00:00:00Z", "failed": 1,
        "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit"}]}})


def apply(api_client: Any, text: str, namespace: str) -> list[dict[str, Any]]:
    """Create every object of a manifest with the official client; return them."""
    from kubernetes import utils

    docs = [d for d in yaml.safe_load_all(text) if d]
    for doc in docs:
        utils.create_from_dict(api_client, doc, namespace=namespace)
    return docs


def run_thread(target: Any, *args: Any) -> threading.Thread:
    t = threading.Thread(target=target, args=args)
    t.start()
    return t


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    emulated = args.kubeconfig is None
    with cluster(args.kubeconfig) as kubeconfig, Engine(kubeconfig=kubeconfig) as eng:
        app = apply(eng.api_client, APP, args.namespace)
        controllers = run_thread(play_controllers, eng.api_client, args.namespace) \
            if emulated else None
        try:
            objs = eng.wait_objects(app, for_="ready", namespace=args.namespace, timeout=120)
        finally:
            if controllers is not None:
                controllers.join()
        for obj in objs:
            kind, name = obj["kind"], obj["metadata"]["name"]
            print(f"{kind}/{name}: {object_status(obj)}")
        print("app is up")

        broken = apply(eng.api_client, BROKEN, args.namespace)
        failer = run_thread(fail_broken_job, eng.api_client, args.namespace) \
            if emulated else None
        try:
            eng.wait_objects(broken, for_="ready", namespace=args.namespace, timeout=300)
            print("the broken job did not fail?")
            return 1
        except WaitFailed as exc:
            print(f"failed at once: {exc}")
        finally:
            if failer is not None:
                failer.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
