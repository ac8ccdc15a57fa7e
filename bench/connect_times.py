"""How long opening Reflex's websocket takes, one connection after another.

Each connection is what ``deadline_night.py`` times as ``connect``: the websocket handshake,
Engine.IO's open packet, Socket.IO's namespace answer (bench/reflex_client.py). With
``--compare-simple-websocket`` the same connections are also made with simple_websocket's client,
which the bench used before: it misses an open packet that arrives in the same read as the HTTP
101 answer until Engine.IO's next ping, 25 s later.

    python bench/connect_times.py                        # builds and starts a portal (≈ 3 min)
    python bench/connect_times.py --url http://127.0.0.1:3000 --count 20 --compare-simple-websocket
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reflex_client import NAMESPACE, ReflexClient  # noqa: E402  (after sys.path is set above)


async def with_reflex_client(base_url: str, timeout: float) -> float:
    client = ReflexClient(base_url, "/demo")
    started = time.perf_counter()
    await client.connect(attempts=1, timeout=timeout)
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def with_simple_websocket(base_url: str, timeout: float) -> float:
    """The previous transport, same packets: open, namespace connect, its answer."""
    from simple_websocket import AioClient

    url = base_url.replace("http", "ws", 1) + f"{NAMESPACE}/?EIO=4&transport=websocket&token=connect-times"
    started = time.perf_counter()
    ws = await AioClient.connect(url, headers={"Origin": base_url})
    try:
        opened = await ws.receive(timeout=timeout)
        if not str(opened).startswith("0"):
            raise RuntimeError(f"no Engine.IO open packet in {timeout:.0f} s")
        await ws.send(f"40{NAMESPACE},")
        while not str(await ws.receive(timeout=timeout)).startswith(f"40{NAMESPACE},"):
            pass
        return time.perf_counter() - started
    finally:
        await ws.close()
        await asyncio.sleep(0.05)  # its reader task ends on the closed socket


async def series(name: str, connect, base_url: str, count: int, timeout: float) -> None:
    times = []
    for i in range(count):
        elapsed = await connect(base_url, timeout)
        times.append(elapsed * 1000)
        print(f"  {name} #{i + 1:>2}: {elapsed * 1000:8.1f} ms", flush=True)
    slow = sum(1 for t in times if t > 1000)
    print(
        f"{name}: {count} sequential connects, median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms, {slow} over 1 s\n",
        flush=True,
    )


async def run(base_url: str, count: int, timeout: float, compare: bool) -> None:
    await series("reflex_client", with_reflex_client, base_url, count, timeout)
    if compare:
        await series("simple_websocket", with_simple_websocket, base_url, count, timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running portal; without it, one is built and started")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=40, help="seconds to wait for each packet")
    parser.add_argument("--compare-simple-websocket", action="store_true")
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url.rstrip("/"), args.count, args.timeout, args.compare_simple_websocket))
        return 0
    from tests.browser.conftest import start_portal, stop_portal

    var_dir = Path(tempfile.mkdtemp(prefix="bench-connect-"))
    print(f"Starting the portal (prod build, var {var_dir})…", flush=True)
    process, portal, _log = start_portal(var_dir)
    try:
        asyncio.run(run(portal.base_url, args.count, args.timeout, args.compare_simple_websocket))
    finally:
        stop_portal(process)
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
