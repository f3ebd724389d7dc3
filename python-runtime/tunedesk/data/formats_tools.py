"""Tool-calling samples -> the OpenAI message shape that chat templates render.

ShareGPT (LLaMA-Factory, glaive): a ``function_call`` turn holds ``{"name", "arguments"}`` as JSON
text (or a list of them), an ``observation`` turn the tool's result, and ``tools`` the function
descriptions (JSON text or a list). OpenAI: assistant ``tool_calls`` and ``tool`` messages.
Both become ``{"role": "assistant", "content": "", "tool_calls": [{"type": "function",
"function": {"name", "arguments"}}]}`` + ``{"role": "tool", "content": ...}``, with ``tools`` as
``[{"type": "function", "function": {...}}]``.
"""

from __future__ import annotations

import json
from typing import Any


def tools_list(value: Any) -> tuple[list[dict], str | None]:
    """The sample's tool descriptions in OpenAI shape, or a problem."""
    if value in (None, "", []):
        return [], None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            return [], f'field "tools" is not valid JSON text: {exc.msg}'
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        return [], 'field "tools" must be a list of function descriptions'
    tools = []
    for tool in value:
        if "function" in tool:
            tools.append({"type": tool.get("type", "function"), "function": tool["function"]})
        elif "name" in tool:
            tools.append({"type": "function", "function": tool})
        else:
            return [], 'each entry of "tools" needs a "name" (or a "function" with one)'
    return tools, None


def _call(value: Any, where: str) -> tuple[dict | None, str | None]:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None, f'{where}: a tool call needs a "name" and "arguments"'
    arguments = value.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None, f'{where}: the "arguments" of {value["name"]!r} are not valid JSON'
    return {"type": "function", "function": {"name": value["name"], "arguments": arguments}}, None


def sharegpt_tool_message(text: str, where: str) -> tuple[dict, str | None]:
    """A ShareGPT ``function_call`` turn -> an assistant message with ``tool_calls``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, f"{where}: a function_call turn must hold JSON {{\"name\", \"arguments\"}} ({exc.msg})"
    calls = []
    for item in value if isinstance(value, list) else [value]:
        call, problem = _call(item, where)
        if problem:
            return {}, problem
        calls.append(call)
    return {"role": "assistant", "content": "", "tool_calls": calls}, None


def normalize_tool_calls(value: Any, where: str) -> tuple[list[dict], str | None]:
    """An OpenAI ``tool_calls`` list with JSON-text arguments parsed (templates expect objects)."""
    if not isinstance(value, list) or not value:
        return [], f"{where}.tool_calls must be a non-empty list"
    calls = []
    for index, call in enumerate(value):
        function = call.get("function") if isinstance(call, dict) else None
        normal, problem = _call(function, f"{where}.tool_calls[{index}]")
        if problem:
            return [], problem
        calls.append({**call, **normal})
    return calls, None


def template_supports_tools(tokenizer: Any) -> bool:
    """Whether the chat template lays out tool descriptions, tool calls and tool results."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates: the tool one counts
        template = template.get("tool_use") or template.get("default")
    return isinstance(template, str) and "tools" in template and "tool_calls" in template
