"""A minimal client of Reflex's websocket protocol, for load generators and benchmarks.

DESIGN.md suggests python-socketio's AsyncClient; its websocket transport needs aiohttp, which
this project does not install. Socket.IO over a websocket is small enough to speak directly,
with ``simple_websocket`` (already a dependency of python-socketio's server side):

- Engine.IO v4 packets: ``0`` open, ``2``/``3`` ping/pong, ``4`` message;
- Socket.IO packets inside a message: ``0/_event,`` connect, ``2/_event,[name, data]`` event.

Reflex's frontend connects to ``/_event/?EIO=4&transport=websocket&token=<uuid4>``, sends
``["event", {"name", "payload", "router_data"}]`` and receives ``["event", {"delta", "events"}]``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Callable

from simple_websocket import AioClient

NAMESPACE = "/_event"


class ReflexClient:
    """One browser tab, as Reflex's own state.js behaves (minus the rendering)."""

    def __init__(self, base_url: str, pathname: str, headers: dict[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self.pathname = pathname
        self.headers = headers or {}
        self.token = str(uuid.uuid4())
        self.updates: asyncio.Queue[dict] = asyncio.Queue()
        self._ws: AioClient | None = None
        self._reader: asyncio.Task | None = None
        # Optional hooks: ``on_update(data)`` sees every update whole (its delta *and* its events,
        # "_redirect" included) instead of the queue; ``on_close()`` is told when the socket drops.
        self.on_update: Callable[[dict], None] | None = None
        self.on_close: Callable[[], None] | None = None
        self.closed = False

    @property
    def router_data(self) -> dict[str, Any]:
        return {"pathname": self.pathname, "query": {}, "asPath": self.pathname}

    async def connect(self, attempts: int = 3, timeout: float = 30) -> None:
        url = self.base_url.replace("http", "ws", 1) + f"{NAMESPACE}/?EIO=4&transport=websocket&token={self.token}"
        for attempt in range(1, attempts + 1):
            self._ws = await AioClient.connect(url, headers={"Origin": self.base_url, **self.headers})
            opened = await self._ws.receive(timeout=timeout)
            if str(opened).startswith("0"):
                break
            await self._ws.close()  # a freshly started, busy server may not answer in time
            if attempt == attempts:
                raise RuntimeError(f"unexpected Engine.IO open packet: {opened!r}")
        await self._ws.send(f"40{NAMESPACE},")
        while True:
            packet = await self._ws.receive(timeout=timeout)
            if packet is None:
                raise RuntimeError("no Socket.IO connect answer")
            if packet.startswith(f"40{NAMESPACE},"):
                break
            if packet.startswith(f"44{NAMESPACE},"):
                raise RuntimeError(f"Socket.IO connection refused: {packet}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            await self._read_packets()
        finally:
            self.closed = True
            if self.on_close is not None:
                self.on_close()

    async def _read_packets(self) -> None:
        prefix = f"42{NAMESPACE},"
        while True:
            try:
                packet = await self._ws.receive()
            except Exception:  # noqa: BLE001 - ConnectionClosed and friends: the socket is gone
                return
            if packet is None:
                return
            if packet == "2":
                await self._ws.send("3")
            elif packet.startswith(prefix):
                name, data = json.loads(packet[len(prefix):])[:2]
                if name != "event":
                    continue
                # Events the backend asks the tab to queue (on_load chains...) come back to it,
                # as state.js does; client-side ones ("_redirect", "_call_script"...) are dropped.
                for event in data.get("events") or []:
                    if not event["name"].startswith("_"):
                        await self.emit(event["name"], event.get("payload") or {})
                if self.on_update is not None:
                    self.on_update(data)
                else:
                    await self.updates.put(data.get("delta") or {})

    async def emit(self, name: str, payload: dict | None = None) -> None:
        message = {"name": name, "payload": payload or {}, "router_data": self.router_data}
        await self._ws.send(f"42{NAMESPACE}," + json.dumps(["event", message]))

    async def hydrate(self) -> None:
        await self.emit("reflex___state____state.hydrate_and_load")

    async def wait_for(self, substate: str, var: str, timeout: float = 30) -> Any:
        """The next value of ``var`` in ``substate`` sent by the server (other updates skipped)."""
        async def wait() -> Any:
            while True:
                delta = await self.updates.get()
                for name, values in delta.items():
                    if name == substate and var in values:
                        return values[var]
        return await asyncio.wait_for(wait(), timeout)

    def drain(self) -> None:
        while not self.updates.empty():
            self.updates.get_nowait()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
