"""What a cluster puts in every namespace: the ``default`` ServiceAccount
(service-account controller) and the ``kube-root-ca.crt`` ConfigMap (root CA
publisher). Deleting a namespace (``Terminating`` until its contents and
finalizers are gone) is the emulator's own behaviour.

Example::

    v1.create_namespace({"metadata": {"name": "team-a"}})
    v1.read_namespaced_service_account("default", "team-a")   # soon exists
"""

from __future__ import annotations

from collections.abc import Iterable

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.runtime import Controller, Ref

__all__ = ["NamespaceController"]

NAMESPACES = "/namespaces"
SERVICE_ACCOUNTS = "/serviceaccounts"
CONFIGMAPS = "/configmaps"
ROOT_CA = "kube-root-ca.crt"
# Not a real certificate: nothing in the simulation verifies TLS.
FAKE_CA = ("-----BEGIN CERTIFICATE-----\n"
           "aHlicmlkd2FpdCBzaW11bGF0ZWQgY2x1c3RlciBDQSAobm90IGEgcmVhbCBjZXJ0aWZpY2F0ZSk=\n"
           "-----END CERTIFICATE-----\n")


class NamespaceController(Controller):
    """See module docstring."""

    name = "namespace"
    watches = (NAMESPACES, SERVICE_ACCOUNTS, CONFIGMAPS)

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == NAMESPACES:
            yield Ref(NAMESPACES, "", ev.name)
        elif ev.type == "DELETED" and ev.name in ("default", ROOT_CA):
            yield Ref(NAMESPACES, "", ev.namespace)

    def sync(self, ref: Ref) -> float | None:
        ns = self.client.get(NAMESPACES, "", ref.name)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None
        wanted = (
            (SERVICE_ACCOUNTS, "default", "service-account-controller",
             {"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": {"name": "default"}}),
            (CONFIGMAPS, ROOT_CA, "root-ca-cert-publisher",
             {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": ROOT_CA, "annotations": {
                  "kubernetes.io/description": "Contains a CA bundle that can be used to "
                  "verify the kube-apiserver when using internal endpoints such as the "
                  "internal service IP or kubernetes.default.svc. No other usage is "
                  "guaranteed across distributions of Kubernetes clusters."}},
              "data": {"ca.crt": FAKE_CA}}),
        )
        for key, name, manager, body in wanted:
            if self.client.store.get(key, ref.name, name) is not None:
                continue
            try:
                self.client.create(key, ref.name, body, manager)
            except StatusError as err:
                if err.code not in (403, 409):  # 403: the namespace began terminating
                    raise
        return None
