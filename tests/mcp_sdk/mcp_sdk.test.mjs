// The official MCP TypeScript SDK client against the real hub over Streamable HTTP, with the C++
// test engine as engine kind `test` (docs/mcp.md). Run by scripts/mcp_sdk.sh (CTest: mcp_sdk).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

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

function connect(headers = { Authorization: `Bearer ${token}` }) {
    const client = new Client({ name: "atelier-mcp-sdk-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } });
    return { client, transport };
}

before(startHub);

after(() => {
    hub?.kill("SIGTERM");
    if (dir) {
        rmSync(dir, { recursive: true, force: true });
    }
});

test("the SDK client opens a project, calls an engine tool and gets the viewport", async () => {
    const { client, transport } = connect();
    await client.connect(transport);
    assert.ok(["2025-11-25", "2025-06-18"].includes(transport.protocolVersion), transport.protocolVersion);

    const initial = await client.listTools();
    assert.ok(initial.tools.some((tool) => tool.name === "open_project"));

    const created = await client.callTool({ name: "create_project", arguments: { name: "sdk", kind: "test" } });
    assert.ok(!created.isError, JSON.stringify(created));
    const projectId = created.structuredContent.id;

    const opened = await client.callTool({ name: "open_project", arguments: { project_id: projectId } });
    assert.ok(!opened.isError, JSON.stringify(opened));

    const tools = await client.listTools();
    const createObject = tools.tools.find((tool) => tool.name === "scene__create_object");
    assert.ok(createObject, JSON.stringify(tools.tools.map((tool) => tool.name)));
    assert.equal(createObject.inputSchema.type, "object");

    const result = await client.callTool({ name: "scene__create_object", arguments: { name: "cube" } });
    assert.ok(!result.isError, JSON.stringify(result));
    assert.ok(result.content.some((block) => block.type === "text" && block.text.includes("Committed as version")));

    const invalid = await client.callTool({ name: "scene__create_object", arguments: { shape: "blob" } });
    assert.equal(invalid.isError, true);

    let viewport;
    for (let attempt = 0; attempt < 50; ++attempt) {
        viewport = await client.callTool({ name: "get_viewport", arguments: {} });
        if (!viewport.isError) {
            break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(!viewport.isError, JSON.stringify(viewport));
    const image = viewport.content.find((block) => block.type === "image");
    assert.ok(image && image.data.length > 0 && image.mimeType.startsWith("image/"));

    await assert.rejects(client.callTool({ name: "no__such_tool", arguments: {} }), (error) => error.code === -32602);

    await transport.terminateSession();
    await client.close();
});

test("the SDK client without a token is refused", async () => {
    const { client, transport } = connect({});
    await assert.rejects(client.connect(transport), (error) => error.code === 401 || /401/.test(String(error)));
});
