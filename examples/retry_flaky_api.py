"""Retry a flaky API call with ``Backoff``, the way client-go's ``retry`` helpers do.

Creating a ConfigMap answers 500 or 429 (Too Many Requests)
a few times before it succeeds. ``exponential_backoff`` calls the attempt again
after 50 ms, 100 ms, 200 ms, ... (with 10% jitter) until it succeeds, a
non-retryable error is raised (it propagates unchanged), or the steps run out
(``WaitTimeout``).

With no --kubeconfig the emulator is started and told to fail the first three
create calls; with a real cluster the call simply succeeds at the first try.

    python examples/retry_flaky_api.py [--kubeconfig PATH]
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import hybridwait as hw

sys.path.insert(0, __import__("os").path.dirname(__file__))
from _cluster import parse_args

RETRYABLE = {429, 500, 502, 503, 504}


@contextlib.contextmanager
def api_for(kubeconfig: str | None) -> Iterator[Any]:
    """A kubernetes ApiClient: the given cluster's, or a flaky emulator's."""
    from kubernetes import config

    if kubeconfig:
        api = config.new_client_from_config(kubeconfig)
        try:
            yield api
        finally:
            api.close()
        return
    from hybridwait.testing import FakeAPIServer

    with FakeAPIServer() as srv:
        srv.faults.fail_next(2, status=500, verb="create")
        srv.faults.fail_next(1, status=429, retry_after=1, verb="create")
        yield srv.api_client()


def create_with_retry(api: Any, namespace: str) -> int:
    """Create the ConfigMap, retrying server-side failures; return the attempts made."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    v1 = client.CoreV1Api(api)
    body: Any = {"metadata": {"name": "settings"}, "data": {"mode": "fast"}}
    attempts = 0
    t0 = time.monotonic()

    def attempt() -> bool:
        nonlocal attempts
        attempts += 1
        try:
            v1.create_namespaced_config_map(namespace, body)
        except ApiException as exc:
            if exc.status == 409:  # created by an earlier attempt whose answer was lost
                return True
            if exc.status not in RETRYABLE:
                raise  # 403, 422, ...: retrying will not help
            print(f"[{time.monotonic() - t0:4.2f}s] attempt {attempts}: {exc.status} {exc.reason}")
            return False
        print(f"[{time.monotonic() - t0:4.2f}s] attempt {attempts}: created")
        return True

    backoff = hw.Backoff(duration=0.05, factor=2.0, jitter=0.1, steps=6)
    hw.exponential_backoff(backoff, attempt)
    return attempts


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args("Retry a flaky API call with Backoff.", argv)
    with api_for(args.kubeconfig) as api:
        try:
            attempts = create_with_retry(api, args.namespace)
        except hw.WaitTimeout:
            print("gave up: the API kept failing")
            return 1
    print(f"configmap/settings created after {attempts} attempt(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
