"""In CI (CI set), a test that skips for a reason not on the allowlist fails: a test that silently
stops running there is a test that cannot fail.

The allowlist is tests/helpers/known-skip-reasons.json at the repository root, shared with the
vitest reporter: only machine limits CI cannot lift (no Electron binary, no DeepSpeed, no GPU).
conftest.py imports the hook below, which turns such a skip into a failure of that test.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

import pytest

KNOWN_SKIP_REASONS_FILE = Path(__file__).resolve().parents[3] / "tests" / "helpers" / "known-skip-reasons.json"


@cache
def known_skip_reasons() -> tuple[tuple[str, re.Pattern[str]], ...]:
    entries = json.loads(KNOWN_SKIP_REASONS_FILE.read_text(encoding="utf-8"))["reasons"]
    return tuple((e["name"], re.compile(e["pattern"], re.IGNORECASE)) for e in entries)


def is_known_skip_reason(reason: str | None) -> bool:
    return bool(reason) and any(pattern.search(reason) for _, pattern in known_skip_reasons())


def skip_reason(report: pytest.TestReport) -> str:
    # A skip's longrepr is (path, lineno, "Skipped: <reason>").
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ").strip()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = skip_reason(report)
        if not is_known_skip_reason(reason):
            names = ", ".join(name for name, _ in known_skip_reasons())
            report.outcome = "failed"
            report.longrepr = (
                f"skipped in CI for a reason that is not a known one ({names}; see {KNOWN_SKIP_REASONS_FILE}): "
                f"{reason or 'no reason given'}. Make the test run here, or skip only for a known reason."
            )
    return report
