"""`train --schema` describes every flag from config.py itself, and the committed copy the app reads is current."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from tunedesk import flag_schema, train
from tunedesk.config import TRAIN_TYPES, TrainConfig

REPO = Path(__file__).resolve().parents[2]
METHODS_DIR = REPO / "python-runtime" / "tunedesk" / "methods"


def test_committed_schema_is_what_the_trainer_generates_now():
    # A checkout may turn line ends into CRLF; the content is what must agree.
    committed = (REPO / flag_schema.COMMITTED_PATH).read_text(encoding="utf-8").replace("\r\n", "\n")
    assert committed == flag_schema.schema_text(), (
        f"{flag_schema.COMMITTED_PATH} is stale (config.py's flags changed): run npm run schema:flags and commit it"
    )


def test_schema_flag_prints_and_schema_out_writes_the_same_json(capsys, tmp_path):
    assert train.main(["--schema"]) == 0
    printed = capsys.readouterr().out
    target = tmp_path / "flags.json"
    assert train.main(["--schema-out", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == printed
    assert not list(tmp_path.glob("*.tmp-*"))  # written whole, no temp file left


def test_every_field_is_described_with_its_real_default_and_type():
    described = {flag["name"]: flag for flag in json.loads(flag_schema.schema_text())["flags"]}
    defaults = TrainConfig()
    assert list(described) == [field.name for field in fields(TrainConfig)]
    for name, flag in described.items():
        assert flag["default"] == getattr(defaults, name), name
        assert flag["help"], f"{name} has no help"
        assert set(flag["methods"]) <= set(TRAIN_TYPES) and flag["methods"], name
    assert described["lora_dim"] == {**described["lora_dim"], "type": "int", "nullable": False, "default": 8}
    assert described["trainable_layers"]["type"] == "int" and described["trainable_layers"]["nullable"] is True
    assert described["bf16"]["type"] == "bool" and described["learning_rate"]["type"] == "float"
    assert described["train_type"]["choices"] == list(TRAIN_TYPES)
    assert described["ptuning_version"]["choices"] == [1, 2]
    assert described["seed"]["methods"] == list(TRAIN_TYPES)
    assert "%%" not in json.dumps(described)  # argparse's escape is undone


def _flags_read_by(module: Path) -> set[str]:
    return set(re.findall(r"\bconfig\.([a-z_0-9]+)", module.read_text(encoding="utf-8")))


def test_method_only_flags_are_exactly_the_ones_the_method_modules_read():
    # A flag marked for one method is left out of other methods' runs by the app, so the marking must
    # match the code: each method module reads only its own method-only flags, and reads all of them.
    schema = json.loads(flag_schema.schema_text())
    method_only = {flag["name"]: set(flag["methods"]) for flag in schema["flags"] if set(flag["methods"]) != set(TRAIN_TYPES)}
    assert {"trainable_layers", "freeze_module_name"} == {n for n, m in method_only.items() if m == {"freeze"}}
    for method in ("freeze", "lora", "ptuning"):
        read = _flags_read_by(METHODS_DIR / f"{method}.py") & set(method_only)
        assert read == {name for name, methods in method_only.items() if method in methods}, method


def test_a_field_without_a_group_stops_the_schema(monkeypatch):
    from tunedesk import config

    groups = {group: tuple(n for n in names if n != "seed") for group, names in config.FLAG_GROUPS.items()}
    monkeypatch.setattr(flag_schema, "FLAG_GROUPS", groups)
    with pytest.raises(ValueError, match="seed has no group"):
        flag_schema.flag_schema()
