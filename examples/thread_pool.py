"""Wait on many objects from a thread pool with one shared engine: 50 pods, 50
threads, one watch connection in use for all of them.

The numbers come from ``eng.stats()``: ``watchers`` is the watch connections
in use, ``watchers_started`` how many were ever started, ``watches`` the watch
requests sent. Expect 1 in use but 2 started and 2 requests: the first wait,
alone, gets a narrow watch on its pod; as soon as a second pod is awaited the
engine starts one namespace-wide watch and, once it has synced, stops the
narrow one (docs/architecture.md). The pods are deleted at the end.

    python examples/thread_pool.py [--kubeconfig PATH]
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hybridwait import Engine

sys.path.insert(0, __import__("os").path.dirname(__file__))
from _cluster import cluster, parse_args

N = 50


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    from kubernetes import client

    with cluster(args.kubeconfig) as kubeconfig, Engine(kubeconfig=kubeconfig) as eng:
        core = client.CoreV1Api(eng.api_client)
        names = [f"worker-{i:02d}" for i in range(N)]
        for name in names:
            body: Any = {"metadata": {"name": name, "labels": {"pool": "demo"}},
                         "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
            core.create_namespaced_pod(args.namespace, body)

        def wait_for(name: str) -> str:
            r = eng.wait_result(f"pod/{name}", namespace=args.namespace, timeout=60,
                                for_="jsonpath={.status.phase}=Succeeded")
            return r.path

        def finish_all() -> None:  # the "cluster" finishes the pods while we wait
            for name in names:
                core.patch_namespaced_pod_status(name, args.namespace,
                                                 {"status": {"phase": "Succeeded"}})

        with ThreadPoolExecutor(max_workers=N) as pool:
            futures = [pool.submit(wait_for, n) for n in names]
            finisher = threading.Thread(target=finish_all)
            finisher.start()
            paths = [f.result() for f in futures]
            finisher.join()
        stats = eng.stats()
        core.delete_collection_namespaced_pod(args.namespace, label_selector="pool=demo")
        print(f"{len(paths)} pods Succeeded: {paths.count('watch')} woken by the watch, "
              f"{paths.count('poll')} by the poll")
        print(f"watch connections in use: {stats['watchers']} "
              f"(watchers started: {stats['watchers_started']}, "
              f"watch requests: {stats['watches']}, API reads by waits: {stats['direct_gets']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
