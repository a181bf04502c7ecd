# SPDX-License-Identifier: GPL-2.0-or-later
"""Tool invocation: defaults, ctx injection, result normalisation, error mapping."""

from __future__ import annotations

import base64
import unittest

from support import paths  # noqa: F401
from atelier_router import protocol
from atelier_router.tools import (CancelSet, ImageContent, ToolCancelled, ToolContext, ToolError, ToolResult,
                                  ToolSpec, apply_defaults, call_result, error_for_exception, invoke,
                                  normalize_result)

TOOL = {"name": "add", "description": "d", "parameters": [
    {"name": "shape", "type": "enum", "options": ["cube"], "required": True},
    {"name": "size", "type": "float", "default": 2},
    {"name": "color", "type": "color"}]}


class Defaults(unittest.TestCase):
    def test_defaults_fill_absent_parameters_only(self) -> None:
        self.assertEqual(apply_defaults(TOOL, {"shape": "cube"}), {"shape": "cube", "size": 2})
        self.assertEqual(apply_defaults(TOOL, {"shape": "cube", "size": 5}), {"shape": "cube", "size": 5})

    def test_missing_required_parameter_is_a_tool_error(self) -> None:
        with self.assertRaisesRegex(ToolError, "'shape'"):
            apply_defaults(TOOL, {})


class Invocation(unittest.TestCase):
    def test_handler_gets_arguments_and_ctx_when_it_asks_for_it(self) -> None:
        seen = {}

        def handler(shape: str, size: float, ctx: ToolContext) -> str:
            seen.update(shape=shape, size=size, call=ctx.call_id)
            return "ok"

        result = invoke(ToolSpec("m", TOOL, handler), {"shape": "cube"}, ToolContext(call_id="c1"))
        self.assertEqual(result.text, "ok")
        self.assertEqual(seen, {"shape": "cube", "size": 2, "call": "c1"})

    def test_missing_handler_is_reported(self) -> None:
        with self.assertRaisesRegex(ToolError, "no handler"):
            invoke(ToolSpec("m", TOOL, None), {"shape": "cube"}, ToolContext())

    def test_mutates_defaults_to_true(self) -> None:
        self.assertTrue(ToolSpec("m", TOOL, None).mutates)
        self.assertFalse(ToolSpec("m", {**TOOL, "mutates": False}, None).mutates)


class Results(unittest.TestCase):
    def test_cr8_style_dicts(self) -> None:
        result = normalize_result({"status": "success", "message": "made it", "data": {"n": 1}})
        self.assertEqual((result.text, result.data), ("made it", {"n": 1}))
        with self.assertRaisesRegex(ToolError, "nope"):
            normalize_result({"status": "error", "message": "nope"})

    def test_plain_values(self) -> None:
        self.assertEqual(normalize_result(None).text, "done")
        self.assertEqual(normalize_result("hi").text, "hi")
        self.assertEqual(normalize_result({"a": 1}).data, {"a": 1})
        self.assertEqual(normalize_result([1, 2]).text, "[1, 2]")

    def test_call_result_has_content_data_and_scene(self) -> None:
        result = call_result(ToolResult("t", {"d": 1}, [ImageContent("image/jpeg", b"\xff\xd8")]), {"objects": []})
        self.assertEqual(result["content"][0], {"type": "text", "text": "t"})
        self.assertEqual(result["content"][1]["mimeType"], "image/jpeg")
        self.assertEqual(base64.b64decode(result["content"][1]["data"]), b"\xff\xd8")
        self.assertEqual((result["data"], result["scene"]), ({"d": 1}, {"objects": []}))


class Cancellation(unittest.TestCase):
    def test_cancel_is_seen_by_the_running_call_only(self) -> None:
        cancels = CancelSet()
        ctx = ToolContext(call_id="c7", cancels=cancels)
        ctx.check_cancelled()
        cancels.cancel("other")
        ctx.check_cancelled()
        cancels.cancel("c7")
        with self.assertRaises(ToolCancelled):
            ctx.check_cancelled()

    def test_progress_is_a_render_progress_notification(self) -> None:
        sent = []
        ToolContext(call_id="c1", notify=lambda m, p: sent.append((m, p))).progress(2, 5)
        self.assertEqual(sent, [("render/progress", {"call_id": "c1", "done": 2, "total": 5})])


class ErrorMapping(unittest.TestCase):
    def test_codes(self) -> None:
        self.assertEqual(error_for_exception(ToolCancelled("x"), "tb").code, protocol.CANCELLED)
        tool_error = error_for_exception(ToolError("No object named 'Ghost'"), "tb")
        self.assertEqual((tool_error.code, tool_error.message, tool_error.data),
                         (protocol.TOOL_FAILED, "No object named 'Ghost'", {"traceback": "tb"}))
        crash = error_for_exception(KeyError("k"), "tb")
        self.assertEqual(crash.message, "KeyError: 'k'")


if __name__ == "__main__":
    unittest.main()
