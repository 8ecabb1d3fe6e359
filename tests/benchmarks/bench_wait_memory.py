"""Python objects a pending wait holds, counted by tracemalloc.

``--n`` pods are created on an in-process emulator and cached by one wide
watch; then ``--n`` futures wait for their deletion (``for_="delete"``,
``timeout=600``, a done-callback each, as a controller would hold them). The
Python heap allocated by submitting them and letting every first check run,
still alive while they are pending, divided by ``--n``, is what one pending
wait costs (the RSS figure of ``bench_futures.py`` also counts the
allocator's arenas, which memory freed earlier in the process can fill).

Usage::

    python3 tests/benchmarks/bench_wait_memory.py            # N = 5,000
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hybridwait import Engine
from hybridwait.testing import FakeAPIServer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    srv = FakeAPIServer().start()
    eng = Engine(api_client=srv.api_client(), poll_interval=30.0)
    try:
        pods = srv.registry.lookup("", "v1", "pods")
        assert pods is not None
        names = [f"p{i:05d}" for i in range(args.n)]
        for name in names:
            srv.api.create(pods, "v1", "default", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        # two anchor waits: the namespace-wide watch caches every pod first
        anchors = [eng.submit(f"pod/{n}", for_="delete", timeout=600) for n in names[:2]]
        deadline = time.monotonic() + 60
        while eng.stats()["polls"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        ended: list[object] = []
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        futs = [eng.submit(f"pod/{n}", for_="delete", timeout=600) for n in names[2:]]
        for f in futs:
            f.add_done_callback(ended.append)
        while eng.stats()["polls"] < args.n and time.monotonic() < deadline + 120:
            time.sleep(0.05)  # every first check has run
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        pending = eng.pending()
        print(f"{len(futs):,} pending waits ({pending:,} pending in the engine, "
              f"{len(ended)} ended): {(after - before) / len(futs):,.0f} B of Python "
              f"objects a pending wait (tracemalloc)")
        for f in futs + anchors:
            f.cancel()
    finally:
        eng.close()
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
