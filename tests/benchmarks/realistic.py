"""A pod as a real cluster serves it: what a ReplicaSet controller creates and
a kubelet then reports (container statuses, conditions, IPs), with the
``metadata.managedFields`` entries both writers leave (FieldsV1). Used by the
dispatch and cache-memory benchmarks; ~3.5 KB of JSON, about half of it
managedFields, as on a real cluster.

Example::

    pod = realistic_pod("web-0", "default", 1234)
"""

from __future__ import annotations

from typing import Any

__all__ = ["realistic_pod"]

_TIME = "2026-11-30T12:00:00Z"


def _fields_controller() -> dict[str, Any]:
    return {
        "f:metadata": {
            "f:generateName": {},
            "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}},
            "f:ownerReferences": {".": {}, 'k:{"uid":"7f3c5d2a-0b1e-4c44-9a51-3f1f2b6c8d90"}': {}},
        },
        "f:spec": {
            "f:containers": {
                'k:{"name":"web"}': {
                    ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                    "f:ports": {".": {}, 'k:{"containerPort":8080,"protocol":"TCP"}': {
                        ".": {}, "f:containerPort": {}, "f:name": {}, "f:protocol": {}}},
                    "f:readinessProbe": {".": {}, "f:failureThreshold": {}, "f:httpGet": {
                        ".": {}, "f:path": {}, "f:port": {}, "f:scheme": {}},
                        "f:periodSeconds": {}, "f:successThreshold": {}, "f:timeoutSeconds": {}},
                    "f:resources": {".": {}, "f:limits": {".": {}, "f:memory": {}},
                                    "f:requests": {".": {}, "f:cpu": {}, "f:memory": {}}},
                    "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {},
                },
            },
            "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {},
            "f:schedulerName": {}, "f:securityContext": {},
            "f:terminationGracePeriodSeconds": {},
        },
    }


def _fields_kubelet() -> dict[str, Any]:
    cond = {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {},
            "f:type": {}}
    return {
        "f:status": {
            "f:conditions": {
                'k:{"type":"ContainersReady"}': cond, 'k:{"type":"Initialized"}': cond,
                'k:{"type":"PodReadyToStartContainers"}': cond, 'k:{"type":"Ready"}': cond,
            },
            "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {},
            "f:podIP": {}, "f:podIPs": {".": {}, 'k:{"ip":"10.244.1.17"}': {".": {}, "f:ip": {}}},
            "f:startTime": {},
        },
    }


def realistic_pod(name: str, namespace: str, rv: int) -> dict[str, Any]:
    """A Running, Ready pod of a Deployment, at resourceVersion ``rv``."""
    cond = [
        {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": _TIME}
        for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                  "PodScheduled")
    ]
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "generateName": "web-5d9c7b8f6d-",
            "namespace": namespace,
            "uid": f"0d4f9a1c-6c1e-4f0b-8d7a-{rv:012d}",
            "resourceVersion": str(rv),
            "creationTimestamp": _TIME,
            "labels": {"app": "web", "pod-template-hash": "5d9c7b8f6d"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d9c7b8f6d",
                "uid": "7f3c5d2a-0b1e-4c44-9a51-3f1f2b6c8d90", "controller": True,
                "blockOwnerDeletion": True,
            }],
            "managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update",
                 "apiVersion": "v1", "time": _TIME, "fieldsType": "FieldsV1",
                 "fieldsV1": _fields_controller()},
                {"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                 "time": _TIME, "fieldsType": "FieldsV1", "fieldsV1": _fields_kubelet(),
                 "subresource": "status"},
            ],
        },
        "spec": {
            "containers": [{
                "name": "web",
                "image": "registry.example.com/web:1.4.2",
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "resources": {"limits": {"memory": "256Mi"},
                              "requests": {"cpu": "100m", "memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080,
                                               "scheme": "HTTP"},
                                   "timeoutSeconds": 1, "periodSeconds": 5,
                                   "successThreshold": 1, "failureThreshold": 3},
                "volumeMounts": [{"name": "kube-api-access-x7k2p", "readOnly": True,
                                  "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }],
            "volumes": [{"name": "kube-api-access-x7k2p", "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt",
                                   "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                        "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
                ],
                "defaultMode": 420}}],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "nodeName": "node-3",
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running",
            "conditions": cond,
            "hostIP": "172.18.0.4",
            "hostIPs": [{"ip": "172.18.0.4"}],
            "podIP": "10.244.1.17",
            "podIPs": [{"ip": "10.244.1.17"}],
            "startTime": _TIME,
            "containerStatuses": [{
                "name": "web",
                "state": {"running": {"startedAt": _TIME}},
                "lastState": {},
                "ready": True,
                "restartCount": 0,
                "image": "registry.example.com/web:1.4.2",
                "imageID": "registry.example.com/web@sha256:" + "3f" * 32,
                "containerID": "containerd://" + "a1" * 32,
                "started": True,
            }],
            "qosClass": "Burstable",
        },
    }
