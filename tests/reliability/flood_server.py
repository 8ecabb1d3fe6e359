"""The flood's writer: the emulator and its writes in a process of their own,
so the engine under test (in the parent) does not share a GIL with the server.

Protocol (one JSON document per line): the child prints ``{"url": ...}`` once
its objects exist; the parent sends the plan ``{"writes", "rate", "final_at":
{index: target}, "targets", "outage_at", "outage_s", "seed"}``; the child runs
the flood and prints ``{"committed": {target: monotonic time}, "write_seconds",
"outage": [start, end]}``, then exits when its stdin closes. ``time.monotonic``
is the system's monotonic clock, the same in both processes.

Run by tests/reliability/flood.py (``run_flood(separate=True)``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from typing import Any

from hybridwait.testing import FakeAPIServer

NS = "flood"
MERGE = "application/merge-patch+json"


def _outage(srv: FakeAPIServer, seconds: float, span: list[float]) -> None:
    span.append(time.monotonic())
    srv.faults.forbid_watch()
    srv.faults.drop_watches()
    time.sleep(seconds)
    srv.faults.forbid_watch(False)
    span.append(time.monotonic())


def flood(srv: FakeAPIServer, rt: Any, objects: int, plan: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(plan.get("seed", 1))
    writes = int(plan["writes"])
    rate = float(plan["rate"])
    targets = [int(t) for t in plan["targets"]]
    final_at = {int(k): int(v) for k, v in plan["final_at"].items()}
    outage_at = int(plan.get("outage_at", -1))
    target_set = set(targets)
    others = [i for i in range(objects) if i not in target_set]
    committed: dict[int, float] = {}
    done: set[int] = set()
    span: list[float] = []
    outage: threading.Thread | None = None
    t0 = time.monotonic()
    for n in range(writes):
        if rate and n % 100 == 0:
            ahead = t0 + n / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        if n == outage_at:
            outage = threading.Thread(target=_outage, args=(srv, float(plan["outage_s"]), span),
                                      name="flood-outage")
            outage.start()
        if n in final_at:
            t = final_at[n]
            srv.api.patch(rt, "v1", NS, f"o{t}", MERGE, b'{"data":{"v":"final"}}')
            committed[t] = time.monotonic()
            done.add(t)
            continue
        i = others[n % len(others)] if n % 5 else rng.choice(
            [t for t in targets if t not in done] or others)
        srv.api.patch(rt, "v1", NS, f"o{i}", MERGE, b'{"data":{"v":"%d"}}' % n)
    write_s = time.monotonic() - t0
    if outage is not None:
        outage.join()
    return {"committed": committed, "write_seconds": write_s, "outage": span}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--objects", type=int, default=5000)
    p.add_argument("--history", type=int, default=10_000)
    a = p.parse_args(argv)
    from kubernetes import client

    with FakeAPIServer(history=a.history) as srv:
        rt = srv.registry.lookup("", "v1", "configmaps")
        assert rt is not None
        client.CoreV1Api(srv.api_client()).create_namespace({"metadata": {"name": NS}})
        for i in range(a.objects):
            srv.api.create(rt, "v1", NS, {"metadata": {"name": f"o{i}"}, "data": {"v": "0"}})
        print(json.dumps({"url": srv.url}), flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        out = flood(srv, rt, a.objects, json.loads(line))
        print(json.dumps(out), flush=True)
        sys.stdin.read()  # until the parent is done with the server
    return 0


if __name__ == "__main__":
    sys.exit(main())
