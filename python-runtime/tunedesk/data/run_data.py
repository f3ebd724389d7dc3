"""A run's data: the training file validated whole (every bad line listed in bad_lines.txt), encoded,
and the eval split taken off; what was skipped is said in the run's log.
"""

from __future__ import annotations

import os

from tunedesk.config import TrainConfig
from tunedesk.errors import DataError
from tunedesk.run_output import RunReporter


def load_data(config: TrainConfig, tokenizer, reporter: RunReporter, run_dir: str) -> tuple[list, list]:
    """Validate the whole file first (every bad line reported), then encode; split off eval data."""
    from tunedesk.data import encode_records, load_records
    from tunedesk.data.records import bad_line_count

    records, problems = load_records(
        config.train_path, skip_bad=config.skip_bad_lines, drop_empty_output=config.drop_empty_output
    )
    if problems:
        listing = os.path.join(run_dir, "bad_lines.txt")
        with open(listing, "w", encoding="utf-8") as handle:
            handle.writelines(f"{problem}\n" for problem in problems)
        reporter.log(
            f"data: skipped {bad_line_count(problems)} bad line(s) ({len(problems)} problem(s)), "
            "listed in bad_lines.txt",
            "warning",
        )

    empty = [r.line for r in records if r.empty_answer]
    if empty:
        reporter.log(
            f"data: {len(empty)} sample(s) with an empty answer trained (lines {', '.join(map(str, empty[:20]))}"
            f"{' ...' if len(empty) > 20 else ''}); --drop_empty_output leaves them out"
        )
    elif config.drop_empty_output:
        reporter.log("data: samples with an empty answer left out (--drop_empty_output)")

    def encode(recs):
        return encode_records(
            recs,
            tokenizer,
            mode=config.mode,
            max_len=config.max_len,
            max_src_len=config.max_src_len,
            is_skip=config.is_skip,
            skip_bad=config.skip_bad_lines,
        )

    features, stats = encode(records)
    if stats.refused:
        with open(os.path.join(run_dir, "bad_lines.txt"), "a", encoding="utf-8") as handle:
            handle.writelines(f"{problem}\n" for problem in stats.refused)
        reporter.log(
            f"data: skipped {len(stats.refused)} sample(s) the prompt layout cannot take, listed in bad_lines.txt",
            "warning",
        )
    reporter.log(
        f"data: {stats.kept} samples kept of {stats.samples}, {stats.truncated} truncated, "
        f"{stats.skipped} skipped (is_skip), longest {stats.max_tokens} tokens"
    )
    eval_features: list = []
    if config.eval_path:
        eval_records, _ = load_records(
            config.eval_path, skip_bad=config.skip_bad_lines, drop_empty_output=config.drop_empty_output
        )
        eval_features, _ = encode(eval_records)
    elif config.eval_split > 0:
        held = max(1, int(len(features) * config.eval_split))
        eval_features, features = features[-held:], features[:-held]
    if not features:
        raise DataError(
            f"{config.train_path}: no sample left to train on after encoding",
            "Raise --max_len, drop --is_skip, or add data.",
        )
    return features, eval_features
