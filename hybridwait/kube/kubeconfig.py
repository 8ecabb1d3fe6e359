"""Build a ``kubernetes.client.ApiClient`` the way kubectl finds its config.

Order: an explicit ``kubeconfig`` path (must exist), else the ``KUBECONFIG``
environment variable (several files joined by ``os.pathsep``, merged: the
first file defining a cluster/context/user or ``current-context`` wins,
missing files are skipped), else ``~/.kube/config``, else the in-cluster
service account. ``context`` overrides ``current-context``. The namespace
for defaulting is the context's namespace, else ``"default"``.

Every failure is a :class:`~hybridwait.kube.errors.KubeconfigError` whose text
is kubectl's (``stat /nope: no such file or directory``, ``context "nope"
does not exist``, ``error loading config file "x": ...``)
and never contains a credential.

Example::

    api_client, namespace = load(context="kind-dev")
"""

from __future__ import annotations

import os
from typing import Any

from hybridwait.kube.errors import KubeconfigError

__all__ = ["default_paths", "load"]

_SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def default_paths() -> list[str]:
    """The kubeconfig files kubectl would read (existing ones only)."""
    env = os.environ.get("KUBECONFIG")
    if env:
        paths = [os.path.expanduser(p) for p in env.split(os.pathsep) if p]
    else:
        paths = [os.path.expanduser("~/.kube/config")]
    return [p for p in paths if os.path.exists(p)]


def _read(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except FileNotFoundError:
        raise KubeconfigError(f"stat {path}: no such file or directory") from None
    except OSError as exc:
        raise KubeconfigError(f'error loading config file "{path}": {exc.strerror}') from None
    except yaml.YAMLError as exc:
        # the YAML error text quotes a line of the file: it could hold a token
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise KubeconfigError(f'error loading config file "{path}": invalid YAML{line}') from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise KubeconfigError(f'error loading config file "{path}": not a kubeconfig mapping')
    return doc


def _in_cluster() -> tuple[Any, str]:
    from kubernetes import client, config

    cfg = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
    except Exception:
        raise KubeconfigError(
            "invalid configuration: no configuration has been provided, "
            "try setting KUBERNETES_MASTER environment variable"
        ) from None
    namespace = "default"
    try:
        with open(os.path.join(_SA_DIR, "namespace"), encoding="utf-8") as f:
            namespace = f.read().strip() or "default"
    except OSError:
        pass
    return client.ApiClient(configuration=cfg), namespace


def load(kubeconfig: str | None = None, context: str | None = None) -> tuple[Any, str]:
    """Return ``(api_client, default_namespace)`` resolved like kubectl (see module doc).

    Example::

        api_client, ns = load("/tmp/kubeconfig", context="fake")
    """
    if kubeconfig:
        paths = [os.path.expanduser(kubeconfig)]
        if not os.path.exists(paths[0]):
            raise KubeconfigError(f"stat {kubeconfig}: no such file or directory")
    else:
        paths = default_paths()
    if not paths:
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            return _in_cluster()
        raise KubeconfigError(
            "invalid configuration: no configuration has been provided, "
            "try setting KUBERNETES_MASTER environment variable"
        )
    docs = [(p, _read(p)) for p in paths]
    current = next((d.get("current-context") for _, d in docs if d.get("current-context")), None)
    active = context or current
    if not active:
        raise KubeconfigError(
            "current-context is not set in " + ", ".join(f'"{p}"' for p in paths)
            + " (pass a context)"
        )
    contexts = {
        c.get("name"): c.get("context") or {}
        for _, d in reversed(docs)
        for c in (d.get("contexts") or [])
        if isinstance(c, dict)
    }
    if active not in contexts:
        raise KubeconfigError(f'context "{active}" does not exist')
    namespace = str(contexts[active].get("namespace") or "default")

    from kubernetes import client
    from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

    try:
        merger = KubeConfigMerger(os.pathsep.join(paths))  # type: ignore[no-untyped-call]
        merger.config.value["current-context"] = active
        loader = KubeConfigLoader(  # type: ignore[no-untyped-call]
            config_dict=merger.config, active_context=active, config_base_path=None
        )
        cfg = client.Configuration()
        loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
    except KubeconfigError:
        raise
    except Exception as exc:
        # kubernetes' ConfigException texts name fields, not their values
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "token" in msg.lower() and ":" in msg:
            msg = msg.split(":", 1)[0]
        raise KubeconfigError(f"invalid configuration: {msg}") from None
    cfg.connection_pool_maxsize = max(int(getattr(cfg, "connection_pool_maxsize", 0) or 0), 32)
    return client.ApiClient(configuration=cfg), namespace
