"""A controller-style reconcile loop: ``until_with_context`` runs ``reconcile`` every
second until a ``threading.Event`` is set; each pass makes the ConfigMap ``app-config``
match the desired state, and the engine waits until it does.

    python examples/reconcile_loop.py [--kubeconfig PATH]
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any

import hybridwait as hw
from hybridwait import Engine

sys.path.insert(0, __import__("os").path.dirname(__file__))
from _cluster import cluster, parse_args

DESIRED = {"replicas": "3", "mode": "blue"}


def reconcile(core: Any, namespace: str, passes: list[int]) -> None:
    """One pass: create or fix the ConfigMap so its data equals DESIRED."""
    from kubernetes.client.exceptions import ApiException

    passes.append(1)
    try:
        cm = core.read_namespaced_config_map("app-config", namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise
        core.create_namespaced_config_map(namespace, {
            "metadata": {"name": "app-config"}, "data": DESIRED})
        return
    if (cm.data or {}) != DESIRED:
        core.patch_namespaced_config_map("app-config", namespace, {"data": DESIRED})


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    from kubernetes import client

    with cluster(args.kubeconfig) as kubeconfig, Engine(kubeconfig=kubeconfig) as eng:
        core = client.CoreV1Api(eng.api_client)
        stop = threading.Event()  # set it (e.g. from a signal handler) to stop the loop
        passes: list[int] = []
        loop = threading.Thread(
            target=hw.until_with_context,
            args=(stop, lambda ctx: reconcile(core, args.namespace, passes), 1.0),
            name="reconcile",
        )
        loop.start()
        try:
            obj = eng.wait("configmap/app-config", namespace=args.namespace, timeout=30,
                           for_="jsonpath={.data.mode}=blue")
            print(f"reconciled: {obj['data']} after {len(passes)} pass(es)")
            # drift: someone edits the object; a later pass repairs it. The repaired
            # object is blue with a resourceVersion newer than both earlier ones.
            old_rvs = {obj["metadata"]["resourceVersion"]}
            drifted = core.patch_namespaced_config_map("app-config", args.namespace,
                                                       {"data": {"mode": "green"}})
            old_rvs.add(drifted.metadata.resource_version)
            eng.wait("configmap/app-config", namespace=args.namespace, timeout=30,
                     for_=lambda o: o is not None and o["data"].get("mode") == "blue"
                     and o["metadata"]["resourceVersion"] not in old_rvs)
            print(f"drift repaired after {len(passes)} passes")
        finally:
            stop.set()
            loop.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
