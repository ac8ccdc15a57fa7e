"""bench/reflex_client.py against a scripted Engine.IO server on loopback.

The server writes its HTTP 101 answer and Engine.IO's open packet in one TCP write, as a fast
portal often does: the client must see the packet at once, not with the next ping 25 s later
(the ``connect`` p95 the deadline-night bench used to report was that wait, not the portal's).
"""

from __future__ import annotations

import asyncio
import json
import time

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Request, TextMessage

from bench.reflex_client import NAMESPACE, ReflexClient

OPEN = '0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'


class ScriptedServer:
    """Answers the upgrade and the open packet in one write, then the Socket.IO connect; records
    what the client sends; ``push`` sends more packets."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.request_headers: dict[str, str] = {}
        self.writers: list[tuple[asyncio.StreamWriter, WSConnection]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ws = WSConnection(ConnectionType.SERVER)
        while True:
            data = await reader.read(65536)
            if not data:
                return
            ws.receive_data(data)
            out = b""
            for event in ws.events():
                if isinstance(event, Request):
                    self.request_headers = {k.decode().lower(): v.decode() for k, v in event.extra_headers}
                    out += ws.send(AcceptConnection()) + ws.send(Message(data=OPEN))
                    self.writers.append((writer, ws))
                elif isinstance(event, TextMessage):
                    self.received.append(event.data)
                    if event.data == f"40{NAMESPACE},":
                        out += ws.send(Message(data=f'40{NAMESPACE},{{"sid":"n1"}}'))
                elif isinstance(event, CloseConnection):
                    out += ws.send(event.response())
            writer.write(out)  # the 101 and the open packet leave in one write

    def push(self, packet: str) -> None:
        for writer, ws in self.writers:
            writer.write(ws.send(Message(data=packet)))

    async def stop(self) -> None:
        self.server.close()
        for writer, _ in self.writers:
            writer.close()
        await asyncio.sleep(0.1)  # let the handlers see their end of file


def test_connect_sees_the_open_packet_sent_with_the_handshake_at_once():
    async def scenario() -> list[float]:
        server = ScriptedServer()
        base_url = await server.start()
        times = []
        try:
            for _ in range(10):
                client = ReflexClient(base_url, "/demo/reservations", headers={"Cookie": "cp_session_demo=x"})
                started = time.perf_counter()
                await client.connect(timeout=10)
                times.append(time.perf_counter() - started)
                await client.close()
            assert server.request_headers["cookie"] == "cp_session_demo=x"
            assert server.request_headers["origin"] == base_url
        finally:
            await server.stop()
        return times

    times = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert max(times) < 2, times  # the bug waited for a ping that this server never sends


def test_events_and_pings_after_connect():
    async def scenario() -> None:
        server = ScriptedServer()
        base_url = await server.start()
        try:
            client = ReflexClient(base_url, "/demo/reservations")
            await client.connect(timeout=10)
            await client.emit("state.toggle", {"key": "k1"})
            server.push("2")
            # One update split over several frames' worth of text, as big deltas are.
            delta = {"state": {"tables_rx_state_": ["x" * 200_000]}}
            server.push(f"42{NAMESPACE}," + json.dumps(["event", {"delta": delta, "events": []}]))
            assert await client.wait_for("state", "tables_rx_state_", timeout=10) == ["x" * 200_000]
            for _ in range(50):
                if "3" in server.received:
                    break
                await asyncio.sleep(0.05)
            event = json.loads(server.received[1][len(f"42{NAMESPACE},") :])
            assert event == [
                "event",
                {
                    "name": "state.toggle",
                    "payload": {"key": "k1"},
                    "router_data": {"pathname": "/demo/reservations", "query": {}, "asPath": "/demo/reservations"},
                },
            ]
            assert "3" in server.received  # the pong
            await client.close()
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_dropped_socket_is_reported_once():
    async def scenario() -> None:
        server = ScriptedServer()
        base_url = await server.start()
        closed = asyncio.Event()
        client = ReflexClient(base_url, "/demo/reservations")
        client.on_close = closed.set
        await client.connect(timeout=10)
        await server.stop()  # the worker dies
        await asyncio.wait_for(closed.wait(), 10)
        assert client.closed

    asyncio.run(asyncio.wait_for(scenario(), 60))
