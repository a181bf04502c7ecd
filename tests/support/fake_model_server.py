#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A fake model server for tests — never a product default.

Speaks both wire protocols the hub's agent uses, streaming included:
  POST .../v1/messages        Anthropic Messages API (SSE: message_start, content_block_*, message_delta,
                              message_stop, ping, error)
  POST .../chat/completions   OpenAI-compatible Chat Completions (SSE chunks, tool_calls deltas, [DONE])
Each model request takes the next scripted reply (provider-neutral JSON) and renders it in the
protocol of the path it arrived on (a query string, e.g. Claude Code's ?beta=true, is ignored).
Control endpoints:
  POST /_script    {"replies": [...]} replaces the script and forgets the recorded requests;
                   {"by_prompt": {"<prompt>": [...], ...}} instead keeps one script per conversation: a
                   request takes the next reply of the script whose key is contained in the text of
                   its first user message (several conversations at once, e.g. `atelier eval`)
  GET  /_requests  every model request received so far: [{"path", "headers", "body", "served_ms"}]
                   (served_ms: from the request line to the last byte written, for benchmarks)
                   and "client_port" (requests on one kept-alive connection share it)
A reply is an object with any of:
  "text": "..."                          streamed in small pieces
  "tool_calls": [{"name", "arguments"} | {"name", "raw_arguments": "not json"}, "id"?]
  "status": 429, "headers": {...}, "error": {"type", "message"}   an HTTP error instead of a stream
  "error_event": {"type", "message"}     an error event after the 200 (after "text", if any)
  "stall_ms": N                          pause N ms after the first text piece (to cancel mid-stream)
  "reuse_index_zero": true               (OpenAI) every tool call at index 0, told apart by id
  "usage": {"input_tokens", "output_tokens", "cached_input_tokens"?, "cache_write_input_tokens"?}
                                         input_tokens counts the whole prompt; the cached and written
                                         parts go out as Anthropic cache_read/cache_creation_input_tokens
                                         (input_tokens then the rest) or OpenAI prompt_tokens_details
  "close": true                          close the connection after the reply, unannounced
  "raw_stream": "..."                    (fault tests) a 200 event stream whose body is exactly this text
                                         instead of the reply's events: malformed SSE, a stream cut short
A string "{{last_result:KEY}}" anywhere in a tool call's "arguments" becomes the string value of the
last "KEY" in the text of the request's messages (the tool results the client sent back), so a script
can use an id an earlier tool returned (a project id); it stays as it is when there is none.
When the script runs out, the reply is the text "(script exhausted)".
Run: fake_model_server.py [--port N] [--script FILE]; prints "fake model listening on PORT".
"""

import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"replies": [], "requests": [], "next": 0, "by_prompt": {}, "taken": {}}
REQUEST = threading.local()  # the body of the request this thread answers, for "by_prompt" scripts


def pieces(text, size=4):
    return [text[i:i + size] for i in range(0, len(text), size)] or []


LAST_RESULT = re.compile(r"^\{\{last_result:([A-Za-z0-9_]+)\}\}$")


def messages_text(body):
    """The text of the request's messages: their strings, and the text of their blocks, nested."""
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key in ("text", "content"):
                if key in value:
                    walk(value[key])

    for message in body.get("messages") or []:
        if isinstance(message, dict):
            walk(message.get("content"))
    return "\n".join(found)


def resolve(value, text):
    """`value` with every "{{last_result:KEY}}" string replaced by KEY's string value in `text`."""
    if isinstance(value, dict):
        return {key: resolve(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, text) for item in value]
    match = LAST_RESULT.match(value) if isinstance(value, str) else None
    if match:
        found = re.findall(r'"%s"\s*:\s*"([^"]*)"' % re.escape(match.group(1)), text)
        return found[-1] if found else value
    return value


def with_results(reply, body):
    """`reply` with its tool calls' {{last_result:…}} arguments filled in from the request."""
    if not reply.get("tool_calls"):
        return reply
    text = messages_text(body)
    calls = [dict(call, arguments=resolve(call["arguments"], text)) if "arguments" in call else call
             for call in reply["tool_calls"]]
    return dict(reply, tool_calls=calls)


def next_reply():
    with LOCK:
        if STATE["by_prompt"]:
            text = first_user_text(getattr(REQUEST, "body", {}))
            for key, replies in STATE["by_prompt"].items():
                if key in text:
                    taken = STATE["taken"].get(key, 0)
                    STATE["taken"][key] = taken + 1
                    STATE["next"] += 1
                    return replies[taken] if taken < len(replies) else {"text": "(script exhausted)"}
            STATE["next"] += 1
            return {"text": "(no script for this prompt)"}
        if STATE["next"] < len(STATE["replies"]):
            reply = STATE["replies"][STATE["next"]]
        else:
            reply = {"text": "(script exhausted)"}
        STATE["next"] += 1
        return reply


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # stream pieces leave at once, as a real provider's do

    def parse_request(self):
        # A request's own time starts once its request line arrived (connections are kept alive,
        # so the time before that is the client's idle time, or its new connection).
        self.started = time.monotonic()
        return super().parse_request()

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        pass

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_requests":
            with LOCK:
                return self.send_json(200, STATE["requests"])
        self.send_json(404, {"error": {"type": "not_found_error", "message": "no such path"}})

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        if self.path == "/_script":
            script = json.loads(raw)
            with LOCK:
                STATE["replies"] = script.get("replies", [])
                STATE["by_prompt"] = script.get("by_prompt", {})
                STATE["taken"] = {}
                STATE["requests"] = []
                STATE["next"] = 0
            return self.send_json(200, {"ok": True})
        try:
            body = json.loads(raw)
        except ValueError:
            return self.send_json(400, {"error": {"type": "invalid_request_error", "message": "body is not JSON"}})
        started = self.started
        REQUEST.body = body
        record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                  "served_ms": None, "client_port": self.client_address[1]}
        with LOCK:
            STATE["requests"].append(record)
        try:
            self.answer(with_results(next_reply(), body))
        finally:
            record["served_ms"] = (time.monotonic() - started) * 1000

    def answer(self, reply):
        if "status" in reply:
            error = reply.get("error", {"type": "api_error", "message": f"scripted {reply['status']}"})
            return self.send_json(reply["status"], {"type": "error", "error": error}, reply.get("headers"))
        if "raw_stream" in reply:
            return self.stream(reply, iter([reply["raw_stream"]]))
        path = self.path.split("?", 1)[0]  # Claude Code asks for /v1/messages?beta=true
        if path.endswith("/v1/messages") or path.endswith("/messages"):
            return self.stream(reply, self.anthropic_events(reply))
        if path.endswith("/chat/completions"):
            return self.stream(reply, self.openai_events(reply))
        self.send_json(404, {"error": {"type": "not_found_error", "message": f"no model API at {self.path}"}})

    def stream(self, reply, events):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for item in events:
                if isinstance(item, (int, float)):
                    time.sleep(item / 1000)
                    continue
                data = item.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (a cancelled turn)
        if reply.get("close"):
            self.close_connection = True  # without telling the client, as an idle timeout would

    @staticmethod
    def sse(event, data):
        prefix = f"event: {event}\n" if event else ""
        return f"{prefix}data: {json.dumps(data) if not isinstance(data, str) else data}\n\n"

    def anthropic_events(self, reply):
        usage = reply.get("usage", {"input_tokens": 10, "output_tokens": 5})
        yield self.sse("message_start", {"type": "message_start", "message": {
            "id": "msg_fake", "type": "message", "role": "assistant", "content": [], "model": "fake",
            "stop_reason": None, "usage": {
                "input_tokens": usage["input_tokens"] - usage.get("cached_input_tokens", 0)
                - usage.get("cache_write_input_tokens", 0),
                "cache_read_input_tokens": usage.get("cached_input_tokens", 0),
                "cache_creation_input_tokens": usage.get("cache_write_input_tokens", 0), "output_tokens": 1}}})
        yield self.sse("ping", {"type": "ping"})
        index = 0
        text = reply.get("text", "")
        if text:
            yield self.sse("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}})
            for n, piece in enumerate(pieces(text)):
                yield self.sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "text_delta", "text": piece}})
                if n == 0 and reply.get("stall_ms"):
                    yield reply["stall_ms"]
            yield self.sse("content_block_stop", {"type": "content_block_stop", "index": index})
            index += 1
        if "error_event" in reply:
            yield self.sse("error", {"type": "error", "error": reply["error_event"]})
            return
        for n, call in enumerate(reply.get("tool_calls", [])):
            call_id = call.get("id", f"toolu_{STATE['next']}_{n}")
            yield self.sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": call_id, "name": call["name"], "input": {}}})
            arguments = call["raw_arguments"] if "raw_arguments" in call else json.dumps(call.get("arguments", {}))
            for piece in pieces(arguments, 7):
                yield self.sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "input_json_delta", "partial_json": piece}})
            yield self.sse("content_block_stop", {"type": "content_block_stop", "index": index})
            index += 1
        stop = "tool_use" if reply.get("tool_calls") else "end_turn"
        yield self.sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop},
                                         "usage": {"output_tokens": usage["output_tokens"]}})
        yield self.sse("message_stop", {"type": "message_stop"})

    def openai_events(self, reply):
        usage = reply.get("usage", {"input_tokens": 10, "output_tokens": 5})

        def chunk(delta, finish=None):
            return self.sse(None, {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": "fake",
                                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        yield chunk({"role": "assistant", "content": ""})
        text = reply.get("text", "")
        for n, piece in enumerate(pieces(text)):
            yield chunk({"content": piece})
            if n == 0 and reply.get("stall_ms"):
                yield reply["stall_ms"]
        if "error_event" in reply:
            yield self.sse(None, {"error": reply["error_event"]})
            return
        calls = reply.get("tool_calls", [])
        for n, call in enumerate(calls):
            index = 0 if reply.get("reuse_index_zero") else n
            call_id = call.get("id", f"call_{STATE['next']}_{n}")
            arguments = call["raw_arguments"] if "raw_arguments" in call else json.dumps(call.get("arguments", {}))
            yield chunk({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                         "function": {"name": call["name"], "arguments": ""}}]})
            for piece in pieces(arguments, 7):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, "tool_calls" if calls else "stop")
        yield self.sse(None, {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": [],
                              "usage": {"prompt_tokens": usage["input_tokens"],
                                        "completion_tokens": usage["output_tokens"],
                                        "prompt_tokens_details": {
                                            "cached_tokens": usage.get("cached_input_tokens", 0)}}})
        yield self.sse(None, "[DONE]")


def first_user_text(body):
    """The text of the first user message (a conversation's prompt, for "by_prompt" scripts)."""
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(part.get("text", "") for part in content or [] if isinstance(part, dict))
    return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script")
    args = parser.parse_args()
    if args.script:
        with open(args.script) as file:
            STATE["replies"] = json.load(file).get("replies", [])
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"fake model listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
