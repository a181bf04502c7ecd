# SPDX-License-Identifier: GPL-2.0-or-later
"""JSON-RPC message handling that needs no Blender."""

from __future__ import annotations

import json
import unittest

from support import paths  # noqa: F401
from atelier_router import protocol
from atelier_router.protocol import Dispatcher, RpcError


class Parsing(unittest.TestCase):
    def test_request_notification_and_response_are_told_apart(self) -> None:
        self.assertEqual(protocol.parse('{"jsonrpc":"2.0","id":1,"method":"m","params":{}}').kind, "request")
        self.assertEqual(protocol.parse('{"jsonrpc":"2.0","method":"m"}').kind, "notification")
        response = protocol.parse('{"jsonrpc":"2.0","id":"x","result":{"ok":true}}')
        self.assertEqual((response.kind, response.id, response.result), ("response", "x", {"ok": True}))

    def test_malformed_json_is_a_parse_error(self) -> None:
        with self.assertRaises(RpcError) as caught:
            protocol.parse("{nope")
        self.assertEqual(caught.exception.code, protocol.PARSE_ERROR)

    def test_invalid_requests(self) -> None:
        for text in ('[1]', '{"id":1,"method":"m"}', '{"jsonrpc":"2.0","id":true,"method":"m"}',
                     '{"jsonrpc":"2.0","id":1,"method":""}', '{"jsonrpc":"2.0","id":1,"method":"m","params":3}',
                     '{"jsonrpc":"2.0","id":1}'):
            with self.subTest(text), self.assertRaises(RpcError) as caught:
                protocol.parse(text)
            self.assertEqual(caught.exception.code, protocol.INVALID_REQUEST)

    def test_request_id_is_recovered_for_error_replies(self) -> None:
        self.assertEqual(protocol.request_id_of('{"id": 9, "method": 3}'), 9)
        self.assertIsNone(protocol.request_id_of("garbage"))


class Encoding(unittest.TestCase):
    def test_messages_are_compact_json_rpc(self) -> None:
        self.assertEqual(json.loads(protocol.request(1, "engine/hello", {"a": 1})),
                         {"jsonrpc": "2.0", "id": 1, "method": "engine/hello", "params": {"a": 1}})
        self.assertEqual(json.loads(protocol.notification("tools/update", {"addons": []})),
                         {"jsonrpc": "2.0", "method": "tools/update", "params": {"addons": []}})
        self.assertEqual(json.loads(protocol.error(3, -32000, "bad", {"traceback": "t"})),
                         {"jsonrpc": "2.0", "id": 3, "error": {"code": -32000, "message": "bad",
                                                                "data": {"traceback": "t"}}})
        self.assertNotIn(" ", protocol.result(1, {"a": [1, 2]}))


class Dispatching(unittest.TestCase):
    def setUp(self) -> None:
        self.dispatcher = Dispatcher()
        self.seen: list[str] = []
        self.dispatcher.register("echo", lambda m: m.params)
        self.dispatcher.register("note", lambda m: self.seen.append("note"))
        self.dispatcher.register("fail", self._fail)
        self.dispatcher.register("crash", lambda m: 1 / 0)

    @staticmethod
    def _fail(message: protocol.Message) -> None:
        raise RpcError(protocol.TOOL_FAILED, "no object named 'Ghost'", {"traceback": "..."})

    def reply(self, text: str) -> dict | None:
        out = self.dispatcher.dispatch(protocol.parse(text))
        return None if out is None else json.loads(out)

    def test_request_gets_result(self) -> None:
        self.assertEqual(self.reply('{"jsonrpc":"2.0","id":4,"method":"echo","params":{"x":1}}'),
                         {"jsonrpc": "2.0", "id": 4, "result": {"x": 1}})

    def test_unknown_method_is_method_not_found(self) -> None:
        reply = self.reply('{"jsonrpc":"2.0","id":5,"method":"nope"}')
        self.assertEqual(reply["error"]["code"], protocol.METHOD_NOT_FOUND)
        self.assertIn("nope", reply["error"]["message"])

    def test_notifications_get_no_reply_even_when_unknown_or_failing(self) -> None:
        self.assertIsNone(self.reply('{"jsonrpc":"2.0","method":"note"}'))
        self.assertIsNone(self.reply('{"jsonrpc":"2.0","method":"nope"}'))
        self.assertIsNone(self.reply('{"jsonrpc":"2.0","method":"crash"}'))
        self.assertEqual(self.seen, ["note"])

    def test_rpc_errors_pass_through_with_data(self) -> None:
        reply = self.reply('{"jsonrpc":"2.0","id":6,"method":"fail"}')
        self.assertEqual(reply["error"], {"code": -32000, "message": "no object named 'Ghost'",
                                          "data": {"traceback": "..."}})

    def test_unexpected_exceptions_become_internal_errors_with_traceback(self) -> None:
        reply = self.reply('{"jsonrpc":"2.0","id":7,"method":"crash"}')
        self.assertEqual(reply["error"]["code"], protocol.INTERNAL_ERROR)
        self.assertIn("ZeroDivisionError", reply["error"]["data"]["traceback"])

    def test_responses_are_ignored(self) -> None:
        self.assertIsNone(self.reply('{"jsonrpc":"2.0","id":7,"result":{}}'))

    def test_params_object_requires_an_object(self) -> None:
        with self.assertRaises(RpcError) as caught:
            protocol.params_object(protocol.parse('{"jsonrpc":"2.0","id":1,"method":"m","params":[1]}'))
        self.assertEqual(caught.exception.code, protocol.INVALID_PARAMS)


if __name__ == "__main__":
    unittest.main()
