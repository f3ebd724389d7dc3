"""The trainer's event schema against the golden files shared with the TypeScript tests."""

import json
from pathlib import Path

import pytest

from tunedesk.events import EventSchemaError, EventWriter, validate_event

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "golden-events"


def _lines(name: str) -> list[str]:
    return [line for line in (GOLDEN / name).read_text(encoding="utf-8").splitlines() if line.strip()]


VALID_FILES = sorted(p.name for p in GOLDEN.glob("*.jsonl") if not p.name.startswith("invalid"))


def test_golden_files_exist():
    assert len(VALID_FILES) >= 4


@pytest.mark.parametrize("name", VALID_FILES)
def test_golden_file_validates(name):
    for number, line in enumerate(_lines(name), start=1):
        try:
            validate_event(json.loads(line))
        except EventSchemaError as exc:  # pragma: no cover - failure path
            pytest.fail(f"{name}:{number}: {exc}")


def test_invalid_golden_lines_are_rejected():
    for number, line in enumerate(_lines("invalid-events.jsonl"), start=1):
        with pytest.raises(EventSchemaError):
            validate_event(json.loads(line))
            pytest.fail(f"invalid-events.jsonl:{number} was accepted")


def test_writer_emits_valid_lines_and_nulls_non_finite(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventWriter(path) as writer:
        writer.emit("metrics", step=1, epoch=0.5, values={"loss": float("nan"), "lr": 1e-3})
        with pytest.raises(EventSchemaError):
            writer.emit("log", level="loud", message="x")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    validate_event(event)
    assert event["values"] == {"loss": None, "lr": 1e-3}
