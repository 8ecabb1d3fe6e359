"""Server-side printing: the columns a Kubernetes 1.32 API server puts in a Table
for each built-in kind (what ``kubectl get`` and ``kubectl get -o wide`` print),
as data: one row of :class:`Column` per kind, each cell a small function of the
object. ``-o wide`` columns have ``priority`` 1; the server always sends every
cell and kubectl hides the wide ones.

Cells follow the real printers' rules: ages as kubectl's human durations
(``45s``, ``3m12s``, ``5h``, ``3d4h``), ``<none>`` / ``<unset>`` / ``<unknown>``
placeholders, a Pod's STATUS from its containers' states (``ContainerCreating``,
``CrashLoopBackOff``, ``Completed``, ``Init:0/1``, ``Terminating`` ...), a Job's
1.32 STATUS (``Running``, ``Complete``, ``Failed``, ``Suspended`` ...).

Example::

    [c.name for c in printer_columns("apps/deployments")]
    # ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, NamedTuple

Cell = Any
Obj = dict[str, Any]


class Column(NamedTuple):
    """One Table column: header name, OpenAPI type, cell function, priority
    (1: only with ``-o wide``) and format (``name`` for the NAME column).

    Example::

        Column("Data", "integer", lambda o: len(o.get("data") or {})).priority   # 0
    """

    name: str
    type: str
    cell: Callable[[Obj], Cell]
    priority: int = 0
    format: str = ""


# -- value helpers ---------------------------------------------------------------
def _get(obj: Any, path: str) -> Any:
    cur = obj
    for seg in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(seg)
    return cur


def _list(obj: Any, path: str) -> list[Any]:
    value = _get(obj, path)
    return value if isinstance(value, list) else []


def _map(obj: Any, path: str) -> dict[str, Any]:
    value = _get(obj, path)
    return value if isinstance(value, dict) else {}


def _int(obj: Any, path: str) -> int:
    value = _get(obj, path)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _text(obj: Any, path: str, empty: str = "") -> str:
    value = _get(obj, path)
    return str(value) if value not in (None, "") else empty


def parse_time(text: Any) -> datetime.datetime | None:
    """An RFC 3339 timestamp (``Time`` or ``MicroTime``) as an aware datetime.

    Example::

        parse_time("2024-01-01T00:00:00Z").year   # 2024
    """
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """kubectl's human duration (``45s``, ``3m12s``, ``5h``, ``3d4h``, ``2y``).

    Example::

        human_duration(192)   # "3m12s"
    """
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if h < 24 * 8:
        return f"{h // 24}d{h % 24}h" if h % 24 else f"{h // 24}d"
    if h < 24 * 365 * 2:
        return f"{h // 24}d"
    if h < 24 * 365 * 8:
        days = (h // 24) % 365
        return f"{h // 24 // 365}y{days}d" if days else f"{h // 24 // 365}y"
    return f"{h // 24 // 365}y"


def since(text: Any, now: datetime.datetime | None = None) -> str:
    """The human duration since a timestamp (``<unknown>`` without one).

    Example::

        since("2024-01-01T00:00:00Z")   # e.g. "1y334d"
    """
    t = parse_time(text)
    if t is None:
        return "<unknown>"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return human_duration((now - t).total_seconds())


def format_labels(labels: Any) -> str:
    """A label map as ``k=v,k2=v2`` (sorted), ``<none>`` when empty."""
    if not isinstance(labels, dict) or not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def format_selector(selector: Any, empty: str = "") -> str:
    """A LabelSelector as a selector string (``app=web,tier in (a,b)``);
    ``<none>`` for no selector, ``empty`` for one that selects everything."""
    if not isinstance(selector, dict):
        return "<none>"
    reqs: list[tuple[str, str]] = [
        (str(k), f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for e in selector.get("matchExpressions") or []:
        if not isinstance(e, dict):
            continue
        key, op = str(e.get("key", "")), e.get("operator")
        values = ",".join(sorted(str(v) for v in e.get("values") or []))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(str(op), "<invalid>")
        reqs.append((key, text))
    reqs.sort(key=lambda r: r[0])
    return ",".join(t for _, t in reqs) or empty


def _first_n(items: list[str], total: int, limit: int = 3) -> str:
    text = ",".join(items[:limit])
    return f"{text} + {total - limit} more..." if total > limit else text


def _condition(obj: Obj, type_: str) -> dict[str, Any] | None:
    for c in _list(obj, "status.conditions"):
        if isinstance(c, dict) and c.get("type") == type_:
            return c
    return None


def _condition_true(obj: Obj, type_: str) -> bool:
    c = _condition(obj, type_)
    return c is not None and c.get("status") == "True"


# -- common columns --------------------------------------------------------------
def _name(o: Obj) -> Cell:
    return _text(o, "metadata.name")


def _age(o: Obj) -> Cell:
    return since(_get(o, "metadata.creationTimestamp"))


def _created_at(o: Obj) -> Cell:
    t = parse_time(_get(o, "metadata.creationTimestamp"))
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if t else ""


NAME = Column("Name", "string", _name, 0, "name")
AGE = Column("Age", "string", _age)
CREATED_AT = Column("Created At", "date", _created_at)


def _containers(template_path: str) -> list[Column]:
    """The wide CONTAINERS and IMAGES columns of a pod template."""
    def names(o: Obj) -> Cell:
        return ",".join(str(c.get("name", "")) for c in _list(o, f"{template_path}.containers")
                        if isinstance(c, dict))

    def images(o: Obj) -> Cell:
        return ",".join(str(c.get("image", "")) for c in _list(o, f"{template_path}.containers")
                        if isinstance(c, dict))
    return [Column("Containers", "string", names, 1), Column("Images", "string", images, 1)]


def _selector_column(path: str, empty: str = "") -> Column:
    return Column("Selector", "string", lambda o: format_selector(_get(o, path), empty), 1)


def _int_column(name: str, path: str, priority: int = 0) -> Column:
    return Column(name, "integer", lambda o: _int(o, path), priority)


def _text_column(name: str, path: str, empty: str = "", priority: int = 0) -> Column:
    return Column(name, "string", lambda o: _text(o, path, empty), priority)


# -- pods ------------------------------------------------------------------------
def _restartable(pod: Obj) -> set[str]:
    """Names of sidecar (restartPolicy Always) init containers."""
    return {str(c.get("name")) for c in _list(pod, "spec.initContainers")
            if isinstance(c, dict) and c.get("restartPolicy") == "Always"}


class PodSummary(NamedTuple):
    """What ``kubectl get pods`` prints for a Pod: READY, STATUS, RESTARTS.

    Example::

        pod_summary(pod).status   # "Running", "CrashLoopBackOff", "Init:0/1", ...
    """

    ready: str
    status: str
    restarts: str


def _later(a: str | None, b: Any) -> str | None:
    tb = parse_time(b)
    if tb is None:
        return a
    ta = parse_time(a)
    return b if ta is None or tb > ta else a


def pod_summary(pod: Obj) -> PodSummary:
    """READY, STATUS and RESTARTS of ``pod`` by the rules of kubectl's printer.

    Example::

        pod_summary({"status": {"phase": "Pending"}}).status   # "Pending"
    """
    status = _map(pod, "status")
    reason = str(status.get("reason") or status.get("phase") or "")
    for c in _list(pod, "status.conditions"):
        if isinstance(c, dict) and c.get("type") == "PodScheduled" \
                and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    sidecars = _restartable(pod)
    total = len(_list(pod, "spec.containers")) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart: str | None = None
    sidecar_last: str | None = None
    initializing = False
    init_statuses = [s for s in _list(pod, "status.initContainerStatuses") if isinstance(s, dict)]
    n_init = len(_list(pod, "spec.initContainers"))
    for i, cs in enumerate(init_statuses):
        restarts += _int(cs, "restartCount")
        finished = _get(cs, "lastState.terminated.finishedAt")
        last_restart = _later(last_restart, finished)
        if cs.get("name") in sidecars:
            sidecar_restarts += _int(cs, "restartCount")
            sidecar_last = _later(sidecar_last, finished)
        terminated = _map(cs, "state.terminated")
        waiting = _map(cs, "state.waiting")
        if terminated and _int(terminated, "exitCode") == 0:
            continue
        if cs.get("name") in sidecars and cs.get("started") is True:
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated:
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif _int(terminated, "signal"):
                reason = f"Init:Signal:{_int(terminated, 'signal')}"
            else:
                reason = f"Init:ExitCode:{_int(terminated, 'exitCode')}"
        elif waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break
    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, sidecar_last
        running = False
        for cs in reversed([s for s in _list(pod, "status.containerStatuses")
                            if isinstance(s, dict)]):
            restarts += _int(cs, "restartCount")
            last_restart = _later(last_restart, _get(cs, "lastState.terminated.finishedAt"))
            waiting = _map(cs, "state.waiting")
            terminated = _map(cs, "state.terminated")
            if waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated.get("reason"):
                reason = str(terminated["reason"])
            elif terminated:
                signal = _int(terminated, "signal")
                reason = f"Signal:{signal}" if signal else \
                    f"ExitCode:{_int(terminated, 'exitCode')}"
            elif cs.get("ready") and _get(cs, "state.running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"
    if _get(pod, "metadata.deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restart_text = str(restarts)
    if restarts and last_restart:
        restart_text = f"{restarts} ({since(last_restart)} ago)"
    return PodSummary(f"{ready}/{total}", reason, restart_text)


def _readiness_gates(pod: Obj) -> Cell:
    gates = [g.get("conditionType") for g in _list(pod, "spec.readinessGates")
             if isinstance(g, dict)]
    if not gates:
        return "<none>"
    true = sum(1 for g in gates if _condition_true(pod, str(g)))
    return f"{true}/{len(gates)}"


_POD = [NAME,
        Column("Ready", "string", lambda o: pod_summary(o).ready),
        Column("Status", "string", lambda o: pod_summary(o).status),
        Column("Restarts", "string", lambda o: pod_summary(o).restarts),
        AGE,
        _text_column("IP", "status.podIP", "<none>", 1),
        _text_column("Node", "spec.nodeName", "<none>", 1),
        _text_column("Nominated Node", "status.nominatedNodeName", "<none>", 1),
        Column("Readiness Gates", "string", _readiness_gates, 1)]


# -- workloads -------------------------------------------------------------------
def _ratio(ready: str, want: str) -> Callable[[Obj], Cell]:
    return lambda o: f"{_int(o, ready)}/{_int(o, want)}"


def _job_status(o: Obj) -> Cell:
    for type_, text in (("Complete", "Complete"), ("Failed", "Failed")):
        if _condition_true(o, type_):
            return text
    if _get(o, "metadata.deletionTimestamp"):
        return "Terminating"
    for type_ in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _condition_true(o, type_):
            return type_
    return "Running"


def _job_completions(o: Obj) -> Cell:
    succeeded = _int(o, "status.succeeded")
    completions = _get(o, "spec.completions")
    if isinstance(completions, int):
        return f"{succeeded}/{completions}"
    parallelism = _int(o, "spec.parallelism")
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(o: Obj) -> Cell:
    start = parse_time(_get(o, "status.startTime"))
    if start is None:
        return ""
    end = parse_time(_get(o, "status.completionTime")) \
        or datetime.datetime.now(datetime.timezone.utc)
    return human_duration((end - start).total_seconds())


def _bool_ptr(path: str) -> Callable[[Obj], Cell]:
    def cell(o: Obj) -> Cell:
        value = _get(o, path)
        return "<unset>" if value is None else ("True" if value else "False")
    return cell


def _last_schedule(o: Obj) -> Cell:
    t = _get(o, "status.lastScheduleTime")
    return since(t) if t else "<none>"


_TEMPLATE = "spec.template.spec"
_DEPLOYMENT = [NAME, Column("Ready", "string", _ratio("status.readyReplicas", "spec.replicas")),
               _int_column("Up-to-date", "status.updatedReplicas"),
               _int_column("Available", "status.availableReplicas"), AGE,
               *_containers(_TEMPLATE), _selector_column("spec.selector")]
_REPLICASET = [NAME, _int_column("Desired", "spec.replicas"),
               _int_column("Current", "status.replicas"),
               _int_column("Ready", "status.readyReplicas"), AGE,
               *_containers(_TEMPLATE), _selector_column("spec.selector")]
_RC = [*_REPLICASET[:5], *_containers(_TEMPLATE),
       Column("Selector", "string", lambda o: format_labels(_get(o, "spec.selector")), 1)]
_STATEFULSET = [NAME,
                Column("Ready", "string", _ratio("status.readyReplicas", "spec.replicas")),
                AGE, *_containers(_TEMPLATE)]
_DAEMONSET = [NAME, _int_column("Desired", "status.desiredNumberScheduled"),
              _int_column("Current", "status.currentNumberScheduled"),
              _int_column("Ready", "status.numberReady"),
              _int_column("Up-to-date", "status.updatedNumberScheduled"),
              _int_column("Available", "status.numberAvailable"),
              Column("Node Selector", "string",
                     lambda o: format_labels(_get(o, f"{_TEMPLATE}.nodeSelector"))),
              AGE, *_containers(_TEMPLATE), _selector_column("spec.selector")]
_JOB = [NAME, Column("Status", "string", _job_status),
        Column("Completions", "string", _job_completions),
        Column("Duration", "string", _job_duration), AGE,
        *_containers(_TEMPLATE), _selector_column("spec.selector", "<none>")]
_CRONJOB = [NAME, _text_column("Schedule", "spec.schedule"),
            _text_column("Timezone", "spec.timeZone", "<none>"),
            Column("Suspend", "boolean", _bool_ptr("spec.suspend")),
            Column("Active", "integer", lambda o: len(_list(o, "status.active"))),
            Column("Last Schedule", "string", _last_schedule), AGE,
            *_containers("spec.jobTemplate.spec.template.spec"),
            _selector_column("spec.jobTemplate.spec.selector", "<none>")]


def _hpa_targets(o: Obj) -> Cell:
    current = {}
    for m in _list(o, "status.currentMetrics"):
        if isinstance(m, dict) and m.get("type") == "Resource":
            current[_text(m, "resource.name")] = _map(m, "resource.current")
    out = []
    for m in _list(o, "spec.metrics"):
        if not isinstance(m, dict) or m.get("type") != "Resource":
            out.append("<unknown>")
            continue
        name = _text(m, "resource.name")
        target = _map(m, "resource.target")
        now = current.get(name) or {}
        if "averageUtilization" in target:
            cur = f"{now['averageUtilization']}%" if "averageUtilization" in now \
                else "<unknown>"
            out.append(f"{name}: {cur}/{target['averageUtilization']}%")
        else:
            value = target.get("averageValue", target.get("value", ""))
            cur = str(now.get("averageValue", now.get("value", "<unknown>")))
            out.append(f"{name}: {cur}/{value}")
    return ", ".join(out) or "<none>"


_HPA = [NAME,
        Column("Reference", "string", lambda o: f"{_text(o, 'spec.scaleTargetRef.kind')}/"
                                               f"{_text(o, 'spec.scaleTargetRef.name')}"),
        Column("Targets", "string", _hpa_targets),
        _text_column("MinPods", "spec.minReplicas", "<unset>"),
        _int_column("MaxPods", "spec.maxReplicas"),
        _int_column("Replicas", "status.currentReplicas"), AGE]


def _int_or_string(path: str) -> Callable[[Obj], Cell]:
    return lambda o: _text(o, path, "N/A")


_PDB = [NAME, Column("Min Available", "string", _int_or_string("spec.minAvailable")),
        Column("Max Unavailable", "string", _int_or_string("spec.maxUnavailable")),
        _int_column("Allowed Disruptions", "status.disruptionsAllowed"), AGE]


def _controller(o: Obj) -> Cell:
    for ref in _list(o, "metadata.ownerReferences"):
        if isinstance(ref, dict) and ref.get("controller"):
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = str(ref.get("kind", "")).lower()
            return f"{kind}.{group}/{ref.get('name')}" if group else f"{kind}/{ref.get('name')}"
    return "<none>"


_CONTROLLER_REVISION = [NAME, Column("Controller", "string", _controller),
                        _int_column("Revision", "revision"), AGE]


# -- core ------------------------------------------------------------------------
def _service_external_ip(o: Obj) -> Cell:
    type_ = _text(o, "spec.type", "ClusterIP")
    external = [str(ip) for ip in _list(o, "spec.externalIPs")]
    if type_ in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if type_ == "LoadBalancer":
        lb = [str(i.get("ip") or i.get("hostname") or "")
              for i in _list(o, "status.loadBalancer.ingress") if isinstance(i, dict)]
        lb = [x for x in lb if x]
        return ",".join(lb + external) or "<pending>"
    if type_ == "ExternalName":
        return _text(o, "spec.externalName")
    return "<unknown>"


def _service_ports(o: Obj) -> Cell:
    out = []
    for p in _list(o, "spec.ports"):
        if not isinstance(p, dict):
            continue
        proto = p.get("protocol", "TCP")
        node_port = p.get("nodePort")
        out.append(f"{p.get('port')}:{node_port}/{proto}" if node_port
                   else f"{p.get('port')}/{proto}")
    return ",".join(out) or "<none>"


_SERVICE = [NAME, _text_column("Type", "spec.type"),
            _text_column("Cluster-IP", "spec.clusterIP", "<none>"),
            Column("External-IP", "string", _service_external_ip),
            Column("Port(s)", "string", _service_ports), AGE,
            Column("Selector", "string", lambda o: format_labels(_get(o, "spec.selector")), 1)]


def _endpoints(o: Obj) -> Cell:
    subsets = [s for s in _list(o, "subsets") if isinstance(s, dict)]
    if not subsets:
        return "<none>"
    items: list[str] = []
    count = 0
    for ss in subsets:
        ips = [str(a.get("ip", "")) for a in ss.get("addresses") or [] if isinstance(a, dict)]
        ports = [p for p in ss.get("ports") or [] if isinstance(p, dict)]
        if not ports:
            count += len(ips)
            items += ips
            continue
        for p in ports:
            count += len(ips)
            port = p.get("port")
            items += [f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}" for ip in ips]
    return _first_n(items, count)


def _endpoint_slice_ports(o: Obj) -> Cell:
    ports = [p for p in _list(o, "ports") if isinstance(p, dict)]
    if not ports:
        return "<unset>"
    items = [str(p["port"]) if p.get("port") is not None else "<unset>" for p in ports]
    return _first_n(items, len(items))


def _endpoint_slice_endpoints(o: Obj) -> Cell:
    addresses = [str(a) for e in _list(o, "endpoints") if isinstance(e, dict)
                 for a in e.get("addresses") or []]
    return _first_n(addresses, len(addresses)) if addresses else "<unset>"


def _node_status(o: Obj) -> Cell:
    ready = _condition(o, "Ready")
    parts = [] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    if not parts:
        parts = ["Unknown"]
    if _get(o, "spec.unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def _node_roles(o: Obj) -> Cell:
    roles = set()
    for k, v in _map(o, "metadata.labels").items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/"):]:
            roles.add(k[len("node-role.kubernetes.io/"):])
        elif k == "kubernetes.io/role" and v:
            roles.add(str(v))
    return ",".join(sorted(roles)) or "<none>"


def _node_address(type_: str) -> Callable[[Obj], Cell]:
    def cell(o: Obj) -> Cell:
        for a in _list(o, "status.addresses"):
            if isinstance(a, dict) and a.get("type") == type_:
                return str(a.get("address", ""))
        return "<none>"
    return cell


_NODE = [NAME, Column("Status", "string", _node_status),
         Column("Roles", "string", _node_roles), AGE,
         _text_column("Version", "status.nodeInfo.kubeletVersion"),
         Column("Internal-IP", "string", _node_address("InternalIP"), 1),
         Column("External-IP", "string", _node_address("ExternalIP"), 1),
         _text_column("OS-Image", "status.nodeInfo.osImage", "<unknown>", 1),
         _text_column("Kernel-Version", "status.nodeInfo.kernelVersion", "<unknown>", 1),
         _text_column("Container-Runtime", "status.nodeInfo.containerRuntimeVersion",
                      "<unknown>", 1)]

_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                 ("ReadWriteOncePod", "RWOP"))


def _access_modes(path: str) -> Callable[[Obj], Cell]:
    def cell(o: Obj) -> Cell:
        modes = set(_list(o, path))
        return ",".join(short for long, short in _ACCESS_MODES if long in modes)
    return cell


def _phase_or_terminating(o: Obj) -> Cell:
    return "Terminating" if _get(o, "metadata.deletionTimestamp") else _text(o, "status.phase")


def _claim(o: Obj) -> Cell:
    ref = _map(o, "spec.claimRef")
    return f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""


def _pvc_bound(path: str) -> Callable[[Obj], Cell]:
    def cell(o: Obj) -> Cell:
        if not _get(o, "spec.volumeName"):
            return ""
        return _access_modes(path)(o) if "accessModes" in path else _text(o, path)
    return cell


_PV = [NAME, _text_column("Capacity", "spec.capacity.storage"),
       Column("Access Modes", "string", _access_modes("spec.accessModes")),
       _text_column("Reclaim Policy", "spec.persistentVolumeReclaimPolicy"),
       Column("Status", "string", _phase_or_terminating),
       Column("Claim", "string", _claim),
       _text_column("StorageClass", "spec.storageClassName"),
       _text_column("VolumeAttributesClass", "spec.volumeAttributesClassName", "<unset>"),
       _text_column("Reason", "status.reason"), AGE,
       _text_column("VolumeMode", "spec.volumeMode", "<unset>", 1)]
_PVC = [NAME, Column("Status", "string", _phase_or_terminating),
        _text_column("Volume", "spec.volumeName"),
        Column("Capacity", "string", _pvc_bound("status.capacity.storage")),
        Column("Access Modes", "string", _pvc_bound("status.accessModes")),
        _text_column("StorageClass", "spec.storageClassName"),
        _text_column("VolumeAttributesClass", "spec.volumeAttributesClassName", "<unset>"),
        AGE, _text_column("VolumeMode", "spec.volumeMode", "<unset>", 1)]


def _event_first(o: Obj) -> str:
    first = _get(o, "firstTimestamp") or _get(o, "eventTime")
    return since(first)


def _event_last(o: Obj) -> Cell:
    series = _map(o, "series")
    if series:
        return since(series.get("lastObservedTime"))
    return since(_get(o, "lastTimestamp")) if _get(o, "lastTimestamp") else _event_first(o)


def _event_count(o: Obj) -> Cell:
    series = _map(o, "series")
    if series:
        return _int(series, "count")
    return _int(o, "count") or 1


def _event_object(o: Obj) -> Cell:
    kind = _text(o, "involvedObject.kind").lower()
    name = _text(o, "involvedObject.name")
    return f"{kind}/{name}" if name else kind


def _event_source(o: Obj) -> Cell:
    component = _text(o, "source.component") or _text(o, "reportingComponent")
    host = _text(o, "source.host") or _text(o, "reportingInstance")
    return f"{component}, {host}" if host else component


_EVENT = [Column("Last Seen", "string", _event_last),
          _text_column("Type", "type"), _text_column("Reason", "reason"),
          Column("Object", "string", _event_object),
          _text_column("Subobject", "involvedObject.fieldPath", "", 1),
          Column("Source", "string", _event_source, 1),
          Column("Message", "string", lambda o: _text(o, "message").strip()),
          Column("First Seen", "string", _event_first, 1),
          Column("Count", "integer", _event_count, 1),
          Column("Name", "string", _name, 1, "name")]


def _len_of(*paths: str) -> Callable[[Obj], Cell]:
    def cell(o: Obj) -> Cell:
        total = 0
        for p in paths:
            value = _get(o, p)
            total += len(value) if isinstance(value, (dict, list)) else 0
        return total
    return cell


def _quota(limits: bool) -> Callable[[Obj], Cell]:
    def cell(o: Obj) -> Cell:
        hard, used = _map(o, "status.hard") or _map(o, "spec.hard"), _map(o, "status.used")
        out = [f"{k}: {used.get(k, '0')}/{v}" for k, v in sorted(hard.items())
               if k.startswith("limits.") == limits]
        return ", ".join(out)
    return cell


_POD_TEMPLATE = [NAME, *[c._replace(priority=0) for c in _containers("template.spec")],
                 Column("Pod Labels", "string",
                        lambda o: format_labels(_get(o, "template.metadata.labels")))]


# -- networking, RBAC, storage, the rest --------------------------------------------
def _ingress_hosts(o: Obj) -> Cell:
    rules = [r for r in _list(o, "spec.rules") if isinstance(r, dict)]
    hosts = [str(r["host"]) for r in rules[:3] if r.get("host")]
    if not hosts:
        return "*"
    return _first_n(hosts, len(rules)) if len(rules) > 3 else ",".join(hosts)


def _lb_addresses(o: Obj) -> Cell:
    return ",".join(str(i.get("ip") or i.get("hostname") or "")
                    for i in _list(o, "status.loadBalancer.ingress") if isinstance(i, dict))


_INGRESS = [NAME, _text_column("Class", "spec.ingressClassName", "<none>"),
            Column("Hosts", "string", _ingress_hosts),
            Column("Address", "string", _lb_addresses),
            Column("Ports", "string", lambda o: "80, 443" if _list(o, "spec.tls") else "80"),
            AGE]


def _ingress_class_parameters(o: Obj) -> Cell:
    p = _map(o, "spec.parameters")
    if not p:
        return "<none>"
    group = p.get("apiGroup")
    kind = f"{p.get('kind')}.{group}" if group else str(p.get("kind"))
    return f"{kind}/{p.get('name')}"


def _role_ref(o: Obj) -> Cell:
    return f"{_text(o, 'roleRef.kind')}/{_text(o, 'roleRef.name')}"


def _subjects(kind: str) -> Callable[[Obj], Cell]:
    def cell(o: Obj) -> Cell:
        out = []
        for s in _list(o, "subjects"):
            if isinstance(s, dict) and s.get("kind") == kind:
                out.append(f"{s.get('namespace', '')}:{s.get('name')}"
                           if kind == "ServiceAccount" else str(s.get("name")))
        return ", ".join(out)
    return cell


_BINDING = [NAME, Column("Role", "string", _role_ref), AGE,
            Column("Users", "string", _subjects("User"), 1),
            Column("Groups", "string", _subjects("Group"), 1),
            Column("ServiceAccounts", "string", _subjects("ServiceAccount"), 1)]


def _storage_class_name(o: Obj) -> Cell:
    annotations = _map(o, "metadata.annotations")
    default = any(annotations.get(k) == "true" for k in (
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class"))
    return f"{_name(o)} (default)" if default else _name(o)


def _api_service_available(o: Obj) -> Cell:
    c = _condition(o, "Available")
    if c is None:
        return "Unknown"
    status = str(c.get("status", ""))
    return status if status == "True" else f"{status} ({c.get('reason', '')})"


def _api_service_service(o: Obj) -> Cell:
    svc = _map(o, "spec.service")
    return f"{svc.get('namespace')}/{svc.get('name')}" if svc else "Local"


def _csr_condition(o: Obj) -> Cell:
    types = [str(c.get("type")) for c in _list(o, "status.conditions") if isinstance(c, dict)]
    if _get(o, "status.certificate"):
        types.append("Issued")
    return ",".join(types) or "Pending"


def _component_condition(o: Obj) -> dict[str, Any]:
    for c in _list(o, "conditions"):
        if isinstance(c, dict) and c.get("type") == "Healthy":
            return c
    return {}


def _component_status(o: Obj) -> Cell:
    c = _component_condition(o)
    if not c:
        return "Unknown"
    return "Healthy" if c.get("status") == "True" else "Unhealthy"


def _component_text(key: str) -> Callable[[Obj], Cell]:
    return lambda o: str(_component_condition(o).get(key, ""))


_WEBHOOKS = [NAME, Column("Webhooks", "integer", _len_of("webhooks")), AGE]

#: The columns of every built-in resource with a printer, by resource key.
COLUMNS: dict[str, list[Column]] = {
    "/pods": _POD,
    "/namespaces": [NAME, _text_column("Status", "status.phase"), AGE],
    "/configmaps": [NAME, Column("Data", "integer", _len_of("data", "binaryData")), AGE],
    "/secrets": [NAME, _text_column("Type", "type"),
                 Column("Data", "integer", _len_of("data")), AGE],
    "/serviceaccounts": [NAME, Column("Secrets", "integer", _len_of("secrets")), AGE],
    "/services": _SERVICE,
    "/endpoints": [NAME, Column("Endpoints", "string", _endpoints), AGE],
    "/nodes": _NODE,
    "/persistentvolumes": _PV,
    "/persistentvolumeclaims": _PVC,
    "/events": _EVENT,
    "/replicationcontrollers": _RC,
    "/podtemplates": _POD_TEMPLATE,
    "/resourcequotas": [NAME, AGE, Column("Request", "string", _quota(False)),
                        Column("Limit", "string", _quota(True))],
    "/limitranges": [NAME, CREATED_AT],
    "/componentstatuses": [NAME, Column("Status", "string", _component_status),
                           Column("Message", "string", _component_text("message")),
                           Column("Error", "string", _component_text("error"))],
    "apps/deployments": _DEPLOYMENT,
    "apps/replicasets": _REPLICASET,
    "apps/statefulsets": _STATEFULSET,
    "apps/daemonsets": _DAEMONSET,
    "apps/controllerrevisions": _CONTROLLER_REVISION,
    "batch/jobs": _JOB,
    "batch/cronjobs": _CRONJOB,
    "autoscaling/horizontalpodautoscalers": _HPA,
    "policy/poddisruptionbudgets": _PDB,
    "networking.k8s.io/ingresses": _INGRESS,
    "networking.k8s.io/ingressclasses": [
        NAME, _text_column("Controller", "spec.controller"),
        Column("Parameters", "string", _ingress_class_parameters), AGE],
    "networking.k8s.io/networkpolicies": [
        NAME, Column("Pod-Selector", "string",
                     lambda o: format_selector(_get(o, "spec.podSelector"), "<none>")), AGE],
    "discovery.k8s.io/endpointslices": [
        NAME, _text_column("AddressType", "addressType"),
        Column("Ports", "string", _endpoint_slice_ports),
        Column("Endpoints", "string", _endpoint_slice_endpoints), AGE],
    "coordination.k8s.io/leases": [NAME, _text_column("Holder", "spec.holderIdentity"), AGE],
    "rbac.authorization.k8s.io/roles": [NAME, CREATED_AT],
    "rbac.authorization.k8s.io/clusterroles": [NAME, CREATED_AT],
    "rbac.authorization.k8s.io/rolebindings": _BINDING,
    "rbac.authorization.k8s.io/clusterrolebindings": _BINDING,
    "storage.k8s.io/storageclasses": [
        Column("Name", "string", _storage_class_name, 0, "name"),
        _text_column("Provisioner", "provisioner"),
        _text_column("ReclaimPolicy", "reclaimPolicy", "Delete"),
        _text_column("VolumeBindingMode", "volumeBindingMode", "Immediate"),
        Column("AllowVolumeExpansion", "string", lambda o: bool(_get(o, "allowVolumeExpansion"))),
        AGE],
    "storage.k8s.io/csidrivers": [
        NAME, Column("AttachRequired", "boolean", lambda o: _get(o, "spec.attachRequired")
                     is not False),
        Column("PodInfoOnMount", "boolean", lambda o: bool(_get(o, "spec.podInfoOnMount"))),
        Column("StorageCapacity", "boolean", lambda o: bool(_get(o, "spec.storageCapacity"))),
        Column("TokenRequests", "string", lambda o: ",".join(
            str(t.get("audience", "")) for t in _list(o, "spec.tokenRequests")
            if isinstance(t, dict)) or "<unset>"),
        Column("RequiresRepublish", "boolean",
               lambda o: bool(_get(o, "spec.requiresRepublish"))),
        Column("Modes", "string", lambda o: ",".join(
            str(m) for m in _list(o, "spec.volumeLifecycleModes")) or "<none>"), AGE],
    "storage.k8s.io/csinodes": [NAME, Column("Drivers", "integer", _len_of("spec.drivers")),
                                AGE],
    "storage.k8s.io/volumeattachments": [
        NAME, _text_column("Attacher", "spec.attacher"),
        _text_column("PV", "spec.source.persistentVolumeName"),
        _text_column("Node", "spec.nodeName"),
        Column("Attached", "boolean", lambda o: bool(_get(o, "status.attached"))), AGE],
    "storage.k8s.io/csistoragecapacities": [
        NAME, _text_column("StorageClassName", "storageClassName"),
        _text_column("Capacity", "capacity"), AGE],
    "scheduling.k8s.io/priorityclasses": [
        NAME, _int_column("Value", "value"),
        Column("Global-Default", "boolean", lambda o: bool(_get(o, "globalDefault"))), AGE,
        _text_column("PreemptionPolicy", "preemptionPolicy", "PreemptLowerPriority")],
    "node.k8s.io/runtimeclasses": [NAME, _text_column("Handler", "handler"), AGE],
    "certificates.k8s.io/certificatesigningrequests": [
        NAME, AGE, _text_column("SignerName", "spec.signerName"),
        _text_column("Requestor", "spec.username"),
        Column("RequestedDuration", "string", lambda o: human_duration(
            _int(o, "spec.expirationSeconds")) if _get(o, "spec.expirationSeconds")
            else "<none>"),
        Column("Condition", "string", _csr_condition)],
    "admissionregistration.k8s.io/mutatingwebhookconfigurations": _WEBHOOKS,
    "admissionregistration.k8s.io/validatingwebhookconfigurations": _WEBHOOKS,
    "admissionregistration.k8s.io/validatingadmissionpolicies": [
        NAME, Column("Validations", "integer", _len_of("spec.validations")),
        Column("ParamKind", "string", lambda o: (
            f"{_text(o, 'spec.paramKind.apiVersion')}/{_text(o, 'spec.paramKind.kind')}"
            if _get(o, "spec.paramKind") else "<unset>")), AGE],
    "admissionregistration.k8s.io/validatingadmissionpolicybindings": [
        NAME, _text_column("PolicyName", "spec.policyName"),
        Column("ParamRef", "string", lambda o: "<unset>" if not _get(o, "spec.paramRef")
               else f"{_text(o, 'spec.paramRef.namespace')}/{_text(o, 'spec.paramRef.name')}"
               .lstrip("/")), AGE],
    "apiregistration.k8s.io/apiservices": [
        NAME, Column("Service", "string", _api_service_service),
        Column("Available", "string", _api_service_available), AGE],
    "flowcontrol.apiserver.k8s.io/flowschemas": [
        NAME, _text_column("PriorityLevel", "spec.priorityLevelConfiguration.name"),
        _int_column("MatchingPrecedence", "spec.matchingPrecedence"),
        _text_column("DistinguisherMethod", "spec.distinguisherMethod.type", "<none>"), AGE,
        Column("MissingPL", "string", lambda o: str(
            (_condition(o, "Dangling") or {}).get("status", "?")))],
    "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations": [
        NAME, _text_column("Type", "spec.type"),
        _text_column("NominalConcurrencyShares",
                     "spec.limited.nominalConcurrencyShares", "<none>"),
        _text_column("Queues", "spec.limited.limitResponse.queuing.queues", "<none>"),
        _text_column("HandSize", "spec.limited.limitResponse.queuing.handSize", "<none>"),
        _text_column("QueueLengthLimit",
                     "spec.limited.limitResponse.queuing.queueLengthLimit", "<none>"), AGE],
}

#: What a resource without a printer gets (the default table convertor).
DEFAULT = [NAME, CREATED_AT]


def printer_columns(key: str) -> list[Column] | None:
    """The printer columns of the built-in resource ``key`` (``"/pods"``,
    ``"apps/deployments"``), None when it has no printer.

    Example::

        [c.name for c in printer_columns("batch/jobs") or []][:5]
        # ["Name", "Status", "Completions", "Duration", "Age"]
    """
    return COLUMNS.get(key)
