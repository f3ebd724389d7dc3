"""The command line keeps the original train.py's flags and meanings; validation reports everything at once."""

from __future__ import annotations

import json
import shlex

import pytest
from helpers.trainer_fixtures import SEED_COMMAND

from tunedesk.config import TrainConfig, build_parser, parse_config, save_run_json
from tunedesk.errors import ConfigError


@pytest.fixture
def paths(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text('{"instruction": "a", "input": "", "output": "b"}\n', encoding="utf-8")
    model = tmp_path / "model"
    model.mkdir()
    return {"data": str(data), "model": str(model), "out": str(tmp_path / "out")}


def required(paths):
    return [
        "--train_path",
        paths["data"],
        "--model_name_or_path",
        paths["model"],
        "--output_dir",
        paths["out"],
    ]


def test_seed_command_parses_with_original_meanings(paths):
    config = parse_config(shlex.split(SEED_COMMAND.format(**paths)))
    assert config.per_device_train_batch_size == 1 and config.max_len == 1560 and config.max_src_len == 1024
    assert config.learning_rate == 1e-4 and config.weight_decay == 0.1 and config.num_train_epochs == 2
    assert config.gradient_accumulation_steps == 4 and config.warmup_ratio == 0.1
    assert config.mode == "glm3" and config.train_type == "lora"
    assert (config.lora_dim, config.lora_alpha, config.lora_dropout) == (16, 64, 0.1)
    assert config.lora_module_name == "query_key_value,dense_h_to_4h,dense_4h_to_h,dense"
    assert config.seed == 1234 and config.ds_file == "ds_zero2_no_offload.json"
    assert config.gradient_checkpointing is True and config.show_loss_step == 10


def test_original_defaults_are_kept(paths):
    config = parse_config(required(paths))
    original = {
        "max_len": 1024,
        "max_src_len": 256,
        "per_device_train_batch_size": 16,
        "learning_rate": 1e-3,
        "weight_decay": 0.1,
        "num_train_epochs": 1,
        "gradient_accumulation_steps": 1,
        "warmup_ratio": 0.1,
        "train_type": "lora",
        "seed": 1234,
        "local_rank": -1,
        "show_loss_step": 10,
        "save_model_step": None,
        "lora_dim": 8,
        "lora_alpha": 30,
        "lora_dropout": 0.1,
        "freeze_module_name": "layers.27.",
        "pre_seq_len": 16,
        "prefix_projection": True,
        "is_skip": False,
        "gradient_checkpointing": None,  # auto: off unless memory is tight (the original's default was off)
    }
    assert {key: getattr(config, key) for key in original} == original


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("False", False),
        ("false", False),
        ("0", False),
        ("no", False),
        ("True", True),
        ("1", True),
        ("yes", True),
    ],
)
def test_prefix_projection_is_a_real_boolean(paths, text, expected):
    assert parse_config([*required(paths), "--prefix_projection", text]).prefix_projection is expected


def test_store_true_flags_also_take_values(paths):
    assert parse_config([*required(paths), "--is_skip"]).is_skip is True
    assert (
        parse_config([*required(paths), "--gradient_checkpointing", "false"]).gradient_checkpointing is False
    )


def test_a_bad_boolean_is_refused_by_argparse(paths):
    with pytest.raises(SystemExit) as exit_info:
        parse_config([*required(paths), "--prefix_projection", "maybe"])
    assert exit_info.value.code == 2


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as error:
        parse_config(
            [
                "--train_path",
                str(tmp_path / "missing.jsonl"),
                "--max_len",
                "10",
                "--max_src_len",
                "20",
                "--train_type",
                "qlora",
                "--mode",
                "glm4",
                "--learning_rate",
                "-1",
                "--bf16",
                "--fp16",
                "--ptuning_version",
                "3",
                "--warmup_ratio",
                "1.5",
            ]
        )
    message = error.value.message
    for expected in (
        "train_path: no such file",
        "model_name_or_path: required",
        "output_dir: required",
        "max_src_len (20) must be smaller than max_len (10)",
        "train_type",
        "mode",
        "learning_rate",
        "bf16 and fp16",
        "ptuning_version",
        "warmup_ratio",
    ):
        assert expected in message
    assert message.startswith("10 problem(s)")


def test_fp16_on_cpu_is_refused(paths):
    with pytest.raises(ConfigError, match="fp16: not supported on the CPU"):
        parse_config([*required(paths), "--fp16", "--device", "cpu"])


def test_config_file_supplies_settings_and_flags_win(paths, tmp_path):
    config_file = tmp_path / "run.json"
    config_file.write_text(
        json.dumps(
            {
                **TrainConfig(
                    train_path=paths["data"], model_name_or_path=paths["model"], output_dir=paths["out"]
                ).to_json(),
                "learning_rate": 0.02,
                "prefix_projection": "false",
                "is_skip": True,
            }
        )
    )
    config = parse_config(["--config", str(config_file), "--learning_rate", "0.5"])
    assert config.learning_rate == 0.5 and config.prefix_projection is False and config.is_skip is True


def test_config_file_with_unknown_keys_is_refused(tmp_path):
    config_file = tmp_path / "run.json"
    config_file.write_text(json.dumps({"learning_rat": 0.1}))
    with pytest.raises(ConfigError, match="unknown keys learning_rat"):
        parse_config(["--config", str(config_file)])


def test_config_file_with_wrong_types_is_reported(paths, tmp_path):
    config_file = tmp_path / "run.json"
    config_file.write_text(json.dumps({"max_len": 1.5, "is_skip": "perhaps"}))
    with pytest.raises(ConfigError) as error:
        parse_config(["--config", str(config_file), *required(paths)])
    assert "max_len" in error.value.message and "is_skip" in error.value.message


def test_run_json_round_trips_through_config(paths, tmp_path):
    config = parse_config(
        [*required(paths), "--train_type", "ptuning", "--prefix_projection", "false", "--max_steps", "7"]
    )
    run_dir = tmp_path / "rundir"
    run_dir.mkdir()
    again = parse_config(["--config", save_run_json(config, str(run_dir))])
    assert again == config


def test_help_says_where_the_originals_were_wrong():
    text = build_parser().format_help()
    assert "weight_decay" in text and "overwrote it with 0.1" in text
    assert "prefix_projection" in text and 'turned\n                    "False" into True' in text
    assert "Exit status" in text
