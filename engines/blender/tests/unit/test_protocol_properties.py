# SPDX-License-Identifier: GPL-2.0-or-later
"""Property-style tests of the hub-facing parsers with malformed frames (issue 22 §1).

Thousands of generated frames per property, stdlib only: random bytes and text, valid frames
mutated byte by byte, truncated, spliced and nested deeper than the interpreter's recursion limit.
The generator is seeded (ATELIER_PROPERTY_SEED, default 22) and every failure names the frame, so
a failure is reproducible. Properties: ``protocol.parse`` accepts a frame or raises ``RpcError``
with PARSE_ERROR / INVALID_REQUEST, nothing else; what it accepts is well formed; the error reply
to a refused frame is itself a valid response; encoders and parser round-trip; the dispatcher
answers every request exactly once with its id; ``decode_frame`` raises only FrameFormatError.
"""

from __future__ import annotations

import json
import os
import random
import string
import unittest
from typing import Any

from support import paths  # noqa: F401
from atelier_router import protocol
from atelier_router.frame import FrameFormatError, HEADER_SIZE, decode_frame, encode_frame
from atelier_router.protocol import Dispatcher, RpcError

SEED = int(os.environ.get("ATELIER_PROPERTY_SEED", "22"))
RUNS = 1500

VALID_FRAMES = [
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"scene__add","arguments":{"size":2}}}',
    '{"jsonrpc":"2.0","method":"$/cancel","params":{"call_id":"7"}}',
    '{"jsonrpc":"2.0","id":"h","result":{"protocol":1,"session":"s"}}',
    '{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}',
    '{"jsonrpc":"2.0","method":"viewport/camera","params":[0.5,1e3,-2]}',
    '{"jsonrpc":"2.0","id":"x","method":"project/save","params":{"path":"scene.blend"}}',
]
TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', '"jsonrpc"', '"2.0"', '"id"', '"method"', '"params"', '"result"',
          '"error"', 'null', 'true', 'false', '-0', '1e999', '18446744073709551616', '\\ud800', '\x00', '\u2028']


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["null", "bool", "int", "float", "string"] + (["list", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, -1, 2**31, -(2**63), 2**64, rng.randint(-1000, 1000)])
    if kind == "float":
        return rng.choice([0.5, -1e300, 1e-300, rng.uniform(-1e6, 1e6)])
    if kind == "string":
        return random_text(rng, 12)
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_text(rng, 6): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def random_text(rng: random.Random, longest: int) -> str:
    alphabet = string.printable + "éß漢字🎨\u2028\x00"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))


def mutate(rng: random.Random, frame: str) -> str | bytes:
    """One of: flipped bytes, truncation, a spliced token, a duplicated slice, raw bytes."""
    data = bytearray(frame.encode())
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(5)
        at = rng.randrange(len(data) + 1)
        if choice == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif choice == 1:
            del data[at:]
        elif choice == 2:
            data[at:at] = rng.choice(TOKENS).encode()
        elif choice == 3:
            data[at:at] = data[rng.randrange(len(data) + 1):][: rng.randint(0, 16)]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    raw = bytes(data)
    if rng.random() < 0.5:
        return raw
    return raw.decode("utf-8", errors="replace")


def malformed_frames(rng: random.Random) -> list[str | bytes]:
    frames: list[str | bytes] = []
    for _ in range(RUNS):
        frames.append(mutate(rng, rng.choice(VALID_FRAMES)))
    for _ in range(RUNS // 5):
        frames.append(bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))))
        frames.append(random_text(rng, 64))
        frames.append(json.dumps(random_json(rng)))
    # Nesting deeper than Python's recursion limit, bare and inside an otherwise valid request.
    for depth in (1000, 100_000):
        frames.append("[" * depth + "]" * depth)
        frames.append('{"jsonrpc":"2.0","id":1,"method":"m","params":' + "[" * depth + "]" * depth + "}")
        frames.append('{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":' + '{"a":' * depth + "1" + "}" * depth)
    frames += ["", " ", "\ufeff{}", b"\xff\xfe{\x00}\x00", "{}" * 3, '{"jsonrpc":"2.0","method":"m"}\n{"x":1}']
    return frames


class ParsingMalformedFrames(unittest.TestCase):
    def test_every_frame_is_accepted_or_refused_with_a_json_rpc_error(self) -> None:
        rng = random.Random(SEED)
        for frame in malformed_frames(rng):
            try:
                message = protocol.parse(frame)
            except RpcError as exc:
                self.assertIn(exc.code, (protocol.PARSE_ERROR, protocol.INVALID_REQUEST), repr(frame)[:200])
                self.assertTrue(exc.message)
                continue
            except Exception as exc:  # noqa: BLE001 - the property under test
                self.fail(f"parse raised {type(exc).__name__} for {repr(frame)[:200]}")
            self.assert_well_formed(message, frame)

    def test_the_error_reply_to_a_refused_frame_is_a_valid_response(self) -> None:
        rng = random.Random(SEED + 1)
        for frame in malformed_frames(rng):
            try:
                protocol.parse(frame)
                continue
            except RpcError as exc:
                code, text = exc.code, exc.message
            except Exception:  # noqa: BLE001 - reported by the test above
                continue
            try:
                request_id = protocol.request_id_of(frame)
            except Exception as exc:  # noqa: BLE001 - the property under test
                self.fail(f"request_id_of raised {type(exc).__name__} for {repr(frame)[:200]}")
            self.assertTrue(request_id is None or (isinstance(request_id, (int, str))
                                                   and not isinstance(request_id, bool)))
            reply = protocol.parse(protocol.error(request_id, code, text))
            self.assertEqual((reply.kind, reply.id, reply.error["code"]), ("response", request_id, code))

    def assert_well_formed(self, message: protocol.Message, frame: str | bytes) -> None:
        where = repr(frame)[:200]
        self.assertIn(message.kind, ("request", "notification", "response"), where)
        self.assertTrue(message.id is None or (isinstance(message.id, (int, str))
                                               and not isinstance(message.id, bool)), where)
        if message.kind == "response":
            self.assertTrue(message.error is None or isinstance(message.error, dict), where)
            return
        self.assertIsInstance(message.method, str, where)
        self.assertTrue(message.method, where)
        self.assertTrue(message.params is None or isinstance(message.params, (dict, list)), where)
        if message.kind == "notification":
            self.assertIsNone(message.id, where)


class RoundTrips(unittest.TestCase):
    def test_encoded_messages_parse_back_to_the_same_fields(self) -> None:
        rng = random.Random(SEED + 2)
        for _ in range(RUNS):
            request_id = rng.choice([rng.randint(-(2**63), 2**63 - 1), random_text(rng, 10)])
            method = random_text(rng, 20) or "m"
            params = rng.choice([None, {"k": random_json(rng)}, [random_json(rng)]])
            value = random_json(rng)
            message = protocol.parse(protocol.request(request_id, method, params))
            self.assertEqual((message.kind, message.id, message.method, message.params),
                             ("request", request_id, method, params))
            message = protocol.parse(protocol.notification(method, params))
            self.assertEqual((message.kind, message.method, message.params), ("notification", method, params))
            message = protocol.parse(protocol.result(request_id, value))
            self.assertEqual((message.kind, message.id, message.result), ("response", request_id, value))
            message = protocol.parse(protocol.error(request_id, -32000, method, value))
            self.assertEqual((message.kind, message.id, message.error["message"]), ("response", request_id, method))


class DispatchingAnyMessage(unittest.TestCase):
    def test_every_request_gets_exactly_one_reply_with_its_id(self) -> None:
        rng = random.Random(SEED + 3)
        dispatcher = Dispatcher()

        def handler(message: protocol.Message) -> Any:
            outcome = rng.randrange(3)
            if outcome == 0:
                raise RpcError(protocol.INVALID_PARAMS, "bad params")
            if outcome == 1:
                raise KeyError("a handler bug")
            return random_json(rng)

        for method in ("tools/call", "project/save", "viewport/camera", "m"):
            dispatcher.register(method, handler)
        accepted = 0
        for frame in malformed_frames(rng) + VALID_FRAMES:
            try:
                message = protocol.parse(frame)
            except Exception:  # noqa: BLE001 - refusals are the other tests' subject
                continue
            accepted += 1
            reply = dispatcher.dispatch(message)
            if message.kind != "request":
                self.assertIsNone(reply, repr(frame)[:200])
                continue
            answer = protocol.parse(reply)
            self.assertEqual((answer.kind, answer.id), ("response", message.id), repr(frame)[:200])
            members = json.loads(reply)
            self.assertEqual(("result" in members) + ("error" in members), 1, reply)
        self.assertGreater(accepted, len(VALID_FRAMES))


class ViewportFrames(unittest.TestCase):
    def test_any_bytes_decode_or_raise_frame_format_error(self) -> None:
        rng = random.Random(SEED + 4)
        good = encode_frame(7, 640, 480, 1, b"\xff\xd8\xff\xe0")
        candidates = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))) for _ in range(RUNS)]
        candidates += [good[:size] for size in range(len(good) + 1)]
        for _ in range(RUNS):
            flipped = bytearray(good)
            flipped[rng.randrange(len(good))] ^= 1 << rng.randrange(8)
            candidates.append(bytes(flipped))
        decoded = 0
        for data in candidates:
            try:
                header, payload = decode_frame(data)
            except FrameFormatError:
                continue
            except Exception as exc:  # noqa: BLE001 - the property under test
                self.fail(f"decode_frame raised {type(exc).__name__} for {data!r}")
            decoded += 1
            self.assertEqual((data[:4], len(payload)), (b"AVF1", len(data) - HEADER_SIZE), repr(data))
            if header.width and header.height:
                again = encode_frame(header.seq, header.width, header.height, header.codec, payload)
                self.assertEqual(again[:14] + again[16:], data[:14] + data[16:], repr(data))
        self.assertGreater(decoded, 0)

    def test_encoded_frames_decode_to_their_fields(self) -> None:
        rng = random.Random(SEED + 5)
        for _ in range(RUNS):
            seq, width, height = rng.randrange(2**32), rng.randint(1, 0xFFFF), rng.randint(1, 0xFFFF)
            codec = rng.choice([1, 2])
            payload = bytes(rng.randrange(256) for _ in range(rng.randint(0, 32)))
            header, body = decode_frame(encode_frame(seq, width, height, codec, payload))
            self.assertEqual((header.seq, header.width, header.height, header.codec, body),
                             (seq, width, height, codec, payload))


if __name__ == "__main__":
    unittest.main()
