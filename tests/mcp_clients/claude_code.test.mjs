// SPDX-License-Identifier: Apache-2.0
// Claude Code (@anthropic-ai/claude-code, pinned in package-lock.json) as a real MCP client of the
// hub, over Streamable HTTP and over `atelier mcp` (stdio), configured with `claude mcp add`. Its
// model is the fake model server, scripted to create a test-engine project, open it, call an
// engine tool and fetch the viewport; the test then reads what Claude Code sent the model (the
// tools it offered, the tool results) and what the hub holds (the committed version).
// Run by tests/mcp_clients/run.sh (CTest: mcp_clients). DEBUG_CLIENTS=FILE: Claude Code's debug log
// goes to FILE, and each test prints the MCP tools of every model request and the hub's MCP log.

import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, afterEach, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";

import { randomBytes } from "node:crypto";

import { binary, run, startFakeModel, startHub, startPostgres, stopAll, tempDir } from "./harness.mjs";

const claude = path.join(import.meta.dirname, "node_modules/.bin/claude");

let hub;
let model;

before(async () => {
    model = await startFakeModel();
});
after(stopAll);
// A hub per test: in the stateless revision Claude Code speaks, tools/list lists the engine tools
// of every project the user has open, so one test's project must not show in the next.
beforeEach(async () => {
    hub = await startHub();
});
afterEach(() => hub.stop());

/// The environment of one Claude Code run: a fresh HOME (its settings and ~/.claude.json), the fake
/// model as its API, a dummy key, and everything that would reach the network switched off.
function claudeEnv(home, toolSearch) {
    return {
        PATH: process.env.PATH,
        HOME: home,
        TMPDIR: process.env.TMPDIR ?? "/tmp",
        LANG: "C.UTF-8",
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: "sk-ant-test-dummy",
        DISABLE_TELEMETRY: "1",
        DISABLE_AUTOUPDATER: "1",
        DISABLE_ERROR_REPORTING: "1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        ENABLE_TOOL_SEARCH: toolSearch ? "true" : "false",
    };
}

/// `claude mcp add` for the hub, as docs/mcp.md tells users to: `http` or `stdio`.
async function addServer(transport, env, cwd) {
    const args = transport === "http"
        ? ["mcp", "add", "--transport", "http", "atelier", `${hub.base}/mcp`, "--header",
           `Authorization: Bearer ${hub.token}`]
        : ["mcp", "add", "atelier", "--env", `ATELIER_TOKEN=${hub.token}`, "--", binary, "mcp", "--url", hub.base];
    const added = await run(claude, args, { env, cwd }, 60_000);
    assert.equal(added.code, 0, `claude mcp add failed:\n${added.stdout}${added.stderr}`);
}

/// One non-interactive Claude Code turn against the scripted model; the parsed `--output-format
/// json` result and every model request it made.
async function turn(transport, toolSearch, replies) {
    const home = tempDir("atelier-claude-home-");
    const cwd = path.join(home, "work");
    mkdirSync(cwd);
    const env = claudeEnv(home, toolSearch);
    await addServer(transport, env, cwd);
    await model.script(replies);
    const done = await run(claude, ["-p", "Make a cube in a new atelier test project and show me the viewport.",
                                    "--output-format", "json", "--allowedTools", "mcp__atelier",
                                    ...(process.env.DEBUG_CLIENTS ? ["--debug-file", process.env.DEBUG_CLIENTS] : [])],
                           { env, cwd });
    const requests = await model.requests();
    const context = `claude exited ${done.code}\nstdout: ${done.stdout}\nstderr: ${done.stderr}\nhub log:\n${
        hub.log()}`;
    assert.equal(done.code, 0, context);
    return { result: JSON.parse(done.stdout), requests, context };
}

function toolNames(request) {
    return (request.body.tools ?? []).map((tool) => tool.name);
}

/// The tool_result that answered the tool call of scripted reply `index` (0-based): the fake model
/// names its calls toolu_<reply number>_<n>, and Claude Code sends the result in a later request.
function resultOf(requests, index) {
    const id = `toolu_${index + 1}_0`;
    for (const request of requests.slice(index + 1)) {
        for (const message of request.body.messages) {
            const blocks = Array.isArray(message.content) ? message.content : [];
            const found = blocks.find((block) => block.type === "tool_result" && block.tool_use_id === id);
            if (found) {
                return found;
            }
        }
    }
    assert.fail(`no tool result for reply ${index} (${id})`);
}

function resultText(block) {
    const content = Array.isArray(block.content) ? block.content : [{ type: "text", text: String(block.content) }];
    return content.filter((part) => part.type === "text").map((part) => part.text).join("\n");
}

function hasImage(block) {
    return Array.isArray(block.content) && block.content.some((part) => part.type === "image" &&
                                                                        part.source?.data?.length > 0);
}

/// The project's versions through the REST API (what the engine call committed).
async function versions(projectId) {
    const response = await fetch(`${hub.base}/api/projects/${projectId}/versions`,
                                 { headers: { Authorization: `Bearer ${hub.token}` } });
    assert.equal(response.status, 200);
    return (await response.json()).items.map((version) => version.message);
}

function projectIdOf(block) {
    const match = resultText(block).match(/"id"\s*:\s*"([^"]+)"/);
    assert.ok(match, `no project id in ${resultText(block)}`);
    return match[1];
}

/// Claude Code 2.1.332 speaks the stateless revision (2026-07-28): open_project returns a session
/// handle that the engine tools, get_viewport and list_versions take as `session`.
const session = "{{last_result:session}}";

function debug(requests) {
    if (process.env.DEBUG_CLIENTS) {
        requests.forEach((request, i) => console.log(i, toolNames(request).filter((n) => n.startsWith("mcp")).join(" ")));
        console.log(hub.log().split("\n").filter((line) => line.includes("mcp")).join("\n"));
    }
}

/// The engine's own tools, called directly once Claude Code lists them (tool search off). Claude
/// Code 2.1.332 hears list_changed twice — first on open_project's own answer (the hub then holds
/// the result until Claude Code's tools/list, at most 1 s) and on its subscriptions/listen stream —
/// and refreshes its list at once; it offers the refreshed list from its second model request
/// after open_project on (the first still has the hub tools, call_engine_tool among them; the
/// model calls list_versions there). Without either notification the engine tools never appear.
async function directFlow(transport) {
    const name = `claude code over ${transport}`;
    const { result, requests, context } = await turn(transport, false, [
        { tool_calls: [{ name: "mcp__atelier__create_project", arguments: { name, kind: "test" } }] },
        { tool_calls: [{ name: "mcp__atelier__open_project", arguments: { project_id: "{{last_result:id}}" } }] },
        { tool_calls: [{ name: "mcp__atelier__list_versions", arguments: { session } }] },
        { tool_calls: [{ name: "mcp__atelier__scene__create_object", arguments: { name: "cube", session } }] },
        { tool_calls: [{ name: "mcp__atelier__get_viewport", arguments: { session } }] },
        { text: "A cube, and here is the viewport." },
    ]);
    debug(requests);
    assert.equal(result.is_error, false, context);
    assert.equal(requests.length, 6, context);
    assert.ok(toolNames(requests[0]).includes("mcp__atelier__create_project"), toolNames(requests[0]).join(" "));
    assert.ok(!toolNames(requests[0]).includes("mcp__atelier__scene__create_object"), "no engine tools before open");

    const created = resultOf(requests, 0);
    assert.notEqual(created.is_error, true, resultText(created));
    const projectId = projectIdOf(created);
    const opened = resultOf(requests, 1);
    assert.notEqual(opened.is_error, true, resultText(opened));
    assert.match(resultText(opened), /scene__create_object/);
    assert.notEqual(resultOf(requests, 2).is_error, true, resultText(resultOf(requests, 2)));
    // The point of the test: after open_project, Claude Code offers the model the engine's tools.
    assert.ok(toolNames(requests[3]).includes("mcp__atelier__scene__create_object"),
              `the engine tools did not reach Claude Code's model requests: ${toolNames(requests[3]).join(" ")}`);

    const called = resultOf(requests, 3);
    assert.notEqual(called.is_error, true, resultText(called));
    assert.match(resultText(called), /cube/);
    const viewport = resultOf(requests, 4);
    assert.notEqual(viewport.is_error, true, resultText(viewport));
    assert.ok(hasImage(viewport), `no image in the viewport result: ${JSON.stringify(viewport).slice(0, 400)}`);
    assert.ok((await versions(projectId)).includes("create_object name=cube"));
}

/// Tool search on (Claude Code's default): MCP tools are deferred behind its ToolSearch tool, and
/// the engine's tools are reached through the hub's list_engine_tools and call_engine_tool, which
/// need no refreshed list.
async function hubToolFlow(transport) {
    const name = `claude code with tool search over ${transport}`;
    const { result, requests, context } = await turn(transport, true, [
        { tool_calls: [{ name: "ToolSearch", arguments: { query: "select:mcp__atelier__create_project,"
                                                                 + "mcp__atelier__open_project,"
                                                                 + "mcp__atelier__list_engine_tools,"
                                                                 + "mcp__atelier__call_engine_tool,"
                                                                 + "mcp__atelier__get_viewport",
                                                          max_results: 5 } }] },
        { tool_calls: [{ name: "mcp__atelier__create_project", arguments: { name, kind: "test" } }] },
        { tool_calls: [{ name: "mcp__atelier__open_project", arguments: { project_id: "{{last_result:id}}" } }] },
        { tool_calls: [{ name: "mcp__atelier__list_engine_tools", arguments: { session } }] },
        { tool_calls: [{ name: "mcp__atelier__call_engine_tool",
                         arguments: { session, tool: "scene__create_object", arguments: { name: "cube" } } }] },
        { tool_calls: [{ name: "mcp__atelier__get_viewport", arguments: { session } }] },
        { text: "A cube, and here is the viewport." },
    ]);
    debug(requests);
    assert.equal(result.is_error, false, context);
    assert.equal(requests.length, 7, context);
    assert.ok(toolNames(requests[0]).includes("ToolSearch"), `tool search is on: ${toolNames(requests[0]).join(" ")}`);

    const created = resultOf(requests, 1);
    assert.notEqual(created.is_error, true, resultText(created));
    const projectId = projectIdOf(created);
    const opened = resultOf(requests, 2);
    assert.notEqual(opened.is_error, true, resultText(opened));
    const listed = resultOf(requests, 3);
    assert.notEqual(listed.is_error, true, resultText(listed));
    assert.match(resultText(listed), /scene__create_object/);
    const called = resultOf(requests, 4);
    assert.notEqual(called.is_error, true, resultText(called));
    assert.match(resultText(called), /cube/);
    const viewport = resultOf(requests, 5);
    assert.notEqual(viewport.is_error, true, resultText(viewport));
    assert.ok(hasImage(viewport), `no image in the viewport result: ${JSON.stringify(viewport).slice(0, 400)}`);
    assert.ok((await versions(projectId)).includes("create_object name=cube"));
}

test("Claude Code over Streamable HTTP: create, open, an engine tool, the viewport", () => directFlow("http"));
test("Claude Code over atelier mcp (stdio): create, open, an engine tool, the viewport", () => directFlow("stdio"));
test("Claude Code with tool search, over HTTP: the engine tool through call_engine_tool", () => hubToolFlow("http"));
test("Claude Code with tool search, over stdio: the engine tool through call_engine_tool",
     () => hubToolFlow("stdio"));

/// One stateless (2026-07-28) tools/call over plain fetch, as a conforming client sends it: its
/// JSON-RPC result.
async function statelessCall(server, name, args) {
    const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: {
        name, arguments: args, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                        "io.modelcontextprotocol/clientCapabilities": {} } } };
    const response = await fetch(`${server.base}/mcp`, { method: "POST", body: JSON.stringify(body), headers: {
        Authorization: `Bearer ${server.token}`, "Content-Type": "application/json", Accept: "application/json",
        "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": name } });
    assert.equal(response.status, 200);
    return (await response.json()).result;
}

/// Two hubs on one real PostgreSQL (docs/scaling.md). The project's live session is on hub 0 (a
/// stateless client holds it there); Claude Code talks to hub 1. Its open_project and every call
/// with the handle go to hub 0, and hub 1's tools/list carries the engine tools of the seat on
/// hub 0: without them Claude Code would never offer the engine's tools.
test("Claude Code over HTTP to a hub that does not own the project works in the owner's session", async () => {
    const standalone = hub;
    const shared = { database: startPostgres().url, projectsDir: tempDir("atelier-projects-"),
                     token: randomBytes(24).toString("hex") };
    const hubs = [await startHub(shared), await startHub(shared)];
    try {
        const made = await fetch(`${hubs[0].base}/api/projects`, {
            method: "POST", body: JSON.stringify({ name: "across hubs", kind: "test" }),
            headers: { Authorization: `Bearer ${shared.token}`, "Content-Type": "application/json" } });
        assert.equal(made.status, 201);
        const projectId = (await made.json()).id;
        const owner = await statelessCall(hubs[0], "open_project", { project_id: projectId });
        assert.notEqual(owner.isError, true, JSON.stringify(owner));

        hub = hubs[1];
        const { result, requests, context } = await turn("http", false, [
            { tool_calls: [{ name: "mcp__atelier__open_project", arguments: { project_id: projectId } }] },
            { tool_calls: [{ name: "mcp__atelier__list_versions", arguments: { session } }] },
            { tool_calls: [{ name: "mcp__atelier__scene__create_object", arguments: { name: "cube", session } }] },
            { tool_calls: [{ name: "mcp__atelier__get_viewport", arguments: { session } }] },
            { text: "A cube, and here is the viewport." },
        ]);
        debug(requests);
        const logs = `${context}\nhub 0 log:\n${hubs[0].log()}`;
        assert.equal(result.is_error, false, logs);
        const opened = resultOf(requests, 0);
        assert.notEqual(opened.is_error, true, resultText(opened));
        assert.match(resultText(opened), new RegExp(`${projectId}\\.[0-9a-f]{24}`), "the handle names the project");
        assert.ok(toolNames(requests[2]).includes("mcp__atelier__scene__create_object"),
                  `hub 1 did not list the seat's engine tools: ${toolNames(requests[2]).join(" ")}\n${logs}`);
        const called = resultOf(requests, 2);
        assert.notEqual(called.is_error, true, resultText(called));
        assert.match(resultText(called), /cube/);
        assert.ok(hasImage(resultOf(requests, 3)), "no image in the viewport result");
        assert.ok((await versions(projectId)).includes("create_object name=cube"));
        // Both seats opened on hub 0, in its one live session; hub 1 opened nothing itself.
        const opens = (log) => log.split("\n").filter((line) => line.includes(`open_project ${projectId}`)).length;
        assert.equal(opens(hubs[0].log()), 2, logs);
        assert.equal(opens(hubs[1].log()), 0, logs);
    } finally {
        hub = standalone;
        await Promise.all(hubs.map((one) => one.stop()));
    }
});
