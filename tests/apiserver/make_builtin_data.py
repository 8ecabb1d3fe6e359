"""Generate the emulator's package data ``hybridwait/testing/apiserver/data/k8s-1.32.json.gz``.

Not shipped as runtime code: run it by hand when the Kubernetes version changes.

Sources (read at generation time only):

- the Kubernetes 1.32 OpenAPI definitions carried by the PyPI package
  ``kubernetes-validate`` 1.37.0 (Apache-2.0), file
  ``kubernetes_validate/kubernetes-json-schema/v1.32.0-local/_definitions.json``;
- the URL paths of the installed official ``kubernetes`` Python client
  (``kubernetes/client/api/*_api.py``), which give each resource's plural,
  scope, verbs and subresources per group-version.

Only generally available versions (``v1``, ``v2``) whose kind exists in the 1.32
definitions are kept (a 1.32 API server serves no alpha or beta API without
feature gates), and only the definitions reachable from them. Types are
normalised to OpenAPI v3 form (``["string", "null"]`` becomes ``"string"``).

Usage::

    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    python3 tests/apiserver/make_builtin_data.py /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import re
import zipfile
from typing import Any

import kubernetes

DEFS_PATH = "kubernetes_validate/kubernetes-json-schema/v1.32.0-local/_definitions.json"
OUT = (pathlib.Path(__file__).resolve().parents[2]
       / "hybridwait/testing/apiserver/data/k8s-1.32.json.gz")
GA = re.compile(r"^v\d+$")
# Subresources the client knows that a 1.32 server does not serve.
NEWER_SUBRESOURCES = {"resize"}
# Lists the client can call with ``watch`` that a real server does not watch.
LIST_ONLY = {"componentstatuses"}
_FUNC = re.compile(r"^    def (_?)(\w+?)(_serialize)?\(", re.M)
_METHOD = re.compile(r"method='(\w+)'")
_PATH = re.compile(r"resource_path='([^']+)'")
_RESPONSE = re.compile(r"'20[01]': \"(\w+)\"")
_PREFIX = re.compile(r"^([A-Z][a-z]+)*V\d+((alpha|beta)\d+)?")


def _normalise(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _normalise(v) for k, v in node.items()}
        t = out.get("type")
        if isinstance(t, list):
            rest = [x for x in t if x != "null"]
            if len(rest) == 1:
                out["type"] = rest[0]
        if "x-kubernetes-group-version-kind" in out:
            # kubernetes-validate adds enum [kind] / [apiVersion]: not in the real document.
            for f in ("apiVersion", "kind"):
                prop = (out.get("properties") or {}).get(f)
                if isinstance(prop, dict):
                    prop.pop("enum", None)
        return out
    if isinstance(node, list):
        return [_normalise(v) for v in node]
    return node


def _client_routes() -> list[tuple[str, str, str]]:
    """(method, path, response type) for every client call."""
    api_dir = pathlib.Path(kubernetes.__file__).parent / "client" / "api"
    out: list[tuple[str, str, str]] = []
    for f in sorted(api_dir.glob("*_api.py")):
        text = f.read_text()
        marks = list(_FUNC.finditer(text))
        responses: dict[str, str] = {}
        serial: dict[str, tuple[str, str]] = {}
        for i, m in enumerate(marks):
            body = text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)]
            name = m.group(2)
            if m.group(3):
                mm, pm = _METHOD.search(body), _PATH.search(body)
                if mm and pm:
                    serial[name] = (mm.group(1), pm.group(1))
            elif not m.group(1) and name not in responses:
                rm = _RESPONSE.search(body)
                if rm:
                    responses[name] = rm.group(1)
        for name, (method, path) in serial.items():
            out.append((method, path, responses.get(name, "")))
    return out


def _split(path: str) -> tuple[str, str, bool, list[str]] | None:
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if rest and rest[0] == "watch":
        return None
    namespaced = False
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[1] == "{namespace}":
        namespaced, rest = True, rest[2:]
    return group, version, namespaced, rest


def build(wheel: pathlib.Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as z:
        defs: dict[str, Any] = json.loads(z.read(DEFS_PATH))["$defs"]
    gvk_def: dict[tuple[str, str, str], str] = {}
    for name, d in defs.items():
        for g in d.get("x-kubernetes-group-version-kind") or []:
            gvk_def[(g["group"], g["version"], g["kind"])] = name
    res: dict[tuple[str, str, str], dict[str, Any]] = {}
    for method, path, rtype in _client_routes():
        split = _split(path)
        if split is None:
            continue
        group, version, namespaced, rest = split
        if not GA.match(version) or not rest or rest[-1].startswith("{path"):
            continue
        plural = rest[0]
        if plural == "namespaces" and len(rest) >= 2 and not namespaced:
            namespaced = False
        r = res.setdefault((group, version, plural), {
            "group": group, "version": version, "plural": plural, "namespaced": False,
            "verbs": set(), "sub": {}, "kind": ""})
        if len(rest) == 1:
            r["namespaced"] = r["namespaced"] or namespaced
            kind = _PREFIX.sub("", rtype)
            if method == "POST":
                r["verbs"].add("create")
                r["kind"] = r["kind"] or kind
            elif method == "GET":
                r["verbs"].update(("list",) if plural in LIST_ONLY else ("list", "watch"))
                if kind.endswith("List") and not r["kind"]:
                    r["kind"] = kind[:-4]
            elif method == "DELETE":
                r["verbs"].add("deletecollection")
        elif len(rest) == 2:
            r["namespaced"] = r["namespaced"] or namespaced
            verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
                method)
            if verb:
                r["verbs"].add(verb)
            if method == "GET":
                r["kind"] = _PREFIX.sub("", rtype) or r["kind"]
        elif len(rest) == 3 and rest[2] not in NEWER_SUBRESOURCES:
            sub = r["sub"].setdefault(rest[2], {"verbs": set(), "type": ""})
            verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "POST": "create",
                    "DELETE": "delete"}.get(method)
            if verb:
                sub["verbs"].add(verb)
            if rtype and rtype != "str" and not sub["type"]:
                sub["type"] = rtype
    resources = []
    for (group, version, plural), r in sorted(res.items()):
        if (group, version, r["kind"]) not in gvk_def:
            continue
        subs = {}
        for name, s in sorted(r["sub"].items()):
            subs[name] = {"verbs": sorted(s["verbs"]), "kind": _PREFIX.sub("", s["type"])}
        resources.append({
            "group": group, "version": version, "plural": plural, "kind": r["kind"],
            "namespaced": r["namespaced"], "verbs": sorted(r["verbs"]),
            "definition": gvk_def[(group, version, r["kind"])], "subresources": subs,
        })
    # Every definition reachable from a served kind (and the meta types every server has).
    keep: set[str] = set()
    todo = [r["definition"] for r in resources] + [
        n for n in defs if n.startswith("io.k8s.apimachinery.pkg.apis.meta.v1.")]
    while todo:
        n = todo.pop()
        if n in keep or n not in defs:
            continue
        keep.add(n)
        todo.extend(re.findall(r'"#/\$defs/([^"]+)"', json.dumps(defs[n])))
    return {
        "source": "kubernetes-validate 1.37.0, " + DEFS_PATH,
        "kubernetes": "1.32.0",
        "client": f"kubernetes {kubernetes.__version__}",
        "resources": resources,
        "definitions": {n: _normalise(defs[n]) for n in sorted(keep)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=pathlib.Path, help="the kubernetes-validate 1.37.0 wheel")
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    args = ap.parse_args()
    data = build(args.wheel)
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    args.out.write_bytes(gzip.compress(raw, 9, mtime=0))
    print(f"{len(data['resources'])} resources, {len(data['definitions'])} definitions, "
          f"{len(raw)} bytes, {args.out.stat().st_size} bytes gzipped -> {args.out}")


if __name__ == "__main__":
    main()
