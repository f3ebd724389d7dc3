"""Reading a data file into validated, line-numbered records.

The WHOLE file is checked before anything heavy starts, and every bad line is reported as
``file:line: reason`` at once (a user fixes them all in one pass, not one per run).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tunedesk.data.formats import parse_sample, sample_kind
from tunedesk.errors import DataError

MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class Record:
    """One training sample, whatever format it came in."""

    file: str
    line: int  # 1-based: the JSON line, or the line where the object starts in a JSON array
    messages: list[dict]  # [{"role": "system"|"user"|"assistant"|"tool", "content": str}, ...]; last is assistant
    raw: dict  # the original object
    tools: list[dict] | None = None  # function descriptions of a tool-calling sample
    glm_messages: list[dict] | None = None  # instruction samples in the originals' glued layout (glm modes)
    text: str | None = None  # a plain-text sample (continued pre-training): every token learned
    empty_answer: bool = False


@dataclass(frozen=True)
class DataProblem:
    """One bad sample: where it is and what is wrong with it."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


class DataValidationError(DataError):
    """The data file has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[DataProblem], hint: str | None = None):
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:MAX_LISTED_PROBLEMS]]
        more = len(self.problems) - len(shown)
        lines = [f"{len(self.problems)} problem(s) in the training data:"] + [f"  {s}" for s in shown]
        if more > 0:
            lines.append(f"  ... and {more} more")
        super().__init__(
            "\n".join(lines),
            hint
            or "Fix the lines listed above, or pass --skip_bad_lines to train on the valid samples only "
            "(the skipped lines are listed in the run directory).",
        )


@dataclass
class LoadedFile:
    """What ``load_file`` learned: the records, the problems, and the file's shape."""

    records: list[Record] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    container: str = "jsonl"  # "jsonl" or "json-array"
    kinds: Counter = field(default_factory=Counter)  # sample shape -> count of valid samples
    fatal: bool = False  # the file cannot be read at all (empty, broken array): skipping cannot help
    drop_empty_output: bool = False
    empty_answers: list[int] = field(default_factory=list)  # lines whose answer is empty (trained unless dropped)

    @property
    def format(self) -> str:
        """e.g. "instruction-jsonl", "chat-json-array", "mixed-jsonl" or "unknown"."""
        if not self.kinds:
            return "unknown"
        kind = next(iter(self.kinds)) if len(self.kinds) == 1 else "mixed"
        return f"{kind}-{self.container}"


def load_file(
    path: str | os.PathLike[str], *, drop_empty_output: bool = False, allow_empty_output: bool = True
) -> LoadedFile:
    """Read and validate every sample of ``path``; never raises for bad content.

    Samples with an empty answer are kept (the original scripts trained them: spo_0.json has 22
    "no triple" answers) and their lines listed in ``empty_answers``; ``drop_empty_output`` leaves
    them out instead (still listed).
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise DataError(
            f"{name}: no such data file",
            "Check --train_path (relative paths start in the working directory).",
        ) from None
    except IsADirectoryError:
        raise DataError(
            f"{name}: is a folder, not a data file", "Point --train_path at a .json or .jsonl file."
        ) from None
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as some editors write
        data = data[3:]
    loaded = LoadedFile(drop_empty_output=drop_empty_output)
    if not data.strip():
        loaded.problems.append(DataProblem(name, 1, "the file is empty: no samples to train on"))
        loaded.fatal = True
        return loaded
    if data.lstrip()[:1] == b"[":
        loaded.container = "json-array"
        _read_array(name, data, loaded)
    else:
        _read_lines(name, data, loaded)
        _explain_single_object(name, data, loaded)
    if not loaded.records and not loaded.problems:
        loaded.problems.append(DataProblem(name, 1, "the file holds no samples"))
        loaded.fatal = True
    return loaded


def load_records(
    path: str | os.PathLike[str],
    *,
    skip_bad: bool = False,
    drop_empty_output: bool = False,
    allow_empty_output: bool = True,  # accepted for old callers: empty answers are trained by default now
) -> tuple[list[Record], list[DataProblem]]:
    """Validated records of a data file, plus the problems found.

    Raises DataValidationError when there are problems, unless ``skip_bad`` (then the good
    records come back with the problems, for the trainer to list in the run directory). A file
    that cannot be read at all, or that has no valid sample left, raises even with ``skip_bad``.
    ``drop_empty_output`` leaves out samples whose answer is empty (trained by default, as the originals did).
    """
    loaded = load_file(path, drop_empty_output=drop_empty_output)
    if loaded.problems and (not skip_bad or loaded.fatal):
        # --skip_bad_lines is suggested only when it would leave something to train on
        raise DataValidationError(loaded.problems, None if skippable(loaded) else NOTHING_LEFT)
    if not loaded.records:
        raise DataValidationError(
            loaded.problems or [DataProblem(os.fspath(path), 1, "no valid samples")],
            "No valid sample is left: fix the data file.",
        )
    return loaded.records, loaded.problems


NOTHING_LEFT = "Fix the lines listed above: leaving them out would leave nothing to train on."


def skippable(loaded: LoadedFile) -> bool:
    """Whether --skip_bad_lines would train on something: readable file, some valid sample left."""
    return bool(loaded.records) and not loaded.fatal


def bad_line_count(problems: list[DataProblem]) -> int:
    """Lines with problems (one line may have several)."""
    return len({(p.file, p.line) for p in problems})


def _add_sample(name: str, line: int, obj: Any, loaded: LoadedFile) -> None:
    sample, reasons = parse_sample(obj)
    if sample is None or reasons:
        loaded.problems += [DataProblem(name, line, reason) for reason in reasons]
        if isinstance(obj, dict) and sample_kind(obj) in ("preference", "kto"):
            loaded.fatal = True  # skipping lines cannot turn preference data into SFT data
        return
    if sample.empty_answer:
        loaded.empty_answers.append(line)
        if loaded.drop_empty_output:
            return
    loaded.records.append(
        Record(
            file=name,
            line=line,
            messages=sample.messages,
            raw=obj,
            tools=sample.tools,
            glm_messages=sample.glm_messages,
            text=sample.text,
            empty_answer=sample.empty_answer,
        )
    )
    loaded.kinds[sample.kind] += 1


def _read_lines(name: str, data: bytes, loaded: LoadedFile) -> None:
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        if not raw_line.strip():
            continue  # blank lines (a trailing newline, spacing) are not samples
        try:
            text = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            loaded.problems.append(
                DataProblem(
                    name, number, f"invalid UTF-8 at byte {exc.start} of the line (save the file as UTF-8)"
                )
            )
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            loaded.problems.append(DataProblem(name, number, f"bad JSON: {exc.msg} (column {exc.colno})"))
            continue
        _add_sample(name, number, obj, loaded)


def _explain_single_object(name: str, data: bytes, loaded: LoadedFile) -> None:
    """A pretty-printed JSON object fails on every line as JSON lines: say what the file really is."""
    if not loaded.problems or loaded.problems[0].line != 1 or loaded.records:
        return
    try:
        whole = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return
    if isinstance(whole, dict) and data.strip().count(b"\n"):
        loaded.problems = [
            DataProblem(
                name,
                1,
                "the file is one JSON object spread over several lines; write one sample per line "
                "(JSON lines) or a JSON array of samples",
            )
        ]
        loaded.fatal = True


def _read_array(name: str, data: bytes, loaded: LoadedFile) -> None:
    """A JSON array of samples; each record's line is where its object starts."""
    bad_utf8 = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        try:
            raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_utf8.append(
                DataProblem(
                    name, number, f"invalid UTF-8 at byte {exc.start} of the line (save the file as UTF-8)"
                )
            )
    if bad_utf8:
        loaded.problems += bad_utf8
        loaded.fatal = True
        return
    text = data.decode("utf-8")
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    while True:
        pos = _skip_space(text, pos)
        if pos < len(text) and text[pos] == "]" and not loaded.records and not loaded.problems:
            break  # an empty array: reported by the caller
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            loaded.problems.append(
                DataProblem(name, exc.lineno, f"bad JSON in the array: {exc.msg} (column {exc.colno})")
            )
            loaded.fatal = True  # the rest of a broken array cannot be located reliably
            return
        _add_sample(name, text.count("\n", 0, pos) + 1, obj, loaded)
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        if pos < len(text) and text[pos] == "]":
            rest = text[pos + 1 :].strip()
            if rest:
                line = text.count("\n", 0, pos + 1 + text[pos + 1 :].index(rest[0])) + 1
                loaded.problems.append(
                    DataProblem(name, line, "extra content after the closing ] of the array")
                )
            return
        line = text.count("\n", 0, pos) + 1
        loaded.problems.append(DataProblem(name, line, "expected , or ] between array elements"))
        loaded.fatal = True
        return


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos
