// SPDX-License-Identifier: Apache-2.0
// What the real-client tests share: the hub (`atelier serve` on port 0 with the C++ test engine as
// engine kind `test`), the fake model server (tests/support/fake_model_server.py, the sanctioned
// fake), and child processes that end with the tests.

import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const binary = process.env.ATELIER_BINARY ?? path.resolve(import.meta.dirname, "../../build/asan/atelier");
const engine = path.join(path.dirname(binary), "atelier_test_engine");
const fakeModel = path.resolve(import.meta.dirname, "../support/fake_model_server.py");

const children = [];
const dirs = [];
const cleanups = [];

/// A fresh temporary directory, removed by stopAll().
export function tempDir(prefix) {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
}

/// Spawns `command` and resolves with [child, match] once its `stream` output matches `pattern`;
/// rejects when it exits first or nothing matches within 60 s (the reason and its output included).
function startAndWait(command, args, options, stream, pattern, what) {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let log = "";
    child.stderr.on("data", (chunk) => { log += chunk; });
    let out = "";
    const started = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} did not start within 60 s:\n${out}${log}`)), 60_000);
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`${what} exited (${code}):\n${out}${log}`));
        });
        child[stream].on("data", (chunk) => {
            out += chunk;
            const match = out.match(pattern);
            if (match) {
                clearTimeout(timer);
                resolve(match);
            }
        });
    });
    return started.then((match) => ({ child, match, log: () => log }));
}

/// `atelier serve` on port 0: {base, token, log(), stop()}; stop() ends it (SIGTERM) and resolves
/// once it exited. `cluster` ({database, projectsDir, token}) makes it a hub of a cluster
/// (docs/scaling.md): that PostgreSQL, those shared repositories, that shared admin token.
export async function startHub(cluster) {
    const dir = tempDir("atelier-mcp-clients-");
    const config = path.join(dir, "atelier.toml");
    writeFileSync(config, `[engines.test]\ncommand = ${JSON.stringify([engine])}\n`);
    const env = { ...process.env };
    delete env.ATELIER_TOKEN;
    const args = ["serve", "--port", "0", "--data-dir", path.join(dir, "data"), "--threads", "2", "--config", config,
                  "--session-grace", cluster ? "300" : "1"];
    if (cluster) {
        env.ATELIER_TOKEN = cluster.token;
        args.push("--database", cluster.database, "--projects-dir", cluster.projectsDir,
                  "--hub-url", "http://127.0.0.1:0");
    }
    const { child, match, log } = await startAndWait(
        binary, args, { env }, "stdout", /atelier open (http:\/\/[^/\s]+)\/\?token=(\S+)/, "the hub");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    return {
        base: match[1],
        token: match[2],
        log,
        stop() {
            child.kill("SIGTERM");
            return exited;
        },
    };
}

/// The fake model server: {url, script(replies), requests()}.
export async function startFakeModel() {
    const { match } = await startAndWait("/usr/bin/python3", [fakeModel, "--port", "0"], {}, "stdout",
                                         /fake model listening on (\d+)/, "the fake model server");
    const url = `http://127.0.0.1:${match[1]}`;
    return {
        url,
        async script(replies) {
            const response = await fetch(`${url}/_script`, { method: "POST", body: JSON.stringify({ replies }) });
            if (!response.ok) {
                throw new Error(`scripting the fake model failed: ${response.status}`);
            }
        },
        async requests() {
            return (await fetch(`${url}/_requests`)).json();
        },
    };
}

/// A real PostgreSQL server of Debian's `postgresql` package on a Unix socket in a temporary
/// directory (as the `postgres` user when we are root, since PostgreSQL refuses root): {url}.
/// stopAll() stops it.
export function startPostgres() {
    const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql") : [];
    const bindir = versions.map((version) => `/usr/lib/postgresql/${version}/bin`)
        .filter((dir) => existsSync(`${dir}/initdb`) && existsSync(`${dir}/pg_ctl`))
        .sort((a, b) => parseInt(a.split("/")[4]) - parseInt(b.split("/")[4])).pop();
    if (!bindir) {
        throw new Error("no PostgreSQL server in /usr/lib/postgresql/*/bin: apt-get install postgresql");
    }
    const dir = tempDir("atelier-pg-");
    const root = process.getuid() === 0;
    if (root) {
        const uid = parseInt(execFileSync("id", ["-u", "postgres"]).toString());
        const gid = parseInt(execFileSync("id", ["-g", "postgres"]).toString());
        chownSync(dir, uid, gid);
    }
    const as = (command, args) => execFileSync(root ? "runuser" : command,
                                               root ? ["-u", "postgres", "--", command, ...args] : args,
                                               { stdio: "ignore" });
    const port = 5400 + Math.floor(Math.random() * 500);
    as(`${bindir}/initdb`, ["-D", `${dir}/data`, "-U", "atelier", "-A", "trust", "--no-sync", "-E", "UTF8",
                            "--locale=C"]);
    as(`${bindir}/pg_ctl`, ["-D", `${dir}/data`, "-l", `${dir}/server.log`, "-w", "-t", "60", "-o",
                            `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off`, "start"]);
    cleanups.push(() => as(`${bindir}/pg_ctl`, ["-D", `${dir}/data`, "-m", "immediate", "-w", "stop"]));
    return { url: `postgresql://atelier@/postgres?host=${dir}&port=${port}` };
}

/// Kills every child still running and removes the temporary directories.
export function stopAll() {
    for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
        }
    }
    for (const cleanup of cleanups.splice(0)) {
        try {
            cleanup();
        } catch {
            // stopped already
        }
    }
    for (const dir of dirs) {
        rmSync(dir, { recursive: true, force: true });
    }
}

/// Runs `command` to its end (at most `timeoutMs`): {code, stdout, stderr}. A run past the limit
/// is killed and reported with code null.
export function run(command, args, options = {}, timeoutMs = 180_000) {
    return new Promise((resolve) => {
        const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
        children.push(child);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => { stdout += chunk; });
        child.stderr.on("data", (chunk) => { stderr += chunk; });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}
