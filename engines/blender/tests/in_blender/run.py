# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs the in-Blender test suite; executed by Blender itself:

    BLENDER_USER_SCRIPTS=<scripts> ATELIER_WORKDIR=<tmp> \
        blender -b --factory-startup --python-exit-code 1 --python tests/in_blender/run.py

The tests call tool handlers through the engine (no hub connection). Exit code 0 when all pass.
"""

from __future__ import annotations

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for `support` and `in_blender`


class _TimedResult(unittest.TextTestResult):
    """Prints each test's duration, so slow tests are visible in CTest logs."""

    def startTest(self, test: unittest.TestCase) -> None:
        self._started = time.perf_counter()
        super().startTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        self.stream.write(f"({time.perf_counter() - self._started:.1f} s) ")
        super().addSuccess(test)


def main() -> int:
    pattern = os.environ.get("ATELIER_TEST_PATTERN", "test_*.py")
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=os.path.dirname(HERE))
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=_TimedResult).run(suite)
    sys.stdout.flush()
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
