"""Benchmark: how many concurrent watch connections the emulator holds and how
many writes per second it fans out to all of them.

The server runs in its own process (``FakeAPIServer`` on 127.0.0.1); this
process opens N raw watch connections on ``pods`` (one ``selectors`` loop, no
thread per connection), then one writer thread patches a pod as fast as the
server accepts for ``--seconds``. Printed: connections held, writes/s, events
delivered/s across all watchers, whether every watcher got every event, and
how long the fan-out took to drain after the last write.

Usage::

    python3 tests/benchmarks/bench_apiserver.py --watchers 1000 --seconds 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time

SERVER = """
import resource, signal, sys, threading
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
from hybridwait.testing import FakeAPIServer
srv = FakeAPIServer(history=100_000).start()
print(srv.port, flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: done.set())
done.wait()
srv.stop()
"""


def _request(conn: http.client.HTTPConnection, method: str, path: str,
             body: object = None, ctype: str = "application/json") -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": ctype})
    resp = conn.getresponse()
    out: dict[str, object] = json.loads(resp.read())
    if resp.status >= 300:
        raise RuntimeError(f"{method} {path}: {resp.status} {out}")
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--watchers", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        pods = "/api/v1/namespaces/default/pods"
        _request(conn, "POST", pods, {"metadata": {"name": "bench"},
                                      "spec": {"containers": [{"name": "c", "image": "i"}]}})
        rv = _request(conn, "GET", pods)["metadata"]["resourceVersion"]  # type: ignore[index]

        sel = selectors.DefaultSelector()
        counts: dict[socket.socket, int] = {}
        tails: dict[socket.socket, bytes] = {}
        t0 = time.monotonic()
        req = (f"GET {pods}?watch=1&resourceVersion={rv} HTTP/1.1\r\n"
               f"Host: 127.0.0.1\r\nAccept: application/json\r\n\r\n").encode()
        for _ in range(args.watchers):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(req)
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(4096)
            assert head.startswith(b"HTTP/1.1 200"), head[:100]
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            counts[s] = head.split(b"\r\n\r\n", 1)[1].count(b"\n")
        opened = time.monotonic() - t0
        print(f"watch connections held: {args.watchers} (opened in {opened:.1f}s)")

        stop = threading.Event()
        writes = 0
        cpu_before = _cpu_seconds(proc.pid)

        def writer() -> None:
            nonlocal writes
            wconn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            i = 0
            while not stop.is_set():
                i += 1
                _request(wconn, "PATCH", pods + "/bench",
                         {"metadata": {"labels": {"n": str(i)}}},
                         "application/merge-patch+json")
                writes += 1
            wconn.close()

        wt = threading.Thread(target=writer)
        start = time.monotonic()
        wt.start()
        end_writes = start + args.seconds
        drained_at = None
        while True:
            now = time.monotonic()
            if now >= end_writes and not stop.is_set():
                stop.set()
                wt.join()
                write_end = time.monotonic()
                write_cpu = _cpu_seconds(proc.pid) - cpu_before
            for key, _ in sel.select(timeout=0.2):
                s = key.fileobj  # type: ignore[assignment]
                try:
                    data = s.recv(1 << 16)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                # one event per line, ending '}' + newline (may straddle two reads)
                joined = tails.get(s, b"") + data  # type: ignore[call-overload]
                counts[s] += joined.count(b"}\n")  # type: ignore[index]
                tails[s] = joined[-1:]  # type: ignore[index]
            if stop.is_set():
                if all(c >= writes for c in counts.values()):
                    drained_at = time.monotonic()
                    break
                if time.monotonic() - write_end > 120:
                    break
        total = sum(counts.values())
        elapsed = (drained_at or time.monotonic()) - start
        print(f"writes: {writes} in {args.seconds:.0f}s = {writes / args.seconds:.0f} writes/s "
              f"fanned out to {args.watchers} watchers")
        print(f"events delivered: {total} ({total / elapsed:.0f} events/s over {elapsed:.1f}s)")
        complete = all(c == writes for c in counts.values())
        print(f"every watcher got every event: {complete}")
        if drained_at is not None:
            print(f"fan-out drained {drained_at - write_end:.2f}s after the last write")
        server_cpu = _cpu_seconds(proc.pid)
        print(f"server CPU while writing: {write_cpu / max(writes, 1) * 1e6:.0f} us per write "
              f"(its fan-out included)")
        with open(f"/proc/{proc.pid}/status") as f:
            threads = next(line.split()[1] for line in f if line.startswith("Threads:"))
        print(f"server process: {threads} threads, {server_cpu:.1f}s CPU in total; "
              f"this client: {time.process_time():.1f}s CPU")
        for s in counts:
            s.close()
        conn.close()
    finally:
        proc.terminate()
        proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
