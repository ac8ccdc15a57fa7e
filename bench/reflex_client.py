"""A minimal client of Reflex's websocket protocol, for load generators and benchmarks.

DESIGN.md suggests python-socketio's AsyncClient; its websocket transport needs aiohttp, which
this project does not install. Socket.IO over a websocket is small enough to speak directly,
over ``wsproto`` (already a dependency of python-socketio's server side, through
simple_websocket) and asyncio streams:

- Engine.IO v4 packets: ``0`` open, ``2``/``3`` ping/pong, ``4`` message;
- Socket.IO packets inside a message: ``0/_event,`` connect, ``2/_event,[name, data]`` event.

Reflex's frontend connects to ``/_event/?EIO=4&transport=websocket&token=<uuid4>``, sends
``["event", {"name", "payload", "router_data"}]`` and receives ``["event", {"delta", "events"}]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection, CloseConnection, Message, Ping, RejectConnection, Request, TextMessage
from wsproto.utilities import ProtocolError

NAMESPACE = "/_event"


class ConnectionClosed(ConnectionError):
    """The websocket is closed (by the server, the network or this side), or was refused."""


class WebSocket:
    """A websocket client (text messages) over asyncio streams and wsproto.

    ``receive`` returns what wsproto has already decoded before reading the socket again. The
    server sends Engine.IO's open packet right after the HTTP 101 answer, often in the same TCP
    read: simple_websocket's client, used before, parsed only the 101 out of that read and left the
    packet in wsproto's buffer until more bytes came — Engine.IO's next ping, 25 s later — so about
    half the connections took 25 s (the ``connect`` p95 of docs/performance.md before this client).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: WSConnection):
        self._reader, self._writer, self._connection = reader, writer, connection
        self._messages: deque[str] = deque()
        self._parts: list[str] = []
        self._accepted = False
        self.closed = False

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str] | None = None) -> WebSocket:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        connection = WSConnection(ConnectionType.CLIENT)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
        writer.write(connection.send(Request(host=parts.netloc, target=target, extra_headers=extra)))
        socket = cls(reader, writer, connection)
        try:
            while not socket._accepted:
                if socket.closed:
                    raise ConnectionClosed("closed during the websocket handshake")
                await socket._read_once()
        except BaseException:
            writer.close()
            raise
        return socket

    def _absorb(self) -> None:
        """Take every event wsproto can decode from what was read (messages kept in order)."""
        for event in self._connection.events():
            if isinstance(event, AcceptConnection):
                self._accepted = True
            elif isinstance(event, RejectConnection):
                self.closed = True
                raise ConnectionClosed(f"websocket refused: HTTP {event.status_code}")
            elif isinstance(event, TextMessage):
                self._parts.append(event.data)
                if event.message_finished:
                    self._messages.append("".join(self._parts))
                    self._parts.clear()
            elif isinstance(event, Ping):
                self._writer.write(self._connection.send(event.response()))
            elif isinstance(event, CloseConnection):
                if self._connection.state is ConnectionState.REMOTE_CLOSING:
                    self._writer.write(self._connection.send(event.response()))
                self.closed = True

    async def _read_once(self) -> None:
        data = await self._reader.read(65536)
        if not data:
            self.closed = True
            return
        self._connection.receive_data(data)
        self._absorb()

    async def receive(self, timeout: float | None = None) -> str | None:
        """The next text message, or None after ``timeout`` seconds; ConnectionClosed once closed."""

        async def next_message() -> str:
            while not self._messages:
                if self.closed:
                    raise ConnectionClosed("websocket closed")
                await self._read_once()
            return self._messages.popleft()

        if timeout is None:
            return await next_message()
        try:
            return await asyncio.wait_for(next_message(), timeout)
        except TimeoutError:
            return None

    async def send(self, text: str) -> None:
        if self.closed or self._connection.state is not ConnectionState.OPEN:
            raise ConnectionClosed("websocket closed")
        self._writer.write(self._connection.send(Message(data=text)))

    async def close(self) -> None:
        if self._connection.state is ConnectionState.OPEN:
            with contextlib.suppress(Exception):
                self._writer.write(self._connection.send(CloseConnection(code=1000)))
        self.closed = True
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()


class ReflexClient:
    """One browser tab, as Reflex's own state.js behaves (minus the rendering)."""

    def __init__(self, base_url: str, pathname: str, headers: dict[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self.pathname = pathname
        self.headers = headers or {}
        self.token = str(uuid.uuid4())
        self.updates: asyncio.Queue[dict] = asyncio.Queue()
        self._ws: WebSocket | None = None
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
            self._ws = await WebSocket.connect(url, headers={"Origin": self.base_url, **self.headers})
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
        try:
            while True:
                await self._handle(await self._ws.receive())
        except (ConnectionError, OSError, ProtocolError):  # the socket is gone
            return

    async def _handle(self, packet: str) -> None:
        prefix = f"42{NAMESPACE},"
        if packet == "2":
            await self._ws.send("3")
        elif packet.startswith(prefix):
            name, data = json.loads(packet[len(prefix) :])[:2]
            if name != "event":
                return
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
