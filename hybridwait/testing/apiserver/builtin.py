"""The built-in resources a Kubernetes 1.32 API server serves by default, derived
from the shipped data (:mod:`.schema`): group, versions, plural, kind, scope,
verbs and subresources come from the data; short names and categories, which
the OpenAPI document does not carry, from the small hand table below (as a real
1.32 server lists them in discovery).

Example::

    rt = next(t for t in builtin_types() if t.plural == "deployments")
    rt.short_names, rt.categories     # (("deploy",), ("all",))
"""

from __future__ import annotations

import functools

from hybridwait.testing.apiserver.resources import ResourceType, Subresource
from hybridwait.testing.apiserver.schema import BuiltinResource, load

# (group, plural) -> short names, as a real 1.32 server's discovery lists them.
SHORT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "componentstatuses"): ("cs",),
    ("", "configmaps"): ("cm",),
    ("", "endpoints"): ("ep",),
    ("", "events"): ("ev",),
    ("", "limitranges"): ("limits",),
    ("", "namespaces"): ("ns",),
    ("", "nodes"): ("no",),
    ("", "persistentvolumeclaims"): ("pvc",),
    ("", "persistentvolumes"): ("pv",),
    ("", "pods"): ("po",),
    ("", "replicationcontrollers"): ("rc",),
    ("", "resourcequotas"): ("quota",),
    ("", "serviceaccounts"): ("sa",),
    ("", "services"): ("svc",),
    ("apiextensions.k8s.io", "customresourcedefinitions"): ("crd", "crds"),
    ("apps", "daemonsets"): ("ds",),
    ("apps", "deployments"): ("deploy",),
    ("apps", "replicasets"): ("rs",),
    ("apps", "statefulsets"): ("sts",),
    ("autoscaling", "horizontalpodautoscalers"): ("hpa",),
    ("batch", "cronjobs"): ("cj",),
    ("certificates.k8s.io", "certificatesigningrequests"): ("csr",),
    ("events.k8s.io", "events"): ("ev",),
    ("networking.k8s.io", "ingresses"): ("ing",),
    ("networking.k8s.io", "networkpolicies"): ("netpol",),
    ("policy", "poddisruptionbudgets"): ("pdb",),
    ("scheduling.k8s.io", "priorityclasses"): ("pc",),
    ("storage.k8s.io", "storageclasses"): ("sc",),
}

_ALL = ("all",)
_EXT = ("api-extensions",)
# (group, plural) -> categories (``kubectl get all`` and ``kubectl get api-extensions``).
CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): _ALL,
    ("", "replicationcontrollers"): _ALL,
    ("", "services"): _ALL,
    ("apps", "daemonsets"): _ALL,
    ("apps", "deployments"): _ALL,
    ("apps", "replicasets"): _ALL,
    ("apps", "statefulsets"): _ALL,
    ("autoscaling", "horizontalpodautoscalers"): _ALL,
    ("batch", "cronjobs"): _ALL,
    ("batch", "jobs"): _ALL,
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): _EXT,
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"): _EXT,
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): _EXT,
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): _EXT,
    ("apiextensions.k8s.io", "customresourcedefinitions"): _EXT,
    ("apiregistration.k8s.io", "apiservices"): _EXT,
}

# Preferred version first where a group serves two (autoscaling: v2, then v1).
_PREFERRED = {"autoscaling": ("v2", "v1")}

# Subresources answered in another group-version than their resource's.
_SUB_GV: dict[str, tuple[str, str]] = {
    "Scale": ("autoscaling", "v1"),
    "Eviction": ("policy", "v1"),
    "TokenRequest": ("authentication.k8s.io", "v1"),
}
# Subresources whose options kind the client does not name.
_SUB_KIND: dict[tuple[str, str], str] = {
    ("pods", "log"): "Pod",
    ("pods", "exec"): "PodExecOptions",
    ("pods", "attach"): "PodAttachOptions",
    ("pods", "portforward"): "PodPortForwardOptions",
    ("pods", "proxy"): "PodProxyOptions",
    ("nodes", "proxy"): "NodeProxyOptions",
    ("services", "proxy"): "ServiceProxyOptions",
}


def _subresources(r: BuiltinResource) -> tuple[Subresource, ...]:
    out = []
    for s in r.subresources:
        kind = s.kind or _SUB_KIND.get((r.plural, s.name), r.kind)
        group, version = _SUB_GV.get(kind, ("", ""))
        out.append(Subresource(s.name, s.verbs, kind, group, version))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def builtin_types() -> tuple[ResourceType, ...]:
    """Every built-in resource type, one per (group, plural), versions preferred first.

    Example::

        len(builtin_types())    # 58
    """
    by_key: dict[tuple[str, str], list[BuiltinResource]] = {}
    for r in load().resources:
        by_key.setdefault((r.group, r.plural), []).append(r)
    out = []
    for (group, plural), rs in by_key.items():
        order = _PREFERRED.get(group, ())
        rs.sort(key=lambda r: order.index(r.version) if r.version in order else 0)
        first = rs[0]
        out.append(ResourceType(
            group=group,
            versions=tuple(r.version for r in rs),
            plural=plural,
            singular=first.kind.lower(),
            kind=first.kind,
            namespaced=first.namespaced,
            short_names=SHORT_NAMES.get((group, plural), ()),
            has_status=any(s.name == "status" for s in first.subresources),
            categories=CATEGORIES.get((group, plural), ()),
            verbs=first.verbs,
            subresources=_subresources(first),
        ))
    return tuple(out)
