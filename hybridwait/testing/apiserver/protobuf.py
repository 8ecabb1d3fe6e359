"""Protobuf request bodies (``application/vnd.kubernetes.protobuf``), as
kubectl's typed commands send them (``kubectl create namespace|configmap|
secret|deployment|service|job|role...``): the ``k8s\\x00`` envelope (a
``runtime.Unknown`` with the object's ``apiVersion``/``kind`` and its bytes)
and the object itself, decoded into the JSON form the emulator stores.
Responses stay JSON, which kubectl accepts (it asks for protobuf *or* JSON).

The decoder is table-driven: :data:`MESSAGES` lists, for every message the
supported kinds can contain, each field's protobuf number, JSON name and type
(taken from the Kubernetes 1.32 ``generated.proto`` files and the Go types'
``json`` tags, see ``tests/apiserver/make_protobuf_table.py``). It writes what
Go's JSON encoding of the same object writes: zero scalars of ``omitempty``
fields are left out, pointer fields keep explicit zeros (``replicas: 0``),
empty structs stay ``{}``, a zero ``Time`` is left out. Unknown field numbers
are skipped, as the real server's decoder does. A malformed body is a 400
``BadRequest`` Status; a kind outside the table is a 415.

Example::

    obj = decode(body)   # {"apiVersion": "v1", "kind": "Namespace", "metadata": {...}}
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import struct
from collections.abc import Iterator
from typing import Any, NamedTuple

from hybridwait.testing.apiserver.errors import StatusError, bad_request

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# Wire types.
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The bytes are not a well-formed message.

    Example::

        raise ProtobufError("unexpected EOF")
    """


class Field(NamedTuple):
    """One field of a message: JSON ``name`` and type code (``s`` string, ``y``
    bytes, ``i`` integer, ``b`` bool, ``d`` double, ``Time``, ``IntOrString``,
    ``Quantity``, ``Raw`` (embedded JSON), ``StringList`` or a message name).

    Example::

        Field("replicas", "i", False, False, True, False)
    """

    name: str
    type: str
    repeated: bool
    map_values: bool  # map<string, type>
    keep_zero: bool   # a pointer or non-omitempty scalar: explicit zeros are kept
    inline: bool      # fields merged into the parent (json:",inline")


class Envelope(NamedTuple):
    """The decoded ``runtime.Unknown`` envelope.

    Example::

        envelope(body).kind   # "Deployment"
    """

    api_version: str
    kind: str
    raw: bytes
    content_encoding: str
    content_type: str


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ProtobufError("unexpected EOF")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7
        if shift >= 70:
            raise ProtobufError("integer overflow")


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """``(number, wire type, value)`` of each field in ``buf`` (value: an int for
    varint and fixed-size fields, bytes for length-delimited ones).

    Example::

        list(fields(b"\x08\x02"))   # [(1, 0, 2)]
    """
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        if num == 0:
            raise ProtobufError("illegal tag 0")
        if wire == _VARINT:
            v, i = _varint(buf, i)
            yield num, wire, v
        elif wire == _LEN:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ProtobufError("unexpected EOF")
            yield num, wire, buf[i:i + n]
            i += n
        elif wire == _I64:
            if i + 8 > len(buf):
                raise ProtobufError("unexpected EOF")
            yield num, wire, int.from_bytes(buf[i:i + 8], "little")
            i += 8
        elif wire == _I32:
            if i + 4 > len(buf):
                raise ProtobufError("unexpected EOF")
            yield num, wire, int.from_bytes(buf[i:i + 4], "little")
            i += 4
        else:
            raise ProtobufError(f"illegal wireType {wire} for field {num}")


def envelope(body: bytes) -> Envelope:
    """Split the ``k8s\\x00`` + ``runtime.Unknown`` envelope.

    Example::

        envelope(body).api_version   # "apps/v1"
    """
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the protobuf envelope prefix")
    api_version = kind = encoding = ctype = ""
    raw = b""
    for num, wire, value in fields(body[len(MAGIC):]):
        if wire != _LEN or not isinstance(value, bytes):
            raise ProtobufError(f"wrong wireType {wire} for field {num} of Unknown")
        if num == 1:
            for n, w, v in fields(value):
                if w != _LEN or not isinstance(v, bytes):
                    raise ProtobufError(f"wrong wireType {w} for field {n} of TypeMeta")
                if n == 1:
                    api_version = _text(v)
                elif n == 2:
                    kind = _text(v)
        elif num == 2:
            raw = value
        elif num == 3:
            encoding = _text(value)
        elif num == 4:
            ctype = _text(value)
    return Envelope(api_version, kind, raw, encoding, ctype)


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf request body (see the module docstring).

    Raises a 400 ``StatusError`` for malformed bytes, 415 for a kind the
    emulator cannot decode.

    Example::

        decode(body)["kind"]   # "Namespace"
    """
    try:
        env = envelope(body)
        if env.content_encoding:
            raise StatusError(415, "UnsupportedMediaType",
                              f"unsupported protobuf content encoding {env.content_encoding!r}")
        if not env.kind:
            raise ProtobufError("the protobuf envelope names no kind")
        if env.kind not in _table():
            raise StatusError(
                415, "UnsupportedMediaType",
                f"the emulator cannot decode a protobuf {env.kind}; send it as "
                "application/json")
        obj: dict[str, Any] = {"apiVersion": env.api_version, "kind": env.kind}
        obj.update(_message(env.raw, env.kind))
        return obj
    except ProtobufError as exc:
        raise bad_request(f"proto: {exc}") from None


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError("invalid UTF-8 in a string field") from None


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _time(buf: bytes, micro: bool) -> str | None:
    seconds = nanos = 0
    for num, _wire, value in fields(buf):
        if isinstance(value, int):
            if num == 1:
                seconds = _signed(value)
            elif num == 2:
                nanos = _signed(value)
    if seconds == 0 and nanos == 0:
        return None
    t = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    if micro:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos // 1000:06d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(buf: bytes) -> int | str:
    kind = 0
    int_val = 0
    str_val = ""
    for num, _wire, value in fields(buf):
        if num == 1 and isinstance(value, int):
            kind = value
        elif num == 2 and isinstance(value, int):
            int_val = _signed(value) & 0xFFFFFFFF
            int_val = int_val - (1 << 32) if int_val >= 1 << 31 else int_val
        elif num == 3 and isinstance(value, bytes):
            str_val = _text(value)
    return str_val if kind == 1 else int_val


def _first_bytes(buf: bytes) -> bytes:
    for num, _wire, value in fields(buf):
        if num == 1 and isinstance(value, bytes):
            return value
    return b""


def _scalar(f: Field, wire: int, value: int | bytes) -> Any:
    t = f.type
    if t in ("s", "y"):
        if not isinstance(value, bytes):
            raise ProtobufError(f"wrong wireType {wire} for field {f.name}")
        return _text(value) if t == "s" else base64.b64encode(value).decode()
    if t == "d":
        if wire != _I64 or not isinstance(value, int):
            raise ProtobufError(f"wrong wireType {wire} for field {f.name}")
        return struct.unpack("<d", value.to_bytes(8, "little"))[0]
    if not isinstance(value, int):
        raise ProtobufError(f"wrong wireType {wire} for field {f.name}")
    return bool(value) if t == "b" else _signed(value)


def _packed(f: Field, value: bytes) -> list[Any]:
    out: list[Any] = []
    i = 0
    while i < len(value):
        v, i = _varint(value, i)
        out.append(bool(v) if f.type == "b" else _signed(v))
    return out


def _value(f: Field, wire: int, value: int | bytes) -> Any:
    """One decoded value of field ``f`` (None: the JSON form leaves it out)."""
    t = f.type
    if t in ("s", "y", "i", "b", "d"):
        return _scalar(f, wire, value)
    if not isinstance(value, bytes):
        raise ProtobufError(f"wrong wireType {wire} for field {f.name}")
    if t in ("Time", "MicroTime"):
        return _time(value, t == "MicroTime")
    if t == "IntOrString":
        return _int_or_string(value)
    if t == "Quantity":
        q = _text(_first_bytes(value))
        return q or None
    if t == "StringList":  # a message wrapping "repeated string items = 1"
        return [_text(v) for n, _w, v in fields(value) if n == 1 and isinstance(v, bytes)]
    if t == "Raw":
        raw = _first_bytes(value)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ProtobufError(f"field {f.name} holds invalid JSON") from None
    return _message(value, t)


def _message(buf: bytes, name: str) -> dict[str, Any]:
    table = _table()[name]
    out: dict[str, Any] = {}
    for num, wire, value in fields(buf):
        f = table.get(num)
        if f is None:
            continue  # unknown fields are skipped, as by the server's decoder
        if f.map_values:
            if not isinstance(value, bytes):
                raise ProtobufError(f"wrong wireType {wire} for map {f.name}")
            key, item = "", None
            for n, w, v in fields(value):
                if n == 1:
                    if not isinstance(v, bytes):
                        raise ProtobufError(f"wrong wireType {w} for a key of {f.name}")
                    key = _text(v)
                elif n == 2:
                    item = _value(f, w, v)
            if item is None:
                item = "" if f.type in ("s", "y") else {} if f.type not in (
                    "i", "b", "d", "Quantity", "Time") else None
            out.setdefault(f.name, {})[key] = item
            continue
        if f.repeated:
            items = out.setdefault(f.name, [])
            if wire == _LEN and f.type in ("i", "b") and isinstance(value, bytes):
                items.extend(_packed(f, value))
            else:
                item = _value(f, wire, value)
                items.append("" if item is None and f.type in ("s", "y") else item)
            continue
        item = _value(f, wire, value)
        if item is None:
            out.pop(f.name, None)
            continue
        if f.inline and isinstance(item, dict):
            out.update(item)
            continue
        if not f.keep_zero and f.type in ("s", "y", "i", "b", "d") and not item:
            out.pop(f.name, None)
            continue
        out[f.name] = item
    return out


@functools.cache
def _table() -> dict[str, dict[int, Field]]:
    table: dict[str, dict[int, Field]] = {}
    for message, spec in MESSAGES.items():
        by_num: dict[int, Field] = {}
        for item in spec.split():
            name, rest = item.split("=", 1)
            num, typ = rest.split(":", 1)
            base = typ.rstrip("*?^")
            flags = typ[len(base):]
            is_map = base.startswith("{")
            by_num[int(num)] = Field(name, base.lstrip("{"), "*" in flags, is_map,
                                     "?" in flags, "^" in flags)
        table[message] = by_num
    return table


# Message -> "jsonName=number:type[flags]"; flags: * repeated, ? pointer or
# non-omitempty scalar (zeros kept), ^ inlined into the parent; {T is a
# map<string, T>. Generated from Kubernetes 1.32 (k8s.io/api and
# k8s.io/apimachinery v0.32.9) by tests/apiserver/make_protobuf_table.py.
MESSAGES: dict[str, str] = {
    "AWSElasticBlockStoreVolumeSource": "volumeID=1:s? fsType=2:s partition=3:i readOnly=4:b",
    "Affinity": (
        "nodeAffinity=1:NodeAffinity podAffinity=2:PodAffinity "
        "podAntiAffinity=3:PodAntiAffinity"
    ),
    "AggregationRule": "clusterRoleSelectors=1:LabelSelector*",
    "AppArmorProfile": "type=1:s? localhostProfile=2:s?",
    "AzureDiskVolumeSource": (
        "diskName=1:s? diskURI=2:s? cachingMode=3:s? fsType=4:s? readOnly=5:b? kind=6:s?"
    ),
    "AzureFileVolumeSource": "secretName=1:s? shareName=2:s? readOnly=3:b",
    "Binding": "metadata=1:ObjectMeta target=2:ObjectReference",
    "BoundObjectReference": "kind=1:s apiVersion=2:s name=3:s uid=4:s",
    "CSIVolumeSource": (
        "driver=1:s? readOnly=2:b? fsType=3:s? volumeAttributes=4:{s "
        "nodePublishSecretRef=5:LocalObjectReference"
    ),
    "Capabilities": "add=1:s* drop=2:s*",
    "CephFSVolumeSource": (
        "monitors=1:s*? path=2:s user=3:s secretFile=4:s secretRef=5:LocalObjectReference "
        "readOnly=6:b"
    ),
    "CinderVolumeSource": "volumeID=1:s? fsType=2:s readOnly=3:b secretRef=4:LocalObjectReference",
    "ClientIPConfig": "timeoutSeconds=1:i?",
    "ClusterRole": "metadata=1:ObjectMeta rules=2:PolicyRule* aggregationRule=3:AggregationRule",
    "ClusterRoleBinding": "metadata=1:ObjectMeta subjects=2:Subject* roleRef=3:RoleRef",
    "ClusterTrustBundleProjection": (
        "name=1:s? signerName=2:s? labelSelector=3:LabelSelector optional=5:b? path=4:s?"
    ),
    "Condition": (
        "type=1:s? status=2:s? observedGeneration=3:i lastTransitionTime=4:Time reason=5:s? "
        "message=6:s?"
    ),
    "ConfigMap": "metadata=1:ObjectMeta immutable=4:b? data=2:{s binaryData=3:{y",
    "ConfigMapEnvSource": "localObjectReference=1:LocalObjectReference^ optional=2:b?",
    "ConfigMapKeySelector": "localObjectReference=1:LocalObjectReference^ key=2:s? optional=3:b?",
    "ConfigMapProjection": (
        "localObjectReference=1:LocalObjectReference^ items=2:KeyToPath* optional=4:b?"
    ),
    "ConfigMapVolumeSource": (
        "localObjectReference=1:LocalObjectReference^ items=2:KeyToPath* defaultMode=3:i? "
        "optional=4:b?"
    ),
    "Container": (
        "name=1:s? image=2:s command=3:s* args=4:s* workingDir=5:s ports=6:ContainerPort* "
        "envFrom=19:EnvFromSource* env=7:EnvVar* resources=8:ResourceRequirements "
        "resizePolicy=23:ContainerResizePolicy* restartPolicy=24:s? "
        "volumeMounts=9:VolumeMount* volumeDevices=21:VolumeDevice* livenessProbe=10:Probe "
        "readinessProbe=11:Probe startupProbe=22:Probe lifecycle=12:Lifecycle "
        "terminationMessagePath=13:s terminationMessagePolicy=20:s imagePullPolicy=14:s "
        "securityContext=15:SecurityContext stdin=16:b stdinOnce=17:b tty=18:b"
    ),
    "ContainerPort": "name=1:s hostPort=2:i containerPort=3:i? protocol=4:s hostIP=5:s",
    "ContainerResizePolicy": "resourceName=1:s? restartPolicy=2:s?",
    "ContainerState": (
        "waiting=1:ContainerStateWaiting running=2:ContainerStateRunning "
        "terminated=3:ContainerStateTerminated"
    ),
    "ContainerStateRunning": "startedAt=1:Time",
    "ContainerStateTerminated": (
        "exitCode=1:i? signal=2:i reason=3:s message=4:s startedAt=5:Time finishedAt=6:Time "
        "containerID=7:s"
    ),
    "ContainerStateWaiting": "reason=1:s message=2:s",
    "ContainerStatus": (
        "name=1:s? state=2:ContainerState lastState=3:ContainerState ready=4:b? "
        "restartCount=5:i? image=6:s? imageID=7:s? containerID=8:s started=9:b? "
        "allocatedResources=10:{Quantity resources=11:ResourceRequirements "
        "volumeMounts=12:VolumeMountStatus* user=13:ContainerUser "
        "allocatedResourcesStatus=14:ResourceStatus*"
    ),
    "ContainerUser": "linux=1:LinuxContainerUser",
    "CronJob": "metadata=1:ObjectMeta spec=2:CronJobSpec status=3:CronJobStatus",
    "CronJobSpec": (
        "schedule=1:s? timeZone=8:s? startingDeadlineSeconds=2:i? concurrencyPolicy=3:s "
        "suspend=4:b? jobTemplate=5:JobTemplateSpec successfulJobsHistoryLimit=6:i? "
        "failedJobsHistoryLimit=7:i?"
    ),
    "CronJobStatus": "active=1:ObjectReference* lastScheduleTime=4:Time lastSuccessfulTime=5:Time",
    "DeleteOptions": (
        "gracePeriodSeconds=1:i? preconditions=2:Preconditions orphanDependents=3:b? "
        "propagationPolicy=4:s? dryRun=5:s* "
        "ignoreStoreReadErrorWithClusterBreakingPotential=6:b?"
    ),
    "Deployment": "metadata=1:ObjectMeta spec=2:DeploymentSpec status=3:DeploymentStatus",
    "DeploymentCondition": (
        "type=1:s? status=2:s? lastUpdateTime=6:Time lastTransitionTime=7:Time reason=4:s "
        "message=5:s"
    ),
    "DeploymentSpec": (
        "replicas=1:i? selector=2:LabelSelector template=3:PodTemplateSpec "
        "strategy=4:DeploymentStrategy minReadySeconds=5:i revisionHistoryLimit=6:i? "
        "paused=7:b progressDeadlineSeconds=9:i?"
    ),
    "DeploymentStatus": (
        "observedGeneration=1:i replicas=2:i updatedReplicas=3:i readyReplicas=7:i "
        "availableReplicas=4:i unavailableReplicas=5:i conditions=6:DeploymentCondition* "
        "collisionCount=8:i?"
    ),
    "DeploymentStrategy": "type=1:s rollingUpdate=2:RollingUpdateDeployment",
    "DownwardAPIProjection": "items=1:DownwardAPIVolumeFile*",
    "DownwardAPIVolumeFile": (
        "path=1:s? fieldRef=2:ObjectFieldSelector resourceFieldRef=3:ResourceFieldSelector "
        "mode=4:i?"
    ),
    "DownwardAPIVolumeSource": "items=1:DownwardAPIVolumeFile* defaultMode=2:i?",
    "EmptyDirVolumeSource": "medium=1:s sizeLimit=2:Quantity",
    "EnvFromSource": "prefix=1:s configMapRef=2:ConfigMapEnvSource secretRef=3:SecretEnvSource",
    "EnvVar": "name=1:s? value=2:s valueFrom=3:EnvVarSource",
    "EnvVarSource": (
        "fieldRef=1:ObjectFieldSelector resourceFieldRef=2:ResourceFieldSelector "
        "configMapKeyRef=3:ConfigMapKeySelector secretKeyRef=4:SecretKeySelector"
    ),
    "EphemeralContainer": (
        "ephemeralContainerCommon=1:EphemeralContainerCommon^ targetContainerName=2:s"
    ),
    "EphemeralContainerCommon": (
        "name=1:s? image=2:s command=3:s* args=4:s* workingDir=5:s ports=6:ContainerPort* "
        "envFrom=19:EnvFromSource* env=7:EnvVar* resources=8:ResourceRequirements "
        "resizePolicy=23:ContainerResizePolicy* restartPolicy=24:s? "
        "volumeMounts=9:VolumeMount* volumeDevices=21:VolumeDevice* livenessProbe=10:Probe "
        "readinessProbe=11:Probe startupProbe=22:Probe lifecycle=12:Lifecycle "
        "terminationMessagePath=13:s terminationMessagePolicy=20:s imagePullPolicy=14:s "
        "securityContext=15:SecurityContext stdin=16:b stdinOnce=17:b tty=18:b"
    ),
    "EphemeralVolumeSource": "volumeClaimTemplate=1:PersistentVolumeClaimTemplate",
    "Eviction": "metadata=1:ObjectMeta deleteOptions=2:DeleteOptions",
    "ExecAction": "command=1:s*",
    "FCVolumeSource": "targetWWNs=1:s* lun=2:i? fsType=3:s readOnly=4:b wwids=5:s*",
    "FieldSelectorAttributes": "rawSelector=1:s requirements=2:FieldSelectorRequirement*",
    "FieldSelectorRequirement": "key=1:s? operator=2:s? values=3:s*",
    "FlexVolumeSource": (
        "driver=1:s? fsType=2:s secretRef=3:LocalObjectReference readOnly=4:b options=5:{s"
    ),
    "FlockerVolumeSource": "datasetName=1:s datasetUUID=2:s",
    "GCEPersistentDiskVolumeSource": "pdName=1:s? fsType=2:s partition=3:i readOnly=4:b",
    "GRPCAction": "port=1:i? service=2:s?",
    "GitRepoVolumeSource": "repository=1:s? revision=2:s directory=3:s",
    "GlusterfsVolumeSource": "endpoints=1:s? path=2:s? readOnly=3:b",
    "HTTPGetAction": "path=1:s port=2:IntOrString host=3:s scheme=4:s httpHeaders=5:HTTPHeader*",
    "HTTPHeader": "name=1:s? value=2:s?",
    "HTTPIngressPath": "path=1:s pathType=3:s? backend=2:IngressBackend",
    "HTTPIngressRuleValue": "paths=1:HTTPIngressPath*",
    "HostAlias": "ip=1:s? hostnames=2:s*",
    "HostIP": "ip=1:s?",
    "HostPathVolumeSource": "path=1:s? type=2:s?",
    "ISCSIVolumeSource": (
        "targetPortal=1:s? iqn=2:s? lun=3:i? iscsiInterface=4:s fsType=5:s readOnly=6:b "
        "portals=7:s* chapAuthDiscovery=8:b chapAuthSession=11:b "
        "secretRef=10:LocalObjectReference initiatorName=12:s?"
    ),
    "ImageVolumeSource": "reference=1:s pullPolicy=2:s",
    "Ingress": "metadata=1:ObjectMeta spec=2:IngressSpec status=3:IngressStatus",
    "IngressBackend": "service=4:IngressServiceBackend resource=3:TypedLocalObjectReference",
    "IngressLoadBalancerIngress": "ip=1:s hostname=2:s ports=4:IngressPortStatus*",
    "IngressLoadBalancerStatus": "ingress=1:IngressLoadBalancerIngress*",
    "IngressPortStatus": "port=1:i? protocol=2:s? error=3:s?",
    "IngressRule": "host=1:s ingressRuleValue=2:IngressRuleValue^",
    "IngressRuleValue": "http=1:HTTPIngressRuleValue",
    "IngressServiceBackend": "name=1:s? port=2:ServiceBackendPort",
    "IngressSpec": (
        "ingressClassName=4:s? defaultBackend=1:IngressBackend tls=2:IngressTLS* "
        "rules=3:IngressRule*"
    ),
    "IngressStatus": "loadBalancer=1:IngressLoadBalancerStatus",
    "IngressTLS": "hosts=1:s* secretName=2:s",
    "Job": "metadata=1:ObjectMeta spec=2:JobSpec status=3:JobStatus",
    "JobCondition": (
        "type=1:s? status=2:s? lastProbeTime=3:Time lastTransitionTime=4:Time reason=5:s "
        "message=6:s"
    ),
    "JobSpec": (
        "parallelism=1:i? completions=2:i? activeDeadlineSeconds=3:i? "
        "podFailurePolicy=11:PodFailurePolicy successPolicy=16:SuccessPolicy "
        "backoffLimit=7:i? backoffLimitPerIndex=12:i? maxFailedIndexes=13:i? "
        "selector=4:LabelSelector manualSelector=5:b? template=6:PodTemplateSpec "
        "ttlSecondsAfterFinished=8:i? completionMode=9:s? suspend=10:b? "
        "podReplacementPolicy=14:s? managedBy=15:s?"
    ),
    "JobStatus": (
        "conditions=1:JobCondition* startTime=2:Time completionTime=3:Time active=4:i "
        "succeeded=5:i failed=6:i terminating=11:i? completedIndexes=7:s failedIndexes=10:s? "
        "uncountedTerminatedPods=8:UncountedTerminatedPods ready=9:i?"
    ),
    "JobTemplateSpec": "metadata=1:ObjectMeta spec=2:JobSpec",
    "KeyToPath": "key=1:s? path=2:s? mode=3:i?",
    "LabelSelector": "matchLabels=1:{s matchExpressions=2:LabelSelectorRequirement*",
    "LabelSelectorAttributes": "rawSelector=1:s requirements=2:LabelSelectorRequirement*",
    "LabelSelectorRequirement": "key=1:s? operator=2:s? values=3:s*",
    "Lifecycle": "postStart=1:LifecycleHandler preStop=2:LifecycleHandler",
    "LifecycleHandler": (
        "exec=1:ExecAction httpGet=2:HTTPGetAction tcpSocket=3:TCPSocketAction "
        "sleep=4:SleepAction"
    ),
    "LinuxContainerUser": "uid=1:i? gid=2:i? supplementalGroups=3:i*",
    "LoadBalancerIngress": "ip=1:s hostname=2:s ipMode=3:s? ports=4:PortStatus*",
    "LoadBalancerStatus": "ingress=1:LoadBalancerIngress*",
    "LocalObjectReference": "name=1:s",
    "LocalSubjectAccessReview": (
        "metadata=1:ObjectMeta spec=2:SubjectAccessReviewSpec "
        "status=3:SubjectAccessReviewStatus"
    ),
    "ManagedFieldsEntry": (
        "manager=1:s operation=2:s apiVersion=3:s time=4:Time fieldsType=6:s fieldsV1=7:Raw "
        "subresource=8:s"
    ),
    "NFSVolumeSource": "server=1:s? path=2:s? readOnly=3:b",
    "Namespace": "metadata=1:ObjectMeta spec=2:NamespaceSpec status=3:NamespaceStatus",
    "NamespaceCondition": "type=1:s? status=2:s? lastTransitionTime=4:Time reason=5:s message=6:s",
    "NamespaceSpec": "finalizers=1:s*",
    "NamespaceStatus": "phase=1:s conditions=2:NamespaceCondition*",
    "NodeAffinity": (
        "requiredDuringSchedulingIgnoredDuringExecution=1:NodeSelector "
        "preferredDuringSchedulingIgnoredDuringExecution=2:PreferredSchedulingTerm*"
    ),
    "NodeSelector": "nodeSelectorTerms=1:NodeSelectorTerm*",
    "NodeSelectorRequirement": "key=1:s? operator=2:s? values=3:s*",
    "NodeSelectorTerm": (
        "matchExpressions=1:NodeSelectorRequirement* matchFields=2:NodeSelectorRequirement*"
    ),
    "NonResourceAttributes": "path=1:s verb=2:s",
    "NonResourceRule": "verbs=1:s*? nonResourceURLs=2:s*",
    "ObjectFieldSelector": "apiVersion=1:s fieldPath=2:s?",
    "ObjectMeta": (
        "name=1:s generateName=2:s namespace=3:s selfLink=4:s uid=5:s resourceVersion=6:s "
        "generation=7:i creationTimestamp=8:Time deletionTimestamp=9:Time "
        "deletionGracePeriodSeconds=10:i? labels=11:{s annotations=12:{s "
        "ownerReferences=13:OwnerReference* finalizers=14:s* "
        "managedFields=17:ManagedFieldsEntry*"
    ),
    "ObjectReference": (
        "kind=1:s namespace=2:s name=3:s uid=4:s apiVersion=5:s resourceVersion=6:s "
        "fieldPath=7:s"
    ),
    "OwnerReference": (
        "apiVersion=5:s? kind=1:s? name=3:s? uid=4:s? controller=6:b? blockOwnerDeletion=7:b?"
    ),
    "PersistentVolumeClaimSpec": (
        "accessModes=1:s* selector=4:LabelSelector resources=2:VolumeResourceRequirements "
        "volumeName=3:s storageClassName=5:s? volumeMode=6:s? "
        "dataSource=7:TypedLocalObjectReference dataSourceRef=8:TypedObjectReference "
        "volumeAttributesClassName=9:s?"
    ),
    "PersistentVolumeClaimTemplate": "metadata=1:ObjectMeta spec=2:PersistentVolumeClaimSpec",
    "PersistentVolumeClaimVolumeSource": "claimName=1:s? readOnly=2:b",
    "PhotonPersistentDiskVolumeSource": "pdID=1:s? fsType=2:s",
    "Pod": "metadata=1:ObjectMeta spec=2:PodSpec status=3:PodStatus",
    "PodAffinity": (
        "requiredDuringSchedulingIgnoredDuringExecution=1:PodAffinityTerm* "
        "preferredDuringSchedulingIgnoredDuringExecution=2:WeightedPodAffinityTerm*"
    ),
    "PodAffinityTerm": (
        "labelSelector=1:LabelSelector namespaces=2:s* topologyKey=3:s? "
        "namespaceSelector=4:LabelSelector matchLabelKeys=5:s* mismatchLabelKeys=6:s*"
    ),
    "PodAntiAffinity": (
        "requiredDuringSchedulingIgnoredDuringExecution=1:PodAffinityTerm* "
        "preferredDuringSchedulingIgnoredDuringExecution=2:WeightedPodAffinityTerm*"
    ),
    "PodCondition": (
        "type=1:s? status=2:s? lastProbeTime=3:Time lastTransitionTime=4:Time reason=5:s "
        "message=6:s"
    ),
    "PodDNSConfig": "nameservers=1:s* searches=2:s* options=3:PodDNSConfigOption*",
    "PodDNSConfigOption": "name=1:s value=2:s?",
    "PodDisruptionBudget": (
        "metadata=1:ObjectMeta spec=2:PodDisruptionBudgetSpec "
        "status=3:PodDisruptionBudgetStatus"
    ),
    "PodDisruptionBudgetSpec": (
        "minAvailable=1:IntOrString selector=2:LabelSelector maxUnavailable=3:IntOrString "
        "unhealthyPodEvictionPolicy=4:s?"
    ),
    "PodDisruptionBudgetStatus": (
        "observedGeneration=1:i disruptedPods=2:{Time disruptionsAllowed=3:i? "
        "currentHealthy=4:i? desiredHealthy=5:i? expectedPods=6:i? conditions=7:Condition*"
    ),
    "PodFailurePolicy": "rules=1:PodFailurePolicyRule*",
    "PodFailurePolicyOnExitCodesRequirement": "containerName=1:s? operator=2:s? values=3:i*?",
    "PodFailurePolicyOnPodConditionsPattern": "type=1:s? status=2:s?",
    "PodFailurePolicyRule": (
        "action=1:s? onExitCodes=2:PodFailurePolicyOnExitCodesRequirement "
        "onPodConditions=3:PodFailurePolicyOnPodConditionsPattern*"
    ),
    "PodIP": "ip=1:s?",
    "PodOS": "name=1:s?",
    "PodReadinessGate": "conditionType=1:s?",
    "PodResourceClaim": "name=1:s? resourceClaimName=3:s? resourceClaimTemplateName=4:s?",
    "PodResourceClaimStatus": "name=1:s? resourceClaimName=2:s?",
    "PodSchedulingGate": "name=1:s?",
    "PodSecurityContext": (
        "seLinuxOptions=1:SELinuxOptions windowsOptions=8:WindowsSecurityContextOptions "
        "runAsUser=2:i? runAsGroup=6:i? runAsNonRoot=3:b? supplementalGroups=4:i* "
        "supplementalGroupsPolicy=12:s? fsGroup=5:i? sysctls=7:Sysctl* "
        "fsGroupChangePolicy=9:s? seccompProfile=10:SeccompProfile "
        "appArmorProfile=11:AppArmorProfile seLinuxChangePolicy=13:s?"
    ),
    "PodSpec": (
        "volumes=1:Volume* initContainers=20:Container* containers=2:Container* "
        "ephemeralContainers=34:EphemeralContainer* restartPolicy=3:s "
        "terminationGracePeriodSeconds=4:i? activeDeadlineSeconds=5:i? dnsPolicy=6:s "
        "nodeSelector=7:{s serviceAccountName=8:s serviceAccount=9:s "
        "automountServiceAccountToken=21:b? nodeName=10:s hostNetwork=11:b hostPID=12:b "
        "hostIPC=13:b shareProcessNamespace=27:b? securityContext=14:PodSecurityContext "
        "imagePullSecrets=15:LocalObjectReference* hostname=16:s subdomain=17:s "
        "affinity=18:Affinity schedulerName=19:s tolerations=22:Toleration* "
        "hostAliases=23:HostAlias* priorityClassName=24:s priority=25:i? "
        "dnsConfig=26:PodDNSConfig readinessGates=28:PodReadinessGate* runtimeClassName=29:s? "
        "enableServiceLinks=30:b? preemptionPolicy=31:s? overhead=32:{Quantity "
        "topologySpreadConstraints=33:TopologySpreadConstraint* setHostnameAsFQDN=35:b? "
        "os=36:PodOS hostUsers=37:b? schedulingGates=38:PodSchedulingGate* "
        "resourceClaims=39:PodResourceClaim* resources=40:ResourceRequirements"
    ),
    "PodStatus": (
        "phase=1:s conditions=2:PodCondition* message=3:s reason=4:s nominatedNodeName=11:s "
        "hostIP=5:s hostIPs=16:HostIP* podIP=6:s podIPs=12:PodIP* startTime=7:Time "
        "initContainerStatuses=10:ContainerStatus* containerStatuses=8:ContainerStatus* "
        "qosClass=9:s ephemeralContainerStatuses=13:ContainerStatus* resize=14:s "
        "resourceClaimStatuses=15:PodResourceClaimStatus*"
    ),
    "PodTemplateSpec": "metadata=1:ObjectMeta spec=2:PodSpec",
    "PolicyRule": (
        "verbs=1:s*? apiGroups=2:s* resources=3:s* resourceNames=4:s* nonResourceURLs=5:s*"
    ),
    "PortStatus": "port=1:i? protocol=2:s? error=3:s?",
    "PortworxVolumeSource": "volumeID=1:s? fsType=2:s readOnly=3:b",
    "Preconditions": "uid=1:s? resourceVersion=2:s?",
    "PreferredSchedulingTerm": "weight=1:i? preference=2:NodeSelectorTerm",
    "PriorityClass": (
        "metadata=1:ObjectMeta value=2:i? globalDefault=3:b description=4:s "
        "preemptionPolicy=5:s?"
    ),
    "Probe": (
        "handler=1:ProbeHandler^ initialDelaySeconds=2:i timeoutSeconds=3:i periodSeconds=4:i "
        "successThreshold=5:i failureThreshold=6:i terminationGracePeriodSeconds=7:i?"
    ),
    "ProbeHandler": (
        "exec=1:ExecAction httpGet=2:HTTPGetAction tcpSocket=3:TCPSocketAction "
        "grpc=4:GRPCAction"
    ),
    "ProjectedVolumeSource": "sources=1:VolumeProjection* defaultMode=2:i?",
    "QuobyteVolumeSource": "registry=1:s? volume=2:s? readOnly=3:b user=4:s group=5:s tenant=6:s",
    "RBDVolumeSource": (
        "monitors=1:s*? image=2:s? fsType=3:s pool=4:s user=5:s keyring=6:s "
        "secretRef=7:LocalObjectReference readOnly=8:b"
    ),
    "ResourceAttributes": (
        "namespace=1:s verb=2:s group=3:s version=4:s resource=5:s subresource=6:s name=7:s "
        "fieldSelector=8:FieldSelectorAttributes labelSelector=9:LabelSelectorAttributes"
    ),
    "ResourceClaim": "name=1:s? request=2:s",
    "ResourceFieldSelector": "containerName=1:s resource=2:s? divisor=3:Quantity",
    "ResourceHealth": "resourceID=1:s? health=2:s",
    "ResourceQuota": "metadata=1:ObjectMeta spec=2:ResourceQuotaSpec status=3:ResourceQuotaStatus",
    "ResourceQuotaSpec": "hard=1:{Quantity scopes=2:s* scopeSelector=3:ScopeSelector",
    "ResourceQuotaStatus": "hard=1:{Quantity used=2:{Quantity",
    "ResourceRequirements": "limits=1:{Quantity requests=2:{Quantity claims=3:ResourceClaim*",
    "ResourceRule": "verbs=1:s*? apiGroups=2:s* resources=3:s* resourceNames=4:s*",
    "ResourceStatus": "name=1:s? resources=2:ResourceHealth*",
    "Role": "metadata=1:ObjectMeta rules=2:PolicyRule*",
    "RoleBinding": "metadata=1:ObjectMeta subjects=2:Subject* roleRef=3:RoleRef",
    "RoleRef": "apiGroup=1:s? kind=2:s? name=3:s?",
    "RollingUpdateDeployment": "maxUnavailable=1:IntOrString maxSurge=2:IntOrString",
    "SELinuxOptions": "user=1:s role=2:s type=3:s level=4:s",
    "Scale": "metadata=1:ObjectMeta spec=2:ScaleSpec status=3:ScaleStatus",
    "ScaleIOVolumeSource": (
        "gateway=1:s? system=2:s? secretRef=3:LocalObjectReference sslEnabled=4:b "
        "protectionDomain=5:s storagePool=6:s storageMode=7:s volumeName=8:s fsType=9:s "
        "readOnly=10:b"
    ),
    "ScaleSpec": "replicas=1:i",
    "ScaleStatus": "replicas=1:i? selector=2:s",
    "ScopeSelector": "matchExpressions=1:ScopedResourceSelectorRequirement*",
    "ScopedResourceSelectorRequirement": "scopeName=1:s? operator=2:s? values=3:s*",
    "SeccompProfile": "type=1:s? localhostProfile=2:s?",
    "Secret": "metadata=1:ObjectMeta immutable=5:b? data=2:{y stringData=4:{s type=3:s",
    "SecretEnvSource": "localObjectReference=1:LocalObjectReference^ optional=2:b?",
    "SecretKeySelector": "localObjectReference=1:LocalObjectReference^ key=2:s? optional=3:b?",
    "SecretProjection": (
        "localObjectReference=1:LocalObjectReference^ items=2:KeyToPath* optional=4:b?"
    ),
    "SecretVolumeSource": "secretName=1:s items=2:KeyToPath* defaultMode=3:i? optional=4:b?",
    "SecurityContext": (
        "capabilities=1:Capabilities privileged=2:b? seLinuxOptions=3:SELinuxOptions "
        "windowsOptions=10:WindowsSecurityContextOptions runAsUser=4:i? runAsGroup=8:i? "
        "runAsNonRoot=5:b? readOnlyRootFilesystem=6:b? allowPrivilegeEscalation=7:b? "
        "procMount=9:s? seccompProfile=11:SeccompProfile appArmorProfile=12:AppArmorProfile"
    ),
    "SelfSubjectAccessReview": (
        "metadata=1:ObjectMeta spec=2:SelfSubjectAccessReviewSpec "
        "status=3:SubjectAccessReviewStatus"
    ),
    "SelfSubjectAccessReviewSpec": (
        "resourceAttributes=1:ResourceAttributes "
        "nonResourceAttributes=2:NonResourceAttributes"
    ),
    "SelfSubjectReview": "metadata=1:ObjectMeta status=2:SelfSubjectReviewStatus",
    "SelfSubjectReviewStatus": "userInfo=1:UserInfo",
    "SelfSubjectRulesReview": (
        "metadata=1:ObjectMeta spec=2:SelfSubjectRulesReviewSpec "
        "status=3:SubjectRulesReviewStatus"
    ),
    "SelfSubjectRulesReviewSpec": "namespace=1:s",
    "Service": "metadata=1:ObjectMeta spec=2:ServiceSpec status=3:ServiceStatus",
    "ServiceAccount": (
        "metadata=1:ObjectMeta secrets=2:ObjectReference* "
        "imagePullSecrets=3:LocalObjectReference* automountServiceAccountToken=4:b?"
    ),
    "ServiceAccountTokenProjection": "audience=1:s expirationSeconds=2:i? path=3:s?",
    "ServiceBackendPort": "name=1:s number=2:i",
    "ServicePort": (
        "name=1:s protocol=2:s appProtocol=6:s? port=3:i? targetPort=4:IntOrString "
        "nodePort=5:i"
    ),
    "ServiceSpec": (
        "ports=1:ServicePort* selector=2:{s clusterIP=3:s clusterIPs=18:s* type=4:s "
        "externalIPs=5:s* sessionAffinity=7:s loadBalancerIP=8:s "
        "loadBalancerSourceRanges=9:s* externalName=10:s externalTrafficPolicy=11:s "
        "healthCheckNodePort=12:i publishNotReadyAddresses=13:b "
        "sessionAffinityConfig=14:SessionAffinityConfig ipFamilies=19:s* ipFamilyPolicy=17:s? "
        "allocateLoadBalancerNodePorts=20:b? loadBalancerClass=21:s? "
        "internalTrafficPolicy=22:s? trafficDistribution=23:s?"
    ),
    "ServiceStatus": "loadBalancer=1:LoadBalancerStatus conditions=2:Condition*",
    "SessionAffinityConfig": "clientIP=1:ClientIPConfig",
    "SleepAction": "seconds=1:i?",
    "StorageOSVolumeSource": (
        "volumeName=1:s volumeNamespace=2:s fsType=3:s readOnly=4:b "
        "secretRef=5:LocalObjectReference"
    ),
    "Subject": "kind=1:s? apiGroup=2:s name=3:s? namespace=4:s",
    "SubjectAccessReview": (
        "metadata=1:ObjectMeta spec=2:SubjectAccessReviewSpec "
        "status=3:SubjectAccessReviewStatus"
    ),
    "SubjectAccessReviewSpec": (
        "resourceAttributes=1:ResourceAttributes "
        "nonResourceAttributes=2:NonResourceAttributes user=3:s groups=4:s* "
        "extra=5:{StringList uid=6:s"
    ),
    "SubjectAccessReviewStatus": "allowed=1:b? denied=4:b reason=2:s evaluationError=3:s",
    "SubjectRulesReviewStatus": (
        "resourceRules=1:ResourceRule* nonResourceRules=2:NonResourceRule* incomplete=3:b? "
        "evaluationError=4:s"
    ),
    "SuccessPolicy": "rules=1:SuccessPolicyRule*",
    "SuccessPolicyRule": "succeededIndexes=1:s? succeededCount=2:i?",
    "Sysctl": "name=1:s? value=2:s?",
    "TCPSocketAction": "port=1:IntOrString host=2:s",
    "TokenRequest": "metadata=1:ObjectMeta spec=2:TokenRequestSpec status=3:TokenRequestStatus",
    "TokenRequestSpec": (
        "audiences=1:s*? expirationSeconds=4:i? boundObjectRef=3:BoundObjectReference"
    ),
    "TokenRequestStatus": "token=1:s? expirationTimestamp=2:Time",
    "TokenReview": "metadata=1:ObjectMeta spec=2:TokenReviewSpec status=3:TokenReviewStatus",
    "TokenReviewSpec": "token=1:s audiences=2:s*",
    "TokenReviewStatus": "authenticated=1:b user=2:UserInfo audiences=4:s* error=3:s",
    "Toleration": "key=1:s operator=2:s value=3:s effect=4:s tolerationSeconds=5:i?",
    "TopologySpreadConstraint": (
        "maxSkew=1:i? topologyKey=2:s? whenUnsatisfiable=3:s? labelSelector=4:LabelSelector "
        "minDomains=5:i? nodeAffinityPolicy=6:s? nodeTaintsPolicy=7:s? matchLabelKeys=8:s*"
    ),
    "TypedLocalObjectReference": "apiGroup=1:s? kind=2:s? name=3:s?",
    "TypedObjectReference": "apiGroup=1:s? kind=2:s? name=3:s? namespace=4:s?",
    "UncountedTerminatedPods": "succeeded=1:s* failed=2:s*",
    "UserInfo": "username=1:s uid=2:s groups=3:s* extra=4:{StringList",
    "Volume": "name=1:s? volumeSource=2:VolumeSource^",
    "VolumeDevice": "name=1:s? devicePath=2:s?",
    "VolumeMount": (
        "name=1:s? readOnly=2:b recursiveReadOnly=7:s? mountPath=3:s? subPath=4:s "
        "mountPropagation=5:s? subPathExpr=6:s"
    ),
    "VolumeMountStatus": "name=1:s? mountPath=2:s? readOnly=3:b recursiveReadOnly=4:s?",
    "VolumeProjection": (
        "secret=1:SecretProjection downwardAPI=2:DownwardAPIProjection "
        "configMap=3:ConfigMapProjection serviceAccountToken=4:ServiceAccountTokenProjection "
        "clusterTrustBundle=5:ClusterTrustBundleProjection"
    ),
    "VolumeResourceRequirements": "limits=1:{Quantity requests=2:{Quantity",
    "VolumeSource": (
        "hostPath=1:HostPathVolumeSource emptyDir=2:EmptyDirVolumeSource "
        "gcePersistentDisk=3:GCEPersistentDiskVolumeSource "
        "awsElasticBlockStore=4:AWSElasticBlockStoreVolumeSource "
        "gitRepo=5:GitRepoVolumeSource secret=6:SecretVolumeSource nfs=7:NFSVolumeSource "
        "iscsi=8:ISCSIVolumeSource glusterfs=9:GlusterfsVolumeSource "
        "persistentVolumeClaim=10:PersistentVolumeClaimVolumeSource rbd=11:RBDVolumeSource "
        "flexVolume=12:FlexVolumeSource cinder=13:CinderVolumeSource "
        "cephfs=14:CephFSVolumeSource flocker=15:FlockerVolumeSource "
        "downwardAPI=16:DownwardAPIVolumeSource fc=17:FCVolumeSource "
        "azureFile=18:AzureFileVolumeSource configMap=19:ConfigMapVolumeSource "
        "vsphereVolume=20:VsphereVirtualDiskVolumeSource quobyte=21:QuobyteVolumeSource "
        "azureDisk=22:AzureDiskVolumeSource "
        "photonPersistentDisk=23:PhotonPersistentDiskVolumeSource "
        "projected=26:ProjectedVolumeSource portworxVolume=24:PortworxVolumeSource "
        "scaleIO=25:ScaleIOVolumeSource storageos=27:StorageOSVolumeSource "
        "csi=28:CSIVolumeSource ephemeral=29:EphemeralVolumeSource image=30:ImageVolumeSource"
    ),
    "VsphereVirtualDiskVolumeSource": (
        "volumePath=1:s? fsType=2:s storagePolicyName=3:s storagePolicyID=4:s"
    ),
    "WeightedPodAffinityTerm": "weight=1:i? podAffinityTerm=2:PodAffinityTerm",
    "WindowsSecurityContextOptions": (
        "gmsaCredentialSpecName=1:s? gmsaCredentialSpec=2:s? runAsUserName=3:s? "
        "hostProcess=4:b?"
    ),
}
