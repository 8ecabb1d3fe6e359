"""How the simulated control plane behaves: nodes, seed, time scale and the
delay ranges a simulated pod goes through.

Times are *simulated* seconds. ``time_scale`` is how many simulated seconds
pass per real second: at ``time_scale=600`` a rollout that would take ten
minutes on a cluster takes about one second, and a Deployment's
``progressDeadlineSeconds: 600`` is exceeded after one real second.

Example::

    from hybridwait.testing import FakeAPIServer
    from hybridwait.testing.cluster import ClusterSettings

    with FakeAPIServer(cluster=ClusterSettings(nodes=2, seed=7, time_scale=60)) as srv:
        ...
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hybridwait.core.clock import Clock

__all__ = ["ClusterSettings", "Span"]


@dataclass(frozen=True)
class Span:
    """A range of simulated seconds; :meth:`draw` picks one uniformly.

    Example::

        Span(1.0, 3.0).draw(random.Random(1))   # a value in [1, 3]
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ValueError(f"a Span needs 0 <= low <= high, got {self.low}, {self.high}")

    def draw(self, rng: random.Random) -> float:
        """One delay in ``[low, high]``."""
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True)
class ClusterSettings:
    """Settings of the simulation (``FakeAPIServer(cluster=ClusterSettings(...))``;
    ``cluster=True`` takes these defaults).

    - ``nodes``: how many Ready nodes (``node-1`` ... ``node-N``).
    - ``seed``: every delay is drawn from a generator seeded by this and the
      pod's namespace/name, so a run is repeatable whatever the thread order.
    - ``time_scale``: simulated seconds per real second.
    - ``create_delay``: bound pod to containers started (image pull, sandbox).
    - ``ready_delay``: container started to Ready, for containers with a
      readiness probe (without one a container is Ready when it starts).
    - ``run_time``: how long a run-to-completion container (a Job's) runs.
    - ``crash_after``: how long a crash-looping container runs before it exits.
    - ``crash_backoff``: the first restart back-off (doubled per restart, at
      most 300 s, as the kubelet does).
    - ``eviction_delay``: how long after a node fails its pods are evicted
      (the default ``tolerationSeconds`` for ``unreachable``).
    - ``events``: record Events (``Scheduled``, ``Pulled``, ``Started``,
      ``ScalingReplicaSet``, ``BackOff`` ...) as the real components do, for
      ``kubectl get events``/``describe``; False saves their writes.
    - ``clock``: what drives simulated time (default: the real monotonic
      clock). With a :class:`~hybridwait.testing.FakeClock` nothing timed
      happens until the test calls ``clock.step(...)``; ``time_scale`` then
      counts simulated seconds per fake second.

    Example::

        ClusterSettings(nodes=1, time_scale=100.0)
    """

    nodes: int = 3
    seed: int = 0
    time_scale: float = 1.0
    create_delay: Span = Span(0.5, 2.0)
    ready_delay: Span = Span(0.5, 1.5)
    run_time: Span = Span(1.0, 3.0)
    crash_after: Span = Span(0.5, 1.0)
    crash_backoff: float = 10.0
    eviction_delay: float = 300.0
    events: bool = True
    clock: Clock | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.nodes <= 1000:
            raise ValueError("nodes must be between 0 and 1000")
        if not self.time_scale > 0:
            raise ValueError("time_scale must be > 0")
        if self.crash_backoff < 0 or self.eviction_delay < 0:
            raise ValueError("crash_backoff and eviction_delay must be >= 0")

    def rng(self, *parts: str) -> random.Random:
        """A generator seeded by the settings' seed and ``parts`` (repeatable)."""
        return random.Random("/".join((str(self.seed), *parts)))
