"""Wait conditions with kubectl's semantics (public home of :mod:`hybridwait.kube.conditions`).

Example::

    from hybridwait import conditions as c

    ready = c.condition("Ready")
    running = c.jsonpath("{.status.phase}", "Running")
    both = c.all_of(ready, running)
"""

from hybridwait.kube.conditions import *  # noqa: F403
from hybridwait.kube.conditions import __all__ as __all__
