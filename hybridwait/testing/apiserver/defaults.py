"""Defaulting as a real 1.32 API server applies it on create and update (the
``SetDefaults_*`` functions and the admission plugins every cluster runs), for
the common built-ins. Values are the ones the API reference states
(``restartPolicy`` "Defaults to Always", ``revisionHistoryLimit`` "Defaults to
10", ...). Also: which kinds carry ``metadata.generation``.

Example::

    d = Defaulter()
    d.apply(deployments, obj, old=None)
    obj["spec"]["strategy"]["type"]        # "RollingUpdate"
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

from hybridwait.testing.apiserver.resources import NAMESPACE_KEY, ResourceType

#: Kinds whose create sets ``metadata.generation`` (and whose spec changes bump it);
#: custom resources always have it. Pods, ConfigMaps, Services... do not (1.32).
GENERATION_KEYS = frozenset({
    "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets",
    "/replicationcontrollers", "batch/jobs", "batch/cronjobs",
    "autoscaling/horizontalpodautoscalers", "networking.k8s.io/ingresses",
    "networking.k8s.io/networkpolicies", "policy/poddisruptionbudgets",
    "apiextensions.k8s.io/customresourcedefinitions",
    "flowcontrol.apiserver.k8s.io/flowschemas",
    "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations",
    "admissionregistration.k8s.io/validatingadmissionpolicies",
    "admissionregistration.k8s.io/validatingadmissionpolicybindings",
    "admissionregistration.k8s.io/mutatingwebhookconfigurations",
    "admissionregistration.k8s.io/validatingwebhookconfigurations",
})


def has_generation(rt: ResourceType) -> bool:
    """Whether a real server sets ``metadata.generation`` on this kind.

    Example::

        has_generation(deployments), has_generation(pods)   # (True, False)
    """
    return rt.crd or rt.key in GENERATION_KEYS


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = parent.setdefault(key, {})
    return value if isinstance(value, dict) else None


def _probe(p: Any) -> None:
    if not isinstance(p, dict):
        return
    p.setdefault("timeoutSeconds", 1)
    p.setdefault("periodSeconds", 10)
    p.setdefault("successThreshold", 1)
    p.setdefault("failureThreshold", 3)
    http = p.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.split(":", 1)[1] if ":" in name else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _container(c: Any) -> None:
    if not isinstance(c, dict):
        return
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    if isinstance(c.get("image"), str):
        c.setdefault("imagePullPolicy", _pull_policy(c["image"]))
    c.setdefault("resources", {})
    for port in c.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for f in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(f))
    for env in c.get("env") or []:
        ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")


def pod_spec(spec: Any, *, template: bool = False) -> None:
    """Default a PodSpec in place (a Pod's or a template's).

    Example::

        spec = {"containers": [{"name": "c", "image": "x"}]}; pod_spec(spec)
        spec["dnsPolicy"]   # "ClusterFirst"
    """
    if not isinstance(spec, dict):
        return
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            _container(c)
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        for src in ("configMap", "secret", "downwardAPI", "projected"):
            if isinstance(v.get(src), dict):
                v[src].setdefault("defaultMode", 420)
    if not template:
        # SetDefaults_Pod: a limit without a request makes the request equal to it.
        for key in ("containers", "initContainers"):
            for c in spec.get(key) or []:
                res = c.get("resources") if isinstance(c, dict) else None
                limits = res.get("limits") if isinstance(res, dict) else None
                if isinstance(limits, dict) and limits and isinstance(res, dict):
                    requests = res.setdefault("requests", {})
                    if isinstance(requests, dict):
                        for name, value in limits.items():
                            requests.setdefault(name, value)
        # Admission (ServiceAccount, Priority, DefaultTolerationSeconds) on a bare Pod.
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        tols = spec.setdefault("tolerations", [])
        if isinstance(tols, list):
            keys = {t.get("key") for t in tols if isinstance(t, dict)}
            for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
                if key not in keys:
                    tols.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                 "tolerationSeconds": 300})


def _template(spec: dict[str, Any]) -> None:
    t = spec.get("template")
    if not isinstance(t, dict):
        return
    meta = t.setdefault("metadata", {})
    if isinstance(meta, dict):
        meta.setdefault("creationTimestamp", None)
    pod_spec(t.get("spec"), template=True)


def _deployment(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            ru = strategy.setdefault("rollingUpdate", {})
            if isinstance(ru, dict):
                ru.setdefault("maxUnavailable", "25%")
                ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(spec)


def _replicaset(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    if spec is not None:
        spec.setdefault("replicas", 1)
        _template(spec)


def _statefulset(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    _rolling_update(spec, partition=0)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy",
                    {"whenDeleted": "Retain", "whenScaled": "Retain"})
    _template(spec)


def _rolling_update(spec: dict[str, Any], **rolling: Any) -> None:
    """``spec.updateStrategy`` defaults of a StatefulSet or DaemonSet: type
    RollingUpdate and, for that type, the ``rollingUpdate`` fields given."""
    us = spec.setdefault("updateStrategy", {})
    if isinstance(us, dict):
        us.setdefault("type", "RollingUpdate")
        if us["type"] == "RollingUpdate":
            ru = us.setdefault("rollingUpdate", {})
            if isinstance(ru, dict):
                for key, value in rolling.items():
                    ru.setdefault(key, value)


def _daemonset(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    _rolling_update(spec, maxUnavailable=1, maxSurge=0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(spec)


def _job_spec(spec: Any, uid: str, name: str) -> None:
    if not isinstance(spec, dict):
        return
    # Both unset: a one-pod Job (both 1). A parallelism alone is a work queue: its
    # completions stay unset, as a real server leaves them.
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    if uid and not spec.get("manualSelector"):
        ids = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
               "controller-uid": uid, "job-name": name}
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        t = spec.get("template")
        if isinstance(t, dict):
            meta = t.setdefault("metadata", {})
            if isinstance(meta, dict):
                labels = meta.setdefault("labels", {})
                if isinstance(labels, dict):
                    for k, v in ids.items():
                        labels.setdefault(k, v)
    _template(spec)


def _job(obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    _job_spec(obj.get("spec"), str(meta.get("uid", "")), str(meta.get("name", "")))


def _cronjob(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    jt = spec.get("jobTemplate")
    if isinstance(jt, dict):
        js = jt.get("spec")
        if isinstance(js, dict):
            js.setdefault("backoffLimit", 6)
            js.setdefault("completionMode", "NonIndexed")
            js.setdefault("suspend", False)
            js.setdefault("podReplacementPolicy", "TerminatingOrFailed")
            _template(js)


def _pvc(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    if spec is not None:
        spec.setdefault("volumeMode", "Filesystem")


def _pv(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    if spec is not None:
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")


def _secret(obj: dict[str, Any]) -> None:
    obj.setdefault("type", "Opaque")


def _namespace(obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    labels = meta.setdefault("labels", {})
    if isinstance(labels, dict):
        labels["kubernetes.io/metadata.name"] = meta.get("name", "")
    spec = _dict(obj, "spec")
    if spec is not None:
        spec.setdefault("finalizers", ["kubernetes"])


def qos_class(spec: Any) -> str:
    """A Pod's QoS class from its containers' resources (after defaulting):
    ``Guaranteed`` when every container has CPU and memory limits equal to its
    requests, ``BestEffort`` when none has any request or limit, else ``Burstable``.

    Example::

        qos_class({"containers": [{"name": "c", "image": "x"}]})   # "BestEffort"
    """
    containers = [c for key in ("containers", "initContainers")
                  for c in ((spec or {}).get(key) or []) if isinstance(c, dict)] \
        if isinstance(spec, dict) else []
    any_set = False
    guaranteed = bool(containers)
    for c in containers:
        res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
        assert isinstance(res, dict)
        req = res.get("requests") if isinstance(res.get("requests"), dict) else {}
        lim = res.get("limits") if isinstance(res.get("limits"), dict) else {}
        assert isinstance(req, dict) and isinstance(lim, dict)
        if req or lim:
            any_set = True
        for name in ("cpu", "memory"):
            if name not in lim or str(req.get(name)) != str(lim.get(name)):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


class Defaulter:
    """Applies the defaults; owns the Service cluster-IP and node-port allocators
    (so one server never hands out the same address twice).

    Example::

        Defaulter().apply(services, svc, old=None)   # svc["spec"]["clusterIP"] = "10.96.0.10"
    """

    _NET = ipaddress.ip_network("10.96.0.0/12")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_ip = 10
        self._next_port = 30000

    def _cluster_ip(self) -> str:
        with self._lock:
            ip = self._NET.network_address + self._next_ip
            self._next_ip = self._next_ip + 1 if self._next_ip + 1 < self._NET.num_addresses \
                - 1 else 10
            return str(ip)

    def _node_port(self) -> int:
        with self._lock:
            port = self._next_port
            self._next_port = port + 1 if port < 32767 else 30000
            return port

    def _service(self, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        spec = _dict(obj, "spec")
        if spec is None:
            return
        old_spec = (old or {}).get("spec") or {}
        stype = spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if stype != "ExternalName":
            if not spec.get("clusterIP"):
                spec["clusterIP"] = old_spec.get("clusterIP") or self._cluster_ip()
            spec.setdefault("clusterIPs", old_spec.get("clusterIPs") or [spec["clusterIP"]])
            if spec["clusterIP"] != "None":
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            else:
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p
                     for p in old_spec.get("ports") or [] if isinstance(p, dict)}
        for p in spec.get("ports") or []:
            if not isinstance(p, dict):
                continue
            p.setdefault("protocol", "TCP")
            if "port" in p:
                p.setdefault("targetPort", p["port"])
            if stype in ("NodePort", "LoadBalancer") and not p.get("nodePort"):
                prev = old_ports.get((p.get("port"), p["protocol"]), {})
                p["nodePort"] = prev.get("nodePort") or self._node_port()
        if stype in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if stype == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)

    def apply(self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Default ``obj`` (a create body, or an update's new object with ``old``)."""
        key = rt.key
        if key == "/pods":
            pod_spec(obj.get("spec"))
        elif key == "/services":
            self._service(obj, old)
        elif key == NAMESPACE_KEY:
            _namespace(obj)
        else:
            fn = _BY_KEY.get(key)
            if fn is not None:
                fn(obj)

    @staticmethod
    def initial_status(rt: ResourceType, obj: dict[str, Any] | None = None
                       ) -> dict[str, Any] | None:
        """The status a new object starts with (None: no status field); a Pod's
        carries its ``qosClass``.

        Example::

            Defaulter.initial_status(pods, pod)   # {"phase": "Pending", "qosClass": "BestEffort"}
        """
        status = _INITIAL_STATUS.get(rt.key)
        if status is None:
            return None
        status = dict(status)
        if rt.key == "/pods" and obj is not None:
            status["qosClass"] = qos_class(obj.get("spec"))
        return status


_BY_KEY = {
    "apps/deployments": _deployment,
    "apps/replicasets": _replicaset,
    "apps/statefulsets": _statefulset,
    "apps/daemonsets": _daemonset,
    "/replicationcontrollers": _replicaset,
    "batch/jobs": _job,
    "batch/cronjobs": _cronjob,
    "/persistentvolumeclaims": _pvc,
    "/persistentvolumes": _pv,
    "/secrets": _secret,
}

_INITIAL_STATUS: dict[str, dict[str, Any]] = {
    "/pods": {"phase": "Pending"},
    NAMESPACE_KEY: {"phase": "Active"},
    "/services": {"loadBalancer": {}},
    "/persistentvolumeclaims": {"phase": "Pending"},
    "/persistentvolumes": {"phase": "Pending"},
    "apps/deployments": {},
    "apps/replicasets": {"replicas": 0},
    "apps/statefulsets": {"replicas": 0, "availableReplicas": 0},
    "apps/daemonsets": {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                        "desiredNumberScheduled": 0, "numberReady": 0},
    "batch/jobs": {},
    "batch/cronjobs": {},
    "networking.k8s.io/ingresses": {"loadBalancer": {}},
    "policy/poddisruptionbudgets": {"disruptionsAllowed": 0, "currentHealthy": 0,
                                    "desiredHealthy": 0, "expectedPods": 0},
}
