# SPDX-License-Identifier: GPL-2.0-or-later
"""One live session per project, with real Blender (DESIGN §5, issue #15).

Two browser-protocol tabs and one MCP client (JSON-RPC over ``POST /mcp``, the session-based
revision) open the same project while each adds one object, all three at once. They must share
one hub session and one Blender, and the project's newest ``scene.glb`` — written when the
session ends — must hold all three objects: no client's change is lost to another's.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import unittest
import urllib.request
from typing import Any

from support import paths
from support.media import parse_glb
from support.real_hub import BrowserTab, HubUnderTest, blender_command

MCP_VERSION = "2025-11-25"


class McpClient:
    """The session-based MCP revision over urllib: initialize, then tools/call requests."""

    def __init__(self, hub: HubUnderTest) -> None:
        self.hub = hub
        self.session = ""
        self.next_id = 0

    def _post(self, message: dict[str, Any], timeout: float = 180) -> tuple[dict[str, str], bytes]:
        request = urllib.request.Request(self.hub.base_url + "/mcp", data=json.dumps(message).encode(),
                                         method="POST")
        request.add_header("Authorization", f"Bearer {self.hub.token}")
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json, text/event-stream")
        if self.session:
            request.add_header("Mcp-Session-Id", self.session)
            request.add_header("MCP-Protocol-Version", MCP_VERSION)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return {k.lower(): v for k, v in response.headers.items()}, response.read()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        headers, body = self._post({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        if headers.get("content-type", "").startswith("text/event-stream"):
            # The answer is the stream's last message (notifications may come first).
            datas = [line[len("data: "):] for line in body.decode().splitlines() if line.startswith("data: ")]
            return json.loads(datas[-1])
        return json.loads(body)

    def initialize(self) -> None:
        headers, _ = self._post({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                                 "params": {"protocolVersion": MCP_VERSION, "capabilities": {},
                                            "clientInfo": {"name": "blender-shared-test", "version": "1"}}})
        self.session = headers["mcp-session-id"]
        self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.request("tools/call", {"name": tool, "arguments": arguments})["result"]


class OneSessionForTabsAndMcp(unittest.TestCase):
    def setUp(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.root = tempfile.mkdtemp(prefix="atelier-blender-shared-")
        self.hub = HubUnderTest(self.root, blender_command(), extra_args=["--session-grace", "1"])
        self.tabs: list[BrowserTab] = []

    def tearDown(self) -> None:
        for tab in self.tabs:
            self.loop.run_until_complete(tab.close())
        code = self.hub.stop()
        if code not in (0, None):
            sys.stderr.write(f"\n  the hub exited with {code}:\n{self.hub.log()[-6000:]}\n")
        self.loop.close()
        if os.environ.get("ATELIER_KEEP_TEST_DIRS") != "1":
            shutil.rmtree(self.root, ignore_errors=True)

    def test_two_tabs_and_an_mcp_client_each_add_an_object_and_the_newest_glb_has_all_three(self) -> None:
        self.hub.start()
        project = self.hub.create_project("shared")
        first = self.loop.run_until_complete(BrowserTab.open(self.hub))
        second = self.loop.run_until_complete(BrowserTab.open(self.hub))
        self.tabs = [first, second]
        ready_a = self.loop.run_until_complete(first.start_session(project))
        ready_b = self.loop.run_until_complete(second.start_session(project))
        self.assertEqual(ready_a["session_id"], ready_b["session_id"], "the second tab got a session of its own")
        self.assertTrue(ready_b.get("resumed"), ready_b)

        mcp = McpClient(self.hub)
        mcp.initialize()
        opened = mcp.call("open_project", {"project_id": project})
        self.assertFalse(opened.get("isError"), opened)
        self.assertEqual(opened["structuredContent"]["session_id"], ready_a["session_id"])
        self.assertEqual(len(self.hub.sessions()), 1, self.hub.sessions())

        # All three at once: the MCP call on a thread, the tabs' commands on the event loop.
        async def everyone() -> list[Any]:
            mcp_call = asyncio.get_running_loop().run_in_executor(
                None, mcp.call, "modeling__add_primitive", {"shape": "cone", "name": "FromMcp", "location": [3, 0, 0]})
            return await asyncio.gather(
                first.command("modeling__add_primitive", {"shape": "cube", "name": "FromTabA", "location": [-3, 0, 0]}),
                second.command("modeling__add_primitive", {"shape": "uv_sphere", "name": "FromTabB",
                                                           "location": [0, 3, 0]}),
                mcp_call)

        tab_a, tab_b, from_mcp = self.loop.run_until_complete(everyone())
        self.assertTrue(tab_a.get("ok"), tab_a)
        self.assertTrue(tab_b.get("ok"), tab_b)
        self.assertFalse(from_mcp.get("isError"), from_mcp)
        # One Blender for the three clients.
        engines = self.hub.request("GET", "/api/engines")[1]["items"]
        self.assertEqual(len([e for e in engines if e.get("kind") == "blender"]), 1, engines)

        # Everyone leaves; the session saves and commits its scene.glb once the grace is over.
        self.assertFalse(mcp.call("close_project", {}).get("isError"))
        for tab in self.tabs:
            self.loop.run_until_complete(tab.close())
        self.tabs = []
        deadline_checks = 0
        while self.hub.sessions() and deadline_checks < 600:
            self.loop.run_until_complete(asyncio.sleep(0.1))
            deadline_checks += 1
        self.assertEqual(self.hub.sessions(), [], self.hub.log()[-4000:])

        versions = self.hub.request("GET", f"/api/projects/{project}/versions")[1]["items"]
        head = versions[0]["rev"]
        status, glb = self.hub.request("GET", f"/api/projects/{project}/files/scene.glb?rev={head}")
        self.assertEqual(status, 200, glb)
        names = [node.get("name") for node in parse_glb(glb)["nodes"]]
        for name in ("FromTabA", "FromTabB", "FromMcp"):
            self.assertIn(name, names, f"{name} is missing from the newest scene.glb: {names}")


if __name__ == "__main__":
    unittest.main()
