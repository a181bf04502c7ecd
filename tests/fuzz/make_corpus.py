#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ from the test data (and a few hand-written
inputs where the tests keep their cases inline). Re-run after adding test cases; files are named by
content hash, so running it twice changes nothing. Regression inputs (crashes found and fixed) live
beside the seeds as regression-<what>.txt and are never removed by this script."""

import hashlib
import json
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fuzz/corpus"


def write(target: str, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode()
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)


def manifests() -> list[Path]:
    files = [p for p in (ROOT / "tests/registry/manifests").rglob("*.json") if ".expected." not in p.name]
    files += sorted((ROOT / "tests/engine/manifests").glob("*.json"))
    files += sorted((ROOT / "tests/engine/manifests_sandbox").glob("*.json"))
    return sorted(files)


def main() -> None:
    envelopes = [
        '{"type":"message:send","id":"u1","payload":{"text":"hi"},"re":"u0"}',
        '{"type":"agent:cancel","id":"u2"}',
        '{"type":"session:start","id":"a","payload":{"project_id":"p1"}}',
        '{"type":"viewport:camera","id":"b","payload":{"orbit":[0.1,0.2],"zoom":1.5}}',
        '{"type":"viewport:configure","id":"c","payload":{"width":640,"height":480,"fps":30}}',
        '{"id":"u"}', '{"type":3,"id":"u"}', '{"type":"","id":"u"}', '[]', '{"type":"x","id":"y","payload":[]}',
    ]
    for frame in envelopes:
        write("browser_envelope", frame)

    for case in json.loads((ROOT / "tests/protocol/cases/rpc_frames.json").read_text()):
        write("rpc_message", case["frame"])
    for case in json.loads((ROOT / "tests/integration/cases/engine_protocol.json").read_text()):
        if isinstance(case.get("send"), str):
            write("rpc_message", case["send"])

    for seq, codec in ((1, 1), (2, 2), (0xFFFFFFFF, 3), (7, 9)):
        write("frame_header", b"AVF1" + struct.pack("<IHHB3x", seq, 640, 480, codec) + b"\xff\xd8\xff")
    write("frame_header", b"AVF0" + bytes(12))
    write("frame_header", b"AVF1" + struct.pack("<IHHB3x", 1, 0, 480, 1))

    for file in manifests():
        write("manifest", file.read_bytes())

    for file in sorted((ROOT / "tests/registry/validation").glob("*.json")):
        for index, case in enumerate(json.loads(file.read_text()).get("cases", [])):
            write("arguments", bytes([index % 256]) + json.dumps(case["arguments"]).encode())

    streams = [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"m1"}}\n\n'
        'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hi"}}\n\n'
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
        'data: {"choices":[{"delta":{"content":"Hi"}}]}\r\n\r\ndata: [DONE]\r\n\r\n',
        ': keep-alive\n\nretry: 100\nid: 7\ndata: a\ndata: b\n\n',
        'data: no blank line at the end',
        'event:\ndata:\n\n', 'data: one\r\rdata: two\r',
    ]
    for stream in streams:
        write("sse_parser", stream)

    heads = [
        "GET /api/projects?limit=10&q=a%20b HTTP/1.1\r\nHost: localhost\r\nCookie: atelier_token=abc; x=y\r\n\r\n",
        "POST /api/projects/p1/versions/3/restore HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}",
        "GET /api/projects/p1/files/scenes/a%2Fb.blend?rev=2 HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST /mcp HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer t\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\n{}\r\n0\r\n\r\n",
        "GET /ws/browser HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "GET /preview/s1/index.html HTTP/1.1\r\nHost: h\r\n\r\n",
        "DELETE /api/projects/%00 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a/../b?x=%zz HTTP/1.0\r\n\r\n",
    ]
    for head in heads:
        write("http_request", head)

    for value in ["Bearer f00dfeedf00dfeedf00dfeedf00dfeed\n", "Basic abc\natelier_token=f00dfeedf00dfeedf00dfeedf00dfeed",
                  "\nx=1; atelier_token=abc; y=2", "Bearer \n atelier_token=", "bearer x\natelier_token"]:
        write("auth_headers", value)

    write("config_toml", (ROOT / "config/atelier.toml").read_bytes())
    for toml in ['port = 9000\nhost = "0.0.0.0"\n[limits]\nbody_bytes = "2MiB"\n',
                 '[engines.test]\ncommand = ["./engine", "--mode", "echo"]\npool = 2\nsandbox = true\n',
                 'port = "x"\n', '[agent]\nmodel = "m"\ncontext_tokens = 1000\n', 'unknown = 1\n', 'a = [\n']:
        write("config_toml", toml)

    for path in ["scene.blend", "assets/textures/wood.png", "../etc/passwd", "a//b", "./a", "a\\b", "/abs",
                 "index.html", "assets/app.js", "leak.txt", "assets/", "unknown-route", "a/./b", "%2e%2e/x"]:
        write("path_rules", path)

    for text in ["eyJhIjoxfQ==", "YWJj", "YQ", "YQ==", "====", "2025-06-18", "2024-11-05", "", "@@@@"]:
        write("mcp_json_rpc", text)


if __name__ == "__main__":
    main()
