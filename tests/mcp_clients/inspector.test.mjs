// SPDX-License-Identifier: Apache-2.0
// The MCP Inspector's CLI (@modelcontextprotocol/inspector --cli, pinned in package-lock.json)
// against the hub over Streamable HTTP: it lists the tools and calls one, as a user checking a
// server by hand would. Run by tests/mcp_clients/run.sh (CTest: mcp_clients).

import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { run, startHub, stopAll, tempDir } from "./harness.mjs";

const inspector = path.join(import.meta.dirname, "node_modules/.bin/mcp-inspector");

let hub;

before(async () => {
    hub = await startHub();
});
after(stopAll);

/// One `mcp-inspector --cli` run against /mcp; its JSON output.
async function inspect(...args) {
    const done = await run(inspector, ["--cli", `${hub.base}/mcp`, "--transport", "http", "--header",
                                       `Authorization: Bearer ${hub.token}`, ...args],
                           { env: { ...process.env, HOME: tempDir("atelier-inspector-home-") } }, 120_000);
    assert.equal(done.code, 0, `the inspector exited ${done.code}\n${done.stdout}\n${done.stderr}\n${hub.log()}`);
    return JSON.parse(done.stdout);
}

test("the Inspector CLI lists the hub's tools over HTTP", async () => {
    const listed = await inspect("--method", "tools/list");
    const names = listed.tools.map((tool) => tool.name);
    for (const name of ["list_projects", "create_project", "open_project", "get_viewport", "list_engine_tools",
                        "call_engine_tool"]) {
        assert.ok(names.includes(name), `${name} missing from ${names.join(" ")}`);
    }
    const call = listed.tools.find((tool) => tool.name === "call_engine_tool");
    assert.match(call.description, /Prefer the engine's own tools/);
    assert.deepEqual(call.inputSchema.required, ["tool"]);
});

test("the Inspector CLI calls a tool over HTTP", async () => {
    const created = await inspect("--method", "tools/call", "--tool-name", "create_project", "--tool-arg",
                                  "name=from the inspector", "kind=test");
    assert.notEqual(created.isError, true, JSON.stringify(created));
    assert.equal(created.structuredContent.name, "from the inspector");
    assert.equal(created.structuredContent.kind, "test");
});
