"""In CI, a skip for a reason not on the allowlist fails (helpers/ci_skips.py): the reasons in use are
known, others are not, and a real pytest run with an unknown skip under CI=1 exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from helpers.ci_skips import is_known_skip_reason

TESTS_DIR = Path(__file__).resolve().parent

UNKNOWN = """
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="POSIX signals")
def test_marker_with_an_unknown_reason():
    pass

def test_skips_itself():
    pytest.skip("the weather is bad")
"""

KNOWN = """
import pytest

@pytest.mark.skipif(True, reason="needs deepspeed installed and a CUDA GPU (not installable on this CI machine)")
def test_deepspeed():
    pass

def test_two_gpus():
    pytest.skip("1 CUDA GPU(s), 2 needed")

@pytest.mark.xfail(reason="an expected failure is not a skip")
def test_expected_failure():
    assert False
"""


def run_pytest(tmp_path: Path, body: str, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS_DIR)!r})\n"
        "from helpers.ci_skips import pytest_runtest_makereport  # noqa: F401\n"
    )
    (tmp_path / "test_fixture.py").write_text(textwrap.dedent(body))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


def test_the_reasons_in_use_are_known_and_others_are_not():
    assert is_known_skip_reason("needs deepspeed installed and a CUDA GPU (not installable on this CI machine)")
    assert is_known_skip_reason("DeepSpeed is not installed (/venv/bin/deepspeed); 0 CUDA GPU(s), 2 needed")
    assert is_known_skip_reason("the Electron binary is not installed (Electron failed to install correctly)")
    assert not is_known_skip_reason("POSIX signals")
    assert not is_known_skip_reason("needs /dev/full")
    assert not is_known_skip_reason("")


def test_an_unknown_skip_fails_a_ci_run_and_says_why(tmp_path):
    result = run_pytest(tmp_path, UNKNOWN, ci=True)
    assert result.returncode == 1, result.stdout
    assert "skipped in CI for a reason that is not a known one" in result.stdout
    assert "POSIX signals" in result.stdout and "the weather is bad" in result.stdout
    assert "1 passed" in result.stdout


def test_known_skips_pass_in_ci_and_unknown_ones_pass_outside_it(tmp_path):
    known = run_pytest(tmp_path, KNOWN, ci=True)
    assert known.returncode == 0, known.stdout
    assert "2 skipped" in known.stdout and "1 xfailed" in known.stdout
    local = run_pytest(tmp_path, UNKNOWN, ci=False)
    assert local.returncode == 0, local.stdout
    assert "2 skipped" in local.stdout
