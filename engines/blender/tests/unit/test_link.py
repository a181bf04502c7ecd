# SPDX-License-Identifier: GPL-2.0-or-later
"""The hub link (network thread) against a fake hub; no Blender needed."""

from __future__ import annotations

import asyncio
import json
import queue
import unittest

from support import paths  # noqa: F401
from support.fake_hub import FakeHub
from atelier_router import protocol
from atelier_router.frame import CODEC_JPEG, decode_frame, encode_frame
from atelier_router.link import EVENT_CONNECTED, EVENT_REJECTED, HubLink, ReconnectPolicy

HELLO = {"token": "test-token", "kind": "blender", "version": "0.1.0", "protocol": 1, "instructions": "i"}


class LinkTest(unittest.TestCase):
    def setUp(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.messages: queue.Queue = queue.Queue()

    def make_link(self, url: str, hello: dict | None = None) -> HubLink:
        link = HubLink(url, hello or HELLO, self.messages.put, lambda kind, payload: self.events.put((kind, payload)),
                       ReconnectPolicy(base_s=0.05, cap_s=0.2, give_up_after_s=10))
        link.set_tools_update(protocol.notification("tools/update", {"addons": [{"addon_info": {"id": "x"}}]}))
        return link

    async def next_event(self) -> tuple[str, object]:
        return await asyncio.get_running_loop().run_in_executor(None, self.events.get, True, 10)

    def test_hello_then_tools_update_then_traffic_both_ways(self) -> None:
        async def scenario() -> None:
            hub = FakeHub(hello_result={"warmup": True})
            await hub.start()
            link = self.make_link(hub.url)
            link.start()
            try:
                kind, payload = await self.next_event()
                self.assertEqual((kind, payload), (EVENT_CONNECTED, {"warmup": True}))
                self.assertEqual(hub.hello, HELLO)
                update = await hub.wait_for(lambda h: h.notifications_named("tools/update"))
                self.assertEqual(hub.notifications[0]["method"], "tools/update")
                self.assertEqual(update[0]["params"]["addons"][0]["addon_info"]["id"], "x")
                await hub.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}})
                text = await asyncio.get_running_loop().run_in_executor(None, self.messages.get, True, 5)
                self.assertEqual(json.loads(text)["method"], "tools/call")
                link.notify("scene/changed", {"summary": {}})
                link.send_frame(encode_frame(1, 4, 2, CODEC_JPEG, b"jpeg"))
                await hub.wait_for(lambda h: h.frames and h.notifications_named("scene/changed"))
                header, payload_bytes = decode_frame(hub.frames[0])
                self.assertEqual((header.width, header.height, payload_bytes), (4, 2, b"jpeg"))
            finally:
                await asyncio.get_running_loop().run_in_executor(None, link.stop)
                await hub.stop()

        asyncio.run(scenario())

    def test_reconnects_and_says_hello_again_after_the_hub_restarts(self) -> None:
        async def scenario() -> None:
            hub = FakeHub()
            await hub.start()
            port = hub.port
            link = self.make_link(hub.url)
            link.start()
            try:
                self.assertEqual((await self.next_event())[0], EVENT_CONNECTED)
                await hub.stop()
                self.assertEqual((await self.next_event())[0], "disconnected")
                self.assertFalse(link.send_text("dropped while disconnected"))
                await asyncio.sleep(0.3)
                hub = FakeHub()
                await hub.start(port)
                self.assertEqual((await self.next_event())[0], EVENT_CONNECTED)
                await hub.wait_for(lambda h: h.notifications_named("tools/update"))
                self.assertEqual(hub.hello["token"], "test-token")
            finally:
                await asyncio.get_running_loop().run_in_executor(None, link.stop)
                await hub.stop()

        asyncio.run(scenario())

    def test_a_refused_hello_stops_the_link(self) -> None:
        async def scenario() -> None:
            hub = FakeHub(token="other")
            await hub.start()
            link = self.make_link(hub.url)
            link.start()
            try:
                kind, payload = await self.next_event()
                self.assertEqual(kind, EVENT_REJECTED)
                self.assertEqual(payload["message"], "bad token")
                self.assertEqual(hub.connections, 1)
            finally:
                await asyncio.get_running_loop().run_in_executor(None, link.stop)
                await hub.stop()

        asyncio.run(scenario())


if __name__ == "__main__":
    unittest.main()
