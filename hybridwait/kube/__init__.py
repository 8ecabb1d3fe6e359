"""The Kubernetes side of hybridwait: the hybrid watch-and-poll :class:`Engine`.

Modules, one concern each: ``engine`` (the wait APIs, lifecycle, sharing),
``wait`` (one wait as an object: its state and steps), ``future`` (its
``concurrent.futures.Future``), ``readers`` (the few
threads for a wait's blocking reads), ``sweeper`` (poll intervals, deadlines,
retries), ``kubectl`` (kubectl's argument rules and texts), ``conditions`` (kubectl's
``--for`` semantics), ``jsonpath`` (kubectl's relaxed JSONPath), ``resources``
(type strings and discovery), ``watcher`` (one shared watch, a state
machine), ``watchstream`` (the watch stream's line framing and event
decoding), ``sharing`` (which watches serve which waits), ``cache`` (condition
cache and waiter registry), ``transport`` (raw JSON over an ApiClient),
``kubeconfig`` (loading a client like kubectl), ``status`` (kstatus
readiness of one object), ``objects`` (manifests for ``-f`` and
``wait_objects``), ``errors``, ``stats``.
Nothing here imports ``kubernetes`` at module level.

Example::

    from hybridwait.kube.engine import Engine
"""
