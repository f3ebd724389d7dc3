"""An Ollama Modelfile beside the GGUF: FROM, TEMPLATE (the chat template in Go template syntax),
stop tokens and default parameters, and the `ollama create` command to register it.

The Jinja chat template is not parsed: it is rendered by transformers with marker messages, and
the text around each role's content is read off. That covers templates where each message is
wrapped independently (Llama 3, Qwen2/2.5, Mistral-style [INST], Phi-3, GLM-4, Gemma, ChatML,
TuneDesk's own). The Go template is then checked by rendering it here (same semantics) against
transformers' output for several conversations; a template that does not match (tool calls, content
rewriting, date logic...) gets no TEMPLATE line and the reason, and Ollama falls back to the GGUF's own
tokenizer.chat_template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARK = {"system": "SYSTEMxq7", "user": "USERxq7", "assistant": "ASSISTANTxq7"}
DEFAULT_NUM_CTX = 4096


class Untranslatable(ValueError):
    pass


@dataclass
class ChatFormat:
    """Literal text around each role's content, as the HF template renders it."""

    prefix: str  # before the first message (BOS and such)
    default_system: str  # what the template inserts when no system message is given
    wrap: dict[str, tuple[str, str]]  # role -> (before content, after content)
    generation: str  # the assistant header that starts a reply
    system_supported: bool

    def render(self, messages: list[dict[str, str]]) -> str:
        """What the Go template below produces, in Python: used to check the translation."""
        out = self.prefix
        if not (messages and messages[0]["role"] == "system"):
            out += self.default_system
        for message in messages:
            before, after = self.wrap[message["role"]]
            out += before + message["content"] + after
        if messages[-1]["role"] != "assistant":
            out += self.generation
        return out


def _render(tokenizer: Any, messages: list[dict[str, str]], generation: bool) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)


def _after(longer: str, shorter: str, what: str) -> str:
    if not longer.startswith(shorter):
        raise Untranslatable(f"the template rewrites earlier text when {what} is added")
    return longer[len(shorter) :]


def _split(block: str, role: str) -> tuple[str, str]:
    if block.count(MARK[role]) != 1:
        raise Untranslatable(f"the {role} message's content is not rendered verbatim")
    before, after = block.split(MARK[role])
    return before, after


def derive_format(tokenizer: Any) -> ChatFormat:
    if not getattr(tokenizer, "chat_template", None):
        raise Untranslatable("the tokenizer has no chat template")
    u = {"role": "user", "content": MARK["user"]}
    a = {"role": "assistant", "content": MARK["assistant"]}
    s = {"role": "system", "content": MARK["system"]}
    try:
        first_user = _render(tokenizer, [u], False)
        user_asst = _render(tokenizer, [u, a], False)
        two_users = _render(tokenizer, [u, a, u], False)
        with_generation = _render(tokenizer, [u], True)
    except Exception as exc:  # a template may raise for these shapes (strict role alternation checks)
        raise Untranslatable(f"the template refused a plain user/assistant conversation: {exc}") from exc
    # Ollama renders for a reply, so assistant messages are always history (followed by a user turn):
    # read the assistant's opening text there (Qwen3 renders a final assistant turn with a think block).
    # Where it ends is read from the conversation ending on the assistant.
    history = _after(two_users, first_user, "an assistant reply and a second user turn")
    last_after = _split(_after(user_asst, first_user, "an assistant reply"), "assistant")[1]
    asst_before, rest = _split(history, "assistant")
    if not rest.startswith(last_after):
        raise Untranslatable("an assistant turn ends differently in the history and at the end")
    wrap = {"assistant": (asst_before, last_after)}
    wrap["user"] = _split(rest[len(last_after) :], "user")
    user_block = wrap["user"][0] + MARK["user"] + wrap["user"][1]
    if not first_user.endswith(user_block):
        raise Untranslatable("the first user message is rendered differently from later ones")
    head = first_user[: -len(user_block)]
    generation = _after(with_generation, first_user, "the generation prompt")
    system_supported = True
    try:
        with_system = _render(tokenizer, [s, u], False)
    except Exception:
        with_system, system_supported = "", False
    prefix, default_system = head, ""
    if system_supported:
        if not with_system.endswith(user_block):
            raise Untranslatable("a system message changes how the user message is rendered")
        sys_part = with_system[: -len(user_block)]
        if MARK["system"] not in sys_part:
            raise Untranslatable("the system message's content is not rendered verbatim")
        before, after = sys_part.split(MARK["system"], 1)
        # Split the common start (BOS...) off; what remains of `head` is the default system block.
        common = len(_common_prefix(before, head))
        prefix, default_system = head[:common], head[common:]
        wrap["system"] = (before[common:], after)
    else:
        wrap["system"] = ("", "")
    fmt = ChatFormat(prefix, default_system, wrap, generation, system_supported)
    _check(fmt, tokenizer)
    return fmt


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _check(fmt: ChatFormat, tokenizer: Any) -> None:
    conversations = [
        [{"role": "user", "content": "Hi there"}],
        [
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "two"},
            {"role": "user", "content": "three\nfour"},
        ],
    ]
    if fmt.system_supported:
        conversations.append(
            [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "one"},
                {"role": "assistant", "content": "two"},
                {"role": "user", "content": "three"},
            ]
        )
    for messages in conversations:
        expected = _render(tokenizer, messages, True)
        if fmt.render(messages) != expected:
            raise Untranslatable(
                "the translated template does not reproduce transformers' rendering for a "
                f"{len(messages)}-message conversation"
            )


def _go(text: str) -> str:
    """A Go template action printing `text` literally (a Go string literal, JSON escapes are valid Go)."""
    return "{{ " + json.dumps(text, ensure_ascii=False) + " }}" if text else ""


def go_template(fmt: ChatFormat) -> str:
    """Ollama's template over .Messages (system/user/assistant), same output as ChatFormat.render."""
    sys_before, sys_after = fmt.wrap["system"]
    lines = [_go(fmt.prefix)]
    if fmt.default_system:
        lines.append(
            '{{- if not (and .Messages (eq (index .Messages 0).Role "system")) }}'
            + _go(fmt.default_system)
            + "{{ end }}"
        )
    lines.append("{{- range $i, $_ := .Messages }}")
    lines.append("{{- $last := eq (len (slice $.Messages $i)) 1 }}")
    # Every literal is inside an action, so the template's own line breaks are trimmed ({{- ...}}) and
    # only what the HF template renders is output.
    user_before, user_after = fmt.wrap["user"]
    asst_before, asst_after = fmt.wrap["assistant"]
    user = _go(user_before) + "{{ .Content }}" + _go(user_after)
    if fmt.system_supported:
        lines.append('{{- if eq .Role "system" }}' + _go(sys_before) + "{{ .Content }}" + _go(sys_after))
        lines.append('{{- else if eq .Role "user" }}' + user)
    else:
        lines.append('{{- if eq .Role "user" }}' + user)
    lines.append(
        '{{- else if eq .Role "assistant" }}' + _go(asst_before) + "{{ .Content }}" + _go(asst_after)
    )
    lines.append("{{- end }}")
    lines.append('{{- if and $last (ne .Role "assistant") }}' + _go(fmt.generation) + "{{ end }}")
    lines.append("{{- end }}")
    return "\n".join(line for line in lines if line)


def stop_tokens(tokenizer: Any, config: Any, fmt: ChatFormat | None) -> list[str]:
    """EOS token(s), special tokens that close an assistant turn (<|eot_id|>, <|im_end|>) and those that
    open a user turn (GLM-4's <|user|>, ChatML's <|im_start|>): a reply must end before either."""
    ids: list[int] = []
    for value in (getattr(config, "eos_token_id", None), tokenizer.eos_token_id):
        ids.extend(value if isinstance(value, list) else [value] if value is not None else [])
    stops = [tokenizer.convert_ids_to_tokens(i) for i in dict.fromkeys(ids)]
    if fmt is not None:
        specials = {t for t in tokenizer.all_special_tokens} | {
            t.content for t in tokenizer.added_tokens_decoder.values() if t.special
        }
        around = fmt.wrap["assistant"][1] + " " + fmt.wrap["user"][0]
        for token in sorted(specials, key=around.find):
            if token and token in around:
                stops.append(token)
    return [s for s in dict.fromkeys(stops) if s]


def default_parameters(config: Any, generation_config: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"num_ctx": min(int(config.max_position_embeddings), DEFAULT_NUM_CTX)}
    for ours, theirs in (
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("top_k", "top_k"),
        ("repeat_penalty", "repetition_penalty"),
    ):
        if generation_config.get(theirs) is not None:
            params[ours] = generation_config[theirs]
    return params


def model_name(record: dict[str, Any]) -> str:
    """An Ollama model name: lowercase letters, digits, '-', '_', '.'."""
    base = Path(str(record.get("base_model") or "model")).name
    raw = f"{base}-{record.get('run_id') or 'tunedesk'}-{record.get('dtype')}"
    return re.sub(r"[^a-z0-9._-]+", "-", raw.lower()).strip("-.")[:80] or "tunedesk-model"


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_modelfile(
    staging: Path, gguf_name: str, tokenizer: Any, config: Any, record: dict[str, Any], target: Path
) -> dict[str, Any]:
    """Write <staging>/Modelfile; returns what export.json records under "ollama"."""
    generation_config = _generation_config(record)
    try:
        fmt: ChatFormat | None = derive_format(tokenizer)
        why = ""
    except Untranslatable as exc:
        fmt, why = None, str(exc)
    stops = stop_tokens(tokenizer, config, fmt)
    params = default_parameters(config, generation_config)
    lines = [f"# Written by TuneDesk for {gguf_name}. Register it with the command in export.json.", ""]
    lines.append(f"FROM ./{gguf_name}")
    if fmt is not None:
        lines += ["", f'TEMPLATE """{go_template(fmt)}"""']
    else:
        lines += [
            "",
            f"# No TEMPLATE: the chat template could not be translated to Go template syntax ({why}).",
            "# Ollama then uses the GGUF's tokenizer.chat_template if it recognises it; otherwise write one.",
        ]
    lines.append("")
    lines += [f"PARAMETER stop {_quote(s)}" for s in stops]
    lines += [f"PARAMETER {k} {v}" for k, v in params.items()]
    (staging / "Modelfile").write_text("\n".join(lines) + "\n", encoding="utf-8")
    name = model_name(record)
    return {
        "modelfile": "Modelfile",
        "name": name,
        "command": f"ollama create {name} -f {target / 'Modelfile'}",
        "template": "translated" if fmt is not None else "not translated",
        "template_note": why,
        "stop": stops,
        "parameters": params,
    }


def _generation_config(record: dict[str, Any]) -> dict[str, Any]:
    base = record.get("base_model")
    path = Path(base) / "generation_config.json" if base else None
    if path is not None and path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
    return {}
