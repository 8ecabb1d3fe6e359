"""A simulated control plane for the API server emulator: nodes, a scheduler,
a kubelet, the workload controllers (Deployment, ReplicaSet, StatefulSet,
DaemonSet, Job, CronJob), the garbage collector, the pod GC, namespace defaults, endpoints
and a volume provisioner,
driven by a seed and a time scale; off unless ``FakeAPIServer(cluster=...)``.
See docs/testing.md, "The simulated control plane".

Example::

    from hybridwait.testing import FakeAPIServer
    from hybridwait.testing.cluster import ClusterSettings

    with FakeAPIServer(cluster=ClusterSettings(time_scale=60)) as srv:
        ...   # create a Deployment: ReplicaSet, pods, Ready, Available follow
"""

from hybridwait.testing.cluster.faults import FaultKind
from hybridwait.testing.cluster.plane import ControlPlane
from hybridwait.testing.cluster.settings import ClusterSettings, Span

__all__ = ["ClusterSettings", "ControlPlane", "FaultKind", "Span"]
