"""One JSON object -> a list of chat messages, or the reasons it cannot be one.

Three sample shapes are accepted (JSON lines or a JSON array of them):

- instruction: the original ChatGLM scripts' ``{"instruction", "input", "output"}`` (Alpaca too).
  The user turn is ``instruction + input`` concatenated WITHOUT a separator, exactly as the
  original GLM*PromptDataSet classes built their prompt, so the glm templates stay token-exact.
  Optional Alpaca extras: ``system`` (string) and ``history`` ([[question, answer], ...]).
- chat: ``{"messages": [{"role": "system"|"user"|"assistant", "content": str}, ...]}``
- sharegpt: ``{"conversations": [{"from": "system"|"human"|"gpt", "value": str}, ...]}``
"""

from __future__ import annotations

from typing import Any

SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
}
CHAT_ROLES = ("system", "user", "assistant")


def sample_kind(obj: dict[str, Any]) -> str:
    """Which of the three shapes an object claims to be (by its keys)."""
    if "messages" in obj:
        return "chat"
    if "conversations" in obj:
        return "sharegpt"
    return "instruction"


def to_messages(obj: Any, allow_empty_output: bool = False) -> tuple[list[dict[str, str]] | None, list[str]]:
    """Return (messages, []) for a valid sample, or (None, reasons) for an invalid one.

    An empty final answer is a problem unless ``allow_empty_output``: the original scripts
    trained on such samples (spo_0.json has 22: "no triple to extract"), a new data set rarely means to.
    """
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {_json_type(obj)}"]
    kind = sample_kind(obj)
    if kind == "chat":
        return _from_turns(
            obj["messages"],
            "messages",
            "role",
            "content",
            {r: r for r in CHAT_ROLES},
            obj,
            allow_empty_output,
        )
    if kind == "sharegpt":
        return _from_turns(
            obj["conversations"], "conversations", "from", "value", SHAREGPT_ROLES, obj, allow_empty_output
        )
    return _from_instruction(obj, allow_empty_output)


def _from_instruction(
    obj: dict[str, Any], allow_empty_output: bool
) -> tuple[list[dict[str, str]] | None, list[str]]:
    reasons: list[str] = []
    for field in ("instruction", "output"):
        if field not in obj:
            reasons.append(f'missing field "{field}" (expected "instruction", "input", "output")')
    for field in ("instruction", "input", "output", "system"):
        if field in obj and not isinstance(obj[field], str):
            reasons.append(f'field "{field}" must be a string, got {_json_type(obj[field])}')
    if reasons:
        return None, reasons
    prompt = obj["instruction"] + obj.get("input", "")
    if not prompt.strip():
        reasons.append('"instruction" and "input" are both empty')
    if not obj["output"].strip() and not allow_empty_output:
        reasons.append('field "output" is empty (pass --allow_empty_output if empty answers are intended)')
    history = obj.get("history", [])
    messages: list[dict[str, str]] = []
    if obj.get("system", "").strip():
        messages.append({"role": "system", "content": obj["system"]})
    if not isinstance(history, list):
        reasons.append(
            f'field "history" must be a list of [question, answer] pairs, got {_json_type(history)}'
        )
        history = []
    for index, pair in enumerate(history):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            reasons.append(f"history[{index}] must be a [question, answer] pair of strings")
            continue
        messages += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    if reasons:
        return None, reasons
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": obj["output"]}]
    return messages, []


def _from_turns(
    turns: Any,
    field: str,
    role_key: str,
    text_key: str,
    roles: dict[str, str],
    obj: dict[str, Any],
    allow_empty_output: bool,
) -> tuple[list[dict[str, str]] | None, list[str]]:
    if not isinstance(turns, list) or not turns:
        return None, [f'field "{field}" must be a non-empty list of turns']
    reasons: list[str] = []
    messages: list[dict[str, str]] = []
    system = obj.get("system")
    if isinstance(system, str) and system.strip():
        messages.append({"role": "system", "content": system})
    for index, turn in enumerate(turns):
        where = f"{field}[{index}]"
        if not isinstance(turn, dict):
            reasons.append(f"{where} must be an object with {role_key!r} and {text_key!r}")
            continue
        role, text = turn.get(role_key), turn.get(text_key)
        if role not in roles:
            reasons.append(f"{where}.{role_key} must be one of {sorted(roles)}, got {role!r}")
            continue
        if not isinstance(text, str):
            reasons.append(f"{where}.{text_key} must be a string, got {_json_type(text)}")
            continue
        last_answer = index == len(turns) - 1 and roles[role] == "assistant"
        if not text.strip() and roles[role] != "system" and not (last_answer and allow_empty_output):
            reasons.append(f"{where}.{text_key} is empty")
            continue
        messages.append({"role": roles[role], "content": text})
    if reasons:
        return None, reasons
    return messages, _order_problems(messages, field)


def _order_problems(messages: list[dict[str, str]], field: str) -> list[str]:
    """Templates need: optional system first, then user/assistant alternating, ending on assistant."""
    body = messages[1:] if messages and messages[0]["role"] == "system" else messages
    if any(m["role"] == "system" for m in body):
        return [f'{field}: a "system" turn may only come first']
    if not body or body[-1]["role"] != "assistant":
        return [f"{field}: the last turn must be the assistant's answer (nothing to learn otherwise)"]
    for index, message in enumerate(body):
        expected = "user" if index % 2 == 0 else "assistant"
        if message["role"] != expected:
            return [
                f"{field}: turns must alternate user/assistant starting with user (turn {index + 1} is {message['role']})"
            ]
    return []


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
