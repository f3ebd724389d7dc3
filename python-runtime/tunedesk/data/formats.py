"""One JSON object -> a training sample (chat messages, or plain text), or the reasons it cannot be one.

Accepted sample shapes (JSON lines or a JSON array of them):

- instruction (Alpaca, the original ChatGLM scripts): ``{"instruction", "input", "output"}``, optional
  ``system`` and ``history`` ([[question, answer], ...]). In the chat layout the user turn is
  ``instruction + "\\n" + input`` (the Alpaca / LLaMA-Factory convention); the glm/glm2/glm3 modes
  keep the originals' ``instruction + input`` WITHOUT a separator (``glm_messages``), token for token.
- chat (OpenAI): ``{"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": ...}], "tools"?}``;
  assistant turns may carry ``tool_calls``.
- sharegpt: ``{"conversations": [{"from": "system"|"human"|"gpt"|"function_call"|"observation",
  "value": ...}], "system"?, "tools"?}``.
- text: ``{"text": "..."}``, continued pre-training: every token is learned.

Content may be a string or a list of parts: text parts are joined with a newline; image, audio
and video parts are refused (TuneDesk trains text models: never dropped silently, never trained
as text). Preference data (chosen/rejected pairs, KTO's ``label``) is refused: this trainer does
supervised fine-tuning only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tunedesk.data.formats_tools import normalize_tool_calls, sharegpt_tool_message, tools_list

SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "function_call": "assistant",
    "observation": "tool",
    "tool": "tool",
}
CHAT_ROLES = ("system", "user", "assistant", "tool")
MEDIA_PARTS = ("image", "image_url", "input_image", "audio", "input_audio", "video", "video_url", "file")
MEDIA_FIELDS = ("images", "image", "videos", "video", "audios", "audio")
MEDIA_PLACEHOLDERS = ("<image>", "<video>", "<audio>")  # LLaVA / LLaMA-Factory multimodal markers
SFT_ONLY = "TuneDesk trains supervised fine-tuning only (one answer per sample)"


@dataclass
class Sample:
    """A valid sample: chat messages (last one the assistant's) or plain text."""

    kind: str
    messages: list[dict] = field(default_factory=list)
    tools: list[dict] | None = None
    glm_messages: list[dict] | None = None  # instruction samples in the originals' glued layout
    text: str | None = None  # plain-text samples
    empty_answer: bool = False  # some assistant turn is empty (the originals trained such samples)


def sample_kind(obj: dict[str, Any]) -> str:
    """Which shape an object claims to be (by its keys)."""
    if "chosen" in obj and "rejected" in obj:
        return "preference"
    if isinstance(obj.get("label"), bool):
        return "kto"
    if "messages" in obj:
        return "chat"
    if "conversations" in obj:
        return "sharegpt"
    if "text" in obj and "instruction" not in obj:
        return "text"
    return "instruction"


def parse_sample(obj: Any) -> tuple[Sample | None, list[str]]:
    """Return (sample, []) for a valid object, or (None, reasons)."""
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {_json_type(obj)}"]
    kind = sample_kind(obj)
    if kind == "preference":
        return None, [
            'preference pair ("chosen"/"rejected", the DPO/ORPO layout): '
            f"{SFT_ONLY}; keep the chosen answers as chat samples, or use a preference trainer"
        ]
    if kind == "kto":
        return None, [
            'KTO sample (a true/false "label" per answer): '
            f"{SFT_ONLY} and would learn the undesirable answers too; keep only the desirable ones, without \"label\""
        ]
    media = [name for name in MEDIA_FIELDS if obj.get(name)]
    if media:
        return None, [f'field "{media[0]}" attaches media: TuneDesk trains text only; remove the media samples']
    if kind == "text":
        text = obj["text"]
        if not isinstance(text, str) or not text.strip():
            return None, ['field "text" must be a non-empty string (plain text for continued pre-training)']
        return Sample("text", text=text), []
    if kind == "chat":
        sample, reasons = _from_turns(obj, "messages", "role", "content", {r: r for r in CHAT_ROLES})
    elif kind == "sharegpt":
        sample, reasons = _from_turns(obj, "conversations", "from", "value", SHAREGPT_ROLES)
    else:
        sample, reasons = _from_instruction(obj)
    if sample is not None:
        sample.kind = kind
        placeholder = next(
            (p for m in sample.messages for p in MEDIA_PLACEHOLDERS if p in str(m.get("content") or "")), None
        )
        if placeholder:  # a multimodal data set whose media field was renamed or lost
            return None, [
                f"the text holds the media placeholder {placeholder}: TuneDesk trains text only and would "
                "learn it as plain text; remove the media samples"
            ]
    return sample, reasons


def to_messages(obj: Any, allow_empty_output: bool = True) -> tuple[list[dict] | None, list[str]]:
    """Chat messages of a sample (plain text has none), or (None, reasons)."""
    sample, reasons = parse_sample(obj)
    if sample is None:
        return None, reasons
    if sample.text is not None:
        return None, ["a plain-text sample has no question to answer"]
    if sample.empty_answer and not allow_empty_output:
        return None, ["the answer is empty"]
    return sample.messages, []


def content_text(value: Any, where: str) -> tuple[str | None, str | None]:
    """A message's text: a string, or a list of parts whose text parts are joined by newlines."""
    if isinstance(value, str):
        return value, None
    if value is None:
        return "", None
    if not isinstance(value, list):
        return None, f"{where} must be a string or a list of content parts, got {_json_type(value)}"
    texts = []
    for index, part in enumerate(value):
        kind = part.get("type", "text") if isinstance(part, dict) else None
        if kind in MEDIA_PARTS:
            return None, (
                f"{where}[{index}] is an {kind} part: TuneDesk trains text only; "
                "remove the samples with media (they are never dropped silently)"
            )
        if kind != "text" or not isinstance(part.get("text"), str):
            return None, f'{where}[{index}] must be a {{"type": "text", "text": ...}} part'
        texts.append(part["text"])
    return "\n".join(texts), None


def _from_instruction(obj: dict[str, Any]) -> tuple[Sample | None, list[str]]:
    reasons: list[str] = []
    for name in ("instruction", "output"):
        if name not in obj:
            reasons.append(f'missing field "{name}" (expected "instruction", "input", "output")')
    if isinstance(obj.get("output"), list):
        reasons.append(
            'field "output" is a list (several reference answers): training needs one answer per '
            "sample; such files serve predict --file as references"
        )
    for name in ("instruction", "input", "output", "system"):
        if name in obj and not isinstance(obj[name], str) and not isinstance(obj[name], list):
            reasons.append(f'field "{name}" must be a string, got {_json_type(obj[name])}')
        elif name in obj and isinstance(obj[name], list) and name != "output":
            reasons.append(f'field "{name}" must be a string, got a list')
    if reasons:
        return None, reasons
    instruction, given = obj["instruction"], obj.get("input", "")
    if not (instruction + given).strip():
        reasons.append('"instruction" and "input" are both empty')
    history = obj.get("history", [])
    head: list[dict] = []
    if obj.get("system", "").strip():
        head.append({"role": "system", "content": obj["system"]})
    if not isinstance(history, list):
        reasons.append(f'field "history" must be a list of [question, answer] pairs, got {_json_type(history)}')
        history = []
    for index, pair in enumerate(history):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            reasons.append(f"history[{index}] must be a [question, answer] pair of strings")
            continue
        head += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    if reasons:
        return None, reasons
    answer = {"role": "assistant", "content": obj["output"]}
    chat_prompt = "\n".join(part for part in (instruction, given) if part)
    question = {"role": "user", "content": chat_prompt}
    if chat_prompt != instruction + given:  # the glm modes (and predict in them) keep the originals' text
        question["glm_content"] = instruction + given
    return Sample(
        "instruction",
        messages=[*head, question, answer],
        glm_messages=[*head, {"role": "user", "content": instruction + given}, answer],
        empty_answer=any(not m["content"].strip() for m in head + [answer] if m["role"] == "assistant"),
    ), []


def _from_turns(
    obj: dict[str, Any], name: str, role_key: str, text_key: str, roles: dict[str, str]
) -> tuple[Sample | None, list[str]]:
    turns = obj[name]
    if not isinstance(turns, list) or not turns:
        return None, [f'field "{name}" must be a non-empty list of turns']
    tools, tools_problem = tools_list(obj.get("tools"))
    reasons: list[str] = [tools_problem] if tools_problem else []
    messages: list[dict] = []
    system = obj.get("system")
    if isinstance(system, str) and system.strip():
        messages.append({"role": "system", "content": system})
    for index, turn in enumerate(turns):
        where = f"{name}[{index}]"
        if not isinstance(turn, dict):
            reasons.append(f"{where} must be an object with {role_key!r} and {text_key!r}")
            continue
        given_role = turn.get(role_key)
        if given_role not in roles:
            reasons.append(f"{where}.{role_key} must be one of {sorted(roles)}, got {given_role!r}")
            continue
        text, problem = content_text(turn.get(text_key), f"{where}.{text_key}")
        if problem:
            reasons.append(problem)
            continue
        message: dict[str, Any] = {"role": roles[given_role], "content": text}
        if given_role == "function_call":
            message, problem = sharegpt_tool_message(text, where)
        elif turn.get("tool_calls") is not None:
            message["tool_calls"], problem = normalize_tool_calls(turn["tool_calls"], where)
        elif roles[given_role] in ("user", "tool") and not text.strip():
            problem = f"{where}.{text_key} is empty"
        if problem:
            reasons.append(problem)
            continue
        for extra in ("tool_call_id", "name", "reasoning_content"):
            if isinstance(turn.get(extra), str):
                message[extra] = turn[extra]
        messages.append(message)
    if reasons:
        return None, reasons
    reasons = _order_problems(messages, name)
    if reasons:
        return None, reasons
    calls_tools = any(m.get("tool_calls") or m["role"] == "tool" for m in messages)
    if calls_tools and not tools:
        return None, [f'{name}: the sample calls tools but has no "tools" field describing them']
    empty = any(
        m["role"] == "assistant" and not m["content"].strip() and not m.get("tool_calls") for m in messages
    )
    return Sample("chat", messages=messages, tools=tools or None, empty_answer=empty), []


def _order_problems(messages: list[dict], name: str) -> list[str]:
    """Optional system first; user first; no two user or assistant turns in a row; a tool call is
    answered by tool results; the last turn is the assistant's."""
    body = messages[1:] if messages and messages[0]["role"] == "system" else messages
    if any(m["role"] == "system" for m in body):
        return [f'{name}: a "system" turn may only come first']
    if not body or body[-1]["role"] != "assistant":
        return [f"{name}: the last turn must be the assistant's answer (nothing to learn otherwise)"]
    if body[0]["role"] != "user":
        return [f"{name}: turns must alternate user/assistant starting with user (turn 1 is {body[0]['role']})"]
    previous = ""
    for index, message in enumerate(body, start=1):
        role = message["role"]
        if previous == "call" and role != "tool":
            return [f"{name}: turn {index} must be the tool's result (the turn before calls a tool)"]
        if role == "tool" and previous not in ("call", "tool"):
            return [f"{name}: turn {index} is a tool result that no tool call asked for"]
        if role in ("user", "assistant") and role == previous:
            return [f"{name}: turns must alternate user/assistant (turns {index - 1} and {index} are both {role})"]
        previous = "call" if message.get("tool_calls") else role
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
