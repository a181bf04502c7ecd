// SPDX-License-Identifier: Apache-2.0
// The official MCP TypeScript SDK client against the real hub, over Streamable HTTP and over
// `atelier mcp` (stdio), with the C++ test engine as engine kind `test` (docs/mcp.md). Run by
// scripts/mcp_sdk.sh (CTest: mcp_sdk).

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const binary = process.env.ATELIER_BINARY ?? path.resolve(import.meta.dirname, "../../build/asan/atelier");
const engine = path.join(path.dirname(binary), "atelier_test_engine");

let hub;
let dir;
let base;
let token;

/// Starts `atelier serve` on port 0 and waits for the line with its URL and token.
async function startHub() {
    dir = mkdtempSync(path.join(tmpdir(), "atelier-mcp-sdk-"));
    const config = path.join(dir, "atelier.toml");
    writeFileSync(config, `[engines.test]\ncommand = ${JSON.stringify([engine])}\n`);
    const env = { ...process.env };
    delete env.ATELIER_TOKEN;
    hub = spawn(
        binary,
        ["serve", "--port", "0", "--data-dir", path.join(dir, "data"), "--threads", "2", "--config", config,
         "--session-grace", "1"],
        { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    hub.stderr.on("data", (chunk) => { log += chunk; });
    let out = "";
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the hub did not start:\n${log}`)), 30_000);
        hub.on("exit", (code) => reject(new Error(`the hub exited (${code}):\n${log}`)));
        hub.stdout.on("data", (chunk) => {
            out += chunk;
            const match = out.match(/atelier open (http:\/\/[^/\s]+)\/\?token=(\S+)/);
            if (match) {
                clearTimeout(timer);
                [, base, token] = match;
                resolve();
            }
        });
    });
}

function httpTransport(headers = { Authorization: `Bearer ${token}` }) {
    return new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } });
}

function stdioTransport(args = ["--url", base, "--token", token]) {
    const env = { ...process.env };
    delete env.ATELIER_TOKEN;
    return new StdioClientTransport({ command: binary, args: ["mcp", ...args], env, stderr: "pipe" });
}

/// A client that counts notifications/tools/list_changed; `changed()` resolves on the next one.
function newClient() {
    const client = new Client({ name: "atelier-mcp-sdk-test", version: "1.0.0" });
    let waiters = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        const current = waiters;
        waiters = [];
        current.forEach((resolve) => resolve());
    });
    const changed = () => new Promise((resolve) => waiters.push(resolve));
    return { client, changed };
}

/// `promise`, or a failure naming `what` if it never settles (a missing notification must fail
/// the test, not hang it).
function within(promise, what) {
    let timer;
    const limit = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within 30 s`)), 30_000);
    });
    return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/// Resolves once no engine has a call in flight (GET /api/engines); fails after 30 s.
async function enginesIdle() {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
        const engines = await (await fetch(`${base}/api/engines`, { headers: { Authorization: `Bearer ${token}` } }))
            .json();
        if (engines.items.every((engine) => engine.in_flight === 0)) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("an engine call still runs 30 s after its cancel");
}

async function viewport(client) {
    let result;
    for (let attempt = 0; attempt < 50; ++attempt) {
        result = await client.callTool({ name: "get_viewport", arguments: {} });
        if (!result.isError) {
            break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return result;
}

/// The whole flow a model goes through, on any transport. `progressIsExact`: over stdio the SDK
/// client handles a notification one microtask after the response that follows it in the same
/// read, so progress that arrives just before a response may never reach `onprogress` (the bridge
/// does write it, in order: see the stateless stdio test); over HTTP each SSE event is its own read.
async function drive(client, changed, name, progressIsExact) {
    const initial = await client.listTools();
    assert.ok(initial.tools.some((tool) => tool.name === "open_project"));
    assert.ok(initial.tools.every((tool) => typeof tool.title === "string" && tool.title.length > 0));

    const created = await client.callTool({ name: "create_project", arguments: { name, kind: "test" } });
    assert.ok(!created.isError, JSON.stringify(created));
    const projectId = created.structuredContent.id;

    const listChanged = changed();
    const opened = await client.callTool({ name: "open_project", arguments: { project_id: projectId } });
    assert.ok(!opened.isError, JSON.stringify(opened));
    await within(listChanged, "notifications/tools/list_changed after open_project");

    const tools = await client.listTools();
    const createObject = tools.tools.find((tool) => tool.name === "scene__create_object");
    assert.ok(createObject, JSON.stringify(tools.tools.map((tool) => tool.name)));
    assert.equal(createObject.inputSchema.type, "object");
    assert.equal(createObject.title, "Create object (scene)");
    assert.equal(createObject.annotations.readOnlyHint, false);

    const result = await client.callTool({ name: "scene__create_object", arguments: { name: "cube" } });
    assert.ok(!result.isError, JSON.stringify(result));
    assert.ok(result.content.some((block) => block.type === "text" && block.text.includes("Committed as version")));

    const invalid = await client.callTool({ name: "scene__create_object", arguments: { shape: "blob" } });
    assert.equal(invalid.isError, true);

    // Progress of a long call, relayed from the engine's render/progress.
    const progress = [];
    const slept = await client.callTool({ name: "basics__sleep", arguments: { ms: 1, steps: 2 } }, undefined,
                                        { onprogress: (update) => progress.push(update) });
    assert.ok(!slept.isError, JSON.stringify(slept));
    const seen = progress.map((update) => [update.progress, update.total]);
    const expected = [[1, 2], [2, 2]];
    if (progressIsExact) {
        assert.deepEqual(seen, expected);
    } else {
        assert.deepEqual(seen, expected.slice(0, seen.length), "progress in order, none invented");
    }

    // Cancelling a call (the SDK sends notifications/cancelled) stops the engine's work on it.
    const controller = new AbortController();
    await assert.rejects(client.callTool({ name: "basics__sleep", arguments: { ms: 600_000, steps: 1 } }, undefined,
                                         { signal: controller.signal, onprogress: () => controller.abort("enough") }));
    await enginesIdle();

    const image = (await viewport(client)).content.find((block) => block.type === "image");
    assert.ok(image && image.data.length > 0 && image.mimeType.startsWith("image/"));

    const versions = await client.callTool({ name: "list_versions", arguments: {} });
    assert.ok(!versions.isError, JSON.stringify(versions));
    const [latest, first] = versions.structuredContent.items;
    assert.equal(latest.message, "create_object name=cube");
    const restored = await client.callTool({ name: "restore_version", arguments: { version: first.rev } });
    assert.ok(!restored.isError, JSON.stringify(restored));

    await assert.rejects(client.callTool({ name: "no__such_tool", arguments: {} }), (error) => error.code === -32602);

    const closedChanged = changed();
    const closed = await client.callTool({ name: "close_project", arguments: {} });
    assert.ok(!closed.isError, JSON.stringify(closed));
    await within(closedChanged, "notifications/tools/list_changed after close_project");
}

before(startHub);

/// Children a failed test may have left running: they would keep node (and CTest) waiting.
const children = [];

after(async () => {
    children.forEach((child) => child.exitCode === null && child.kill("SIGKILL"));
    if (hub && hub.exitCode === null) {
        const exited = new Promise((resolve) => hub.once("exit", resolve));
        hub.kill("SIGTERM");
        const stopped = await Promise.race([exited.then(() => true),
                                            new Promise((resolve) => setTimeout(() => resolve(false), 20_000))]);
        if (!stopped) {
            hub.kill("SIGKILL");
            assert.fail("the hub did not stop within 20 s of SIGTERM");
        }
    }
    if (dir) {
        rmSync(dir, { recursive: true, force: true });
    }
});

test("over Streamable HTTP: open a project, get list_changed, call tools, progress, viewport, versions", async () => {
    const { client, changed } = newClient();
    const transport = httpTransport();
    await client.connect(transport);
    try {
        assert.equal(transport.protocolVersion, "2025-11-25");
        assert.equal(client.getServerCapabilities().tools.listChanged, true);
        await drive(client, changed, "sdk over http", true);
        await transport.terminateSession();
    } finally {
        await client.close();
    }
});

test("over atelier mcp (stdio): the same flow", async () => {
    const { client, changed } = newClient();
    const transport = stdioTransport();
    let stderr = "";
    transport.stderr.on("data", (chunk) => { stderr += chunk; });
    await client.connect(transport);
    try {
        assert.equal(client.getServerVersion().name, "atelier");
        await drive(client, changed, "sdk over stdio", false);
    } finally {
        await client.close(); // also when an assertion failed: the bridge must not outlive the test
    }
    assert.equal(stderr, "", "the bridge logged nothing in a healthy session");
});

test("atelier mcp against a dead hub: a JSON-RPC error, a stderr line, a non-zero exit", async () => {
    const request = { jsonrpc: "2.0", id: 1, method: "initialize",
                      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } };
    const run = spawnSync(binary, ["mcp", "--url", "http://127.0.0.1:1", "--token", "x"],
                          { input: `${JSON.stringify(request)}\n`, encoding: "utf8", timeout: 30_000 });
    assert.equal(run.status, 1, run.stderr);
    const answer = JSON.parse(run.stdout.trim());
    assert.equal(answer.id, 1);
    assert.match(answer.error.message, /cannot reach the atelier hub/);
    assert.match(run.stderr, /^atelier mcp: cannot reach the atelier hub/m);

    // The SDK client sees the same error on connect.
    const client = new Client({ name: "dead", version: "1" });
    const transport = new StdioClientTransport({ command: binary, args: ["mcp", "--url", "http://127.0.0.1:1",
                                                                        "--token", "x"], stderr: "pipe" });
    await assert.rejects(client.connect(transport), /cannot reach the atelier hub/);
    await client.close();
});

/// `atelier mcp` as a child with line-based stdin/stdout: send(), next(predicate), end().
function bridgeProcess() {
    const env = { ...process.env };
    delete env.ATELIER_TOKEN;
    const child = spawn(binary, ["mcp", "--url", base, "--token", token], { env, stdio: ["pipe", "pipe", "pipe"] });
    children.push(child);
    const lines = [];
    let waiting = [];
    let buffer = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.stdout.on("data", (chunk) => {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
            lines.push(JSON.parse(buffer.slice(0, newline)));
            buffer = buffer.slice(newline + 1);
        }
        const current = waiting;
        waiting = [];
        current.forEach((wake) => wake());
    });
    const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    return {
        send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
        async next(what, predicate) {
            return within((async () => {
                for (;;) {
                    const index = lines.findIndex(predicate);
                    if (index >= 0) {
                        return lines.splice(index, 1)[0];
                    }
                    await new Promise((wake) => waiting.push(wake));
                }
            })(), what);
        },
        async end() {
            child.stdin.end();
            return within(exited, "the bridge's exit");
        },
        stderr: () => stderr,
        unread: () => lines,
    };
}

test("a stateless (2026-07-28) client over atelier mcp: discover, listen, a session handle, cancel", async () => {
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                   "io.modelcontextprotocol/clientInfo": { name: "stateless", version: "1" },
                   "io.modelcontextprotocol/clientCapabilities": {} };
    const bridge = bridgeProcess();
    const byId = (id) => (message) => message.id === id;
    bridge.send({ jsonrpc: "2.0", id: "d", method: "server/discover", params: { _meta: meta } });
    const discovered = await bridge.next("server/discover's answer", byId("d"));
    assert.deepEqual(discovered.result.supportedVersions, ["2026-07-28", "2025-11-25", "2025-06-18"]);

    bridge.send({ jsonrpc: "2.0", id: "listen", method: "subscriptions/listen",
                  params: { _meta: meta, notifications: { toolsListChanged: true } } });
    const acknowledged = await bridge.next("the acknowledgement",
                                           (message) => message.method === "notifications/subscriptions/acknowledged");
    assert.equal(acknowledged.params._meta["io.modelcontextprotocol/subscriptionId"], "listen");

    const call = (id, name, args) => bridge.send({ jsonrpc: "2.0", id, method: "tools/call",
                                                   params: { _meta: meta, name, arguments: args } });
    call("c", "create_project", { name: "stateless over stdio", kind: "test" });
    const created = await bridge.next("create_project's answer", byId("c"));
    call("o", "open_project", { project_id: created.result.structuredContent.id });
    const opened = await bridge.next("open_project's answer", byId("o"));
    assert.equal(opened.result.resultType, "complete");
    const handle = opened.result.structuredContent.session;
    // open_project's own answer carries a list_changed too (before its result), in either order
    // with the listen stream's: wait for the one the listen subscription delivers.
    const changed = await bridge.next("list_changed on the listen stream",
                                      (message) => message.method === "notifications/tools/list_changed" &&
                                                   message.params?._meta?.["io.modelcontextprotocol/subscriptionId"] === "listen");
    assert.equal(changed.params._meta["io.modelcontextprotocol/subscriptionId"], "listen");

    call("e", "basics__echo", { text: "hi", session: handle });
    const echoed = await bridge.next("basics__echo's answer", byId("e"));
    assert.equal(echoed.result.structuredContent.text, "hi");

    // Progress comes before the answer, in order, on stdout.
    bridge.send({ jsonrpc: "2.0", id: "p", method: "tools/call",
                  params: { _meta: { ...meta, progressToken: "t" }, name: "basics__sleep",
                            arguments: { ms: 1, steps: 2, session: handle } } });
    const slept = await bridge.next("basics__sleep's answer", byId("p"));
    assert.equal(slept.result.structuredContent.slept_ms, 1);
    const progress = bridge.unread().filter((message) => message.method === "notifications/progress");
    assert.deepEqual(progress.map((message) => [message.params.progressToken, message.params.progress]),
                     [["t", 1], ["t", 2]]);

    // Cancelling the listen request closes its stream; nothing answers it.
    bridge.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "listen" } });
    call("x", "close_project", { session: handle });
    await bridge.next("close_project's answer", byId("x"));
    assert.equal(await bridge.end(), 0, bridge.stderr());
    assert.equal(bridge.stderr(), "");
    assert.ok(!bridge.unread().some((message) => message.id === "listen"), "a cancelled request gets no answer");
});

test("protocol errors have their HTTP statuses", async () => {
    const post = (headers, body) => fetch(`${base}/mcp`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
        body: JSON.stringify(body),
    });
    const auth = { Authorization: `Bearer ${token}` };
    const init = await post(auth, { jsonrpc: "2.0", id: 1, method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    assert.equal(init.status, 200);
    const session = init.headers.get("mcp-session-id");
    assert.ok(session);
    const ping = { jsonrpc: "2.0", id: 2, method: "ping" };
    const ok = { ...auth, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25" };
    assert.equal((await post(ok, ping)).status, 200);
    assert.equal((await post({ ...ok, "MCP-Protocol-Version": "1999-01-01" }, ping)).status, 400);
    assert.equal((await post(auth, ping)).status, 400, "missing Mcp-Session-Id");
    assert.equal((await post({ ...ok, "Mcp-Session-Id": "unknown" }, ping)).status, 404);
    assert.equal((await post({ ...ok, Origin: "http://evil.example" }, ping)).status, 403);
    const anonymous = await post({ "Mcp-Session-Id": session }, ping);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /Bearer/);
    const deleted = await fetch(`${base}/mcp`, { method: "DELETE", headers: ok });
    assert.equal(deleted.status, 204);
    assert.equal((await post(ok, ping)).status, 404, "a deleted session is gone");
});

test("the SDK client without a token is refused", async () => {
    const client = new Client({ name: "anonymous", version: "1" });
    await assert.rejects(client.connect(httpTransport({})), (error) => error.code === 401 || /401/.test(String(error)));
});
