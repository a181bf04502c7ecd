# SPDX-License-Identifier: GPL-2.0-or-later
"""docs/blender.md lists exactly the tools the first-party manifests declare."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest

from support import paths

TOOLS_DOC = os.path.join(paths.ENGINE_DIR, "tools_doc.py")


class ToolsDoc(unittest.TestCase):
    def test_the_tool_list_in_docs_blender_md_matches_the_manifests(self) -> None:
        checked = subprocess.run([sys.executable, TOOLS_DOC, "--check"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stdout)


if __name__ == "__main__":
    unittest.main()
