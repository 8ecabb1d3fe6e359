"""Generate the field table (``MESSAGES``) of ``hybridwait/testing/apiserver/protobuf.py``.

Not shipped as runtime code: run it by hand when the Kubernetes version changes,
then paste its output over the ``MESSAGES`` entries.

Sources (read at generation time only): checkouts of ``k8s.io/api`` and
``k8s.io/apimachinery`` at the tag matching the emulator's Kubernetes version
(v0.32.9 for 1.32): their ``generated.proto`` files give each message's field
numbers and types, their ``types.go`` files the Go side (``json`` name,
``omitempty``, ``,inline``, pointer or not), which decides what Go's JSON
encoding writes for a zero value.

Usage::

    python3 tests/apiserver/make_protobuf_table.py ~/src/api ~/src/apimachinery
"""

from __future__ import annotations

import argparse
import pathlib
import re
import textwrap

API_GROUPS = ("core", "apps", "batch", "rbac", "scheduling", "networking", "policy",
              "autoscaling", "authorization", "authentication")
MACHINERY = {"apis.meta.v1": "pkg/apis/meta/v1", "runtime": "pkg/runtime",
             "util.intstr": "pkg/util/intstr", "api.resource": "pkg/api/resource"}
ROOTS = [f"k8s.io.api.core.v1.{n}" for n in (
    "Namespace", "ConfigMap", "Secret", "ServiceAccount", "Service", "Pod", "ResourceQuota",
    "Binding")] + [
    "k8s.io.api.apps.v1.Deployment", "k8s.io.api.batch.v1.Job", "k8s.io.api.batch.v1.CronJob",
    "k8s.io.api.rbac.v1.Role", "k8s.io.api.rbac.v1.ClusterRole", "k8s.io.api.rbac.v1.RoleBinding",
    "k8s.io.api.rbac.v1.ClusterRoleBinding", "k8s.io.api.scheduling.v1.PriorityClass",
    "k8s.io.api.networking.v1.Ingress", "k8s.io.api.policy.v1.PodDisruptionBudget",
    "k8s.io.api.policy.v1.Eviction", "k8s.io.api.autoscaling.v1.Scale",
    "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"] + [
    f"k8s.io.api.authorization.v1.{n}" for n in (
        "SelfSubjectAccessReview", "SubjectAccessReview", "LocalSubjectAccessReview",
        "SelfSubjectRulesReview")] + [
    f"k8s.io.api.authentication.v1.{n}" for n in (
        "TokenReview", "SelfSubjectReview", "TokenRequest")]
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
SPECIAL = {f"{META}.Time": "Time", f"{META}.MicroTime": "MicroTime",
           "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
           "k8s.io.apimachinery.pkg.api.resource.Quantity": "Quantity",
           "k8s.io.apimachinery.pkg.runtime.RawExtension": "Raw", f"{META}.FieldsV1": "Raw",
           # map<string, ExtraValue>: a wrapped list of strings, a plain list in JSON
           "k8s.io.api.authorization.v1.ExtraValue": "StringList",
           "k8s.io.api.authentication.v1.ExtraValue": "StringList"}
SCALAR = {"string": "s", "bytes": "y", "int32": "i", "int64": "i", "uint32": "i",
          "uint64": "i", "bool": "b", "double": "d", "float": "d"}
_FIELD = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
_MAP = re.compile(r"^\s*map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")
_TAG = re.compile(r'^\s*(?:\w+\s+)?(\S+)\s+`json:"([^"]*)"[^`]*protobuf:"([^"]*)"')

Proto = dict[str, list[tuple[str, int, str, bool, bool]]]


def parse_proto(pkg: str, text: str, out: Proto) -> None:
    cur, depth = "", 0
    for line in text.splitlines():
        s = line.split("//")[0]
        m = re.match(r"^message (\w+) \{", s)
        if m and depth == 0:
            cur, depth = f"{pkg}.{m.group(1)}", 1
            out[cur] = []
            continue
        if not cur:
            continue
        depth += s.count("{") - s.count("}")
        if depth == 0:
            cur = ""
            continue
        if fm := _FIELD.match(s):
            out[cur].append((fm.group(3), int(fm.group(4)), fm.group(2),
                             fm.group(1) == "repeated", False))
        elif mm := _MAP.match(s):
            out[cur].append((mm.group(3), int(mm.group(4)), mm.group(2), False, True))


GoField = tuple[bool, bool, bool, str]  # pointer, omitempty, inline, JSON name


def parse_go(pkg: str, text: str, out: dict[tuple[str, str], GoField]) -> None:
    cur = ""
    for line in text.splitlines():
        if m := re.match(r"^type (\w+) struct", line):
            cur = f"{pkg}.{m.group(1)}"
        elif line.startswith("}"):
            cur = ""
        elif (t := _TAG.match(line)) and cur:
            tags = dict(kv.split("=", 1) for kv in t.group(3).split(",") if "=" in kv)
            json_name, *opts = t.group(2).split(",")
            out[(cur, tags.get("name", ""))] = (t.group(1).startswith("*"), "omitempty" in opts,
                                                "inline" in opts, json_name)


def build(api: pathlib.Path, machinery: pathlib.Path) -> list[str]:
    proto: Proto = {}
    go: dict[tuple[str, str], GoField] = {}
    for g in API_GROUPS:
        pkg = f"k8s.io.api.{g}.v1"
        parse_proto(pkg, (api / g / "v1" / "generated.proto").read_text(), proto)
        parse_go(pkg, (api / g / "v1" / "types.go").read_text(), go)
    for name, path in MACHINERY.items():
        pkg = f"k8s.io.apimachinery.pkg.{name}"
        parse_proto(pkg, (machinery / path / "generated.proto").read_text(), proto)
        if (machinery / path / "types.go").exists():
            parse_go(pkg, (machinery / path / "types.go").read_text(), go)

    def resolve(t: str, pkg: str) -> str:
        t = t.lstrip(".")
        if t in SCALAR:
            return SCALAR[t]
        full = t if t.startswith("k8s.io.") else f"{pkg}.{t}"
        return SPECIAL.get(full, full)

    keep: list[str] = []
    todo = list(ROOTS)
    while todo:
        n = todo.pop(0)
        if n in keep:
            continue
        keep.append(n)
        for _name, _num, t, _rep, _map in proto[n]:
            r = resolve(t, n.rsplit(".", 1)[0])
            if r.startswith("k8s.io."):
                todo.append(r)
    short = [n.rsplit(".", 1)[1] for n in keep]
    assert len(set(short)) == len(short), "two messages share a short name"
    lines = []
    for n in sorted(keep, key=lambda n: n.rsplit(".", 1)[1]):
        parts = []
        for name, num, t, rep, is_map in proto[n]:
            r = resolve(t, n.rsplit(".", 1)[0]).rsplit(".", 1)[-1]
            flags = "*" if rep else ""
            ptr, omit, inline, json_name = go.get((n, name), (False, True, True, name))
            name = json_name or name  # untagged (embedded): inline
            if inline:
                flags += "^"
            elif r in SCALAR.values() and (ptr or not omit):
                flags += "?"
            parts.append(f"{name}={num}:{'{' if is_map else ''}{r}{flags}")
        spec = " ".join(parts)
        key = n.rsplit(".", 1)[1]
        if len(f'    "{key}": "{spec}",') <= 99:
            lines.append(f'    "{key}": "{spec}",')
        else:
            wrapped = textwrap.wrap(spec, 84)
            lines.append(f'    "{key}": (')
            lines += [f'        "{w}{" " if i < len(wrapped) - 1 else ""}"'
                      for i, w in enumerate(wrapped)]
            lines.append("    ),")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("api", type=pathlib.Path, help="a k8s.io/api checkout (tag v0.32.x)")
    ap.add_argument("apimachinery", type=pathlib.Path, help="a k8s.io/apimachinery checkout")
    args = ap.parse_args()
    print("\n".join(build(args.api, args.apimachinery)))


if __name__ == "__main__":
    main()
