"""A small evaluator of Go's text/template, for the constructs Ollama templates use, so tests can
render a Modelfile TEMPLATE without Go or Ollama (neither is available here).

Written from the text/template documentation, independently of tunedesk/export/modelfile.py:
trim markers ({{- -}}), string literals, fields (.Role, $.Messages, (expr).Role), variables,
if / else if / else / end, range $i, $_ := PIPE, and the functions eq ne and or not len slice index.
"""

from __future__ import annotations

import json
import re
from typing import Any

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\(|\)|\$?[A-Za-z_.$][\w.$]*|\d+|:=|,')


def _lex(template: str) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in ACTION.finditer(template):
        text = template[pos : m.start()]
        if m.group(1):
            text = text.rstrip()
        if parts and parts[-1][0] == "trim_next":
            parts.pop()
            text = text.lstrip()
        parts.append(("text", text))
        parts.append(("action", m.group(2).strip()))
        if m.group(3):
            parts.append(("trim_next", ""))
        pos = m.end()
    text = template[pos:]
    if parts and parts[-1][0] == "trim_next":
        parts.pop()
        text = text.lstrip()
    parts.append(("text", text))
    return parts


def _parse(parts: list[tuple[str, str]], i: int = 0, stop=("end",)) -> tuple[list, int, str]:
    body: list = []
    while i < len(parts):
        kind, value = parts[i]
        i += 1
        if kind == "text":
            if value:
                body.append(("text", value))
            continue
        word = value.split(" ", 1)[0]
        if word in stop or value.startswith("else"):
            return body, i, value
        if word == "if":
            branches, orelse = [], []
            cond = value[3:]
            while True:
                inner, i, closer = _parse(parts, i)
                branches.append((cond, inner))
                if closer.startswith("else if"):
                    cond = closer[len("else if") :].strip()
                    continue
                if closer == "else":
                    orelse, i, closer = _parse(parts, i)
                break
            body.append(("if", branches, orelse))
        elif word == "range":
            header = value[len("range") :].strip()
            names, _, pipe = header.partition(":=")
            inner, i, _ = _parse(parts, i)
            body.append(("range", [n.strip() for n in names.split(",")], pipe.strip(), inner))
        elif ":=" in value:
            name, _, pipe = value.partition(":=")
            body.append(("set", name.strip(), pipe.strip()))
        else:
            body.append(("print", value))
    return body, i, ""


def _eval(expr: str, dot: Any, env: dict[str, Any]) -> Any:
    tokens = TOKEN.findall(expr)
    value, rest = _pipeline(tokens, dot, env)
    assert not rest, rest
    return value


def _field(obj: Any, path: str) -> Any:
    for name in [p for p in path.split(".") if p]:
        obj = obj[name] if isinstance(obj, dict) else getattr(obj, name)
    return obj


def _operand(tokens: list[str], dot: Any, env: dict[str, Any]) -> tuple[Any, list[str]]:
    tok, rest = tokens[0], tokens[1:]
    if tok == "(":
        value, rest = _pipeline(rest, dot, env)
        assert rest[0] == ")"
        rest = rest[1:]
        if rest and rest[0].startswith(".") and rest[0] != ".":
            value, rest = _field(value, rest[0]), rest[1:]
        return value, rest
    if tok.startswith('"'):
        return json.loads(tok), rest
    if tok.isdigit():
        return int(tok), rest
    if tok.startswith("$"):
        name, _, path = tok.partition(".")
        return _field(env[name], path), rest
    if tok.startswith("."):
        return _field(dot, tok), rest
    raise ValueError(f"not an operand: {tok}")


FUNCS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "not": lambda a: not a,
    "len": len,
    "slice": lambda xs, i: xs[i:],
    "index": lambda xs, i: xs[i],
}


def _pipeline(tokens: list[str], dot: Any, env: dict[str, Any]) -> tuple[Any, list[str]]:
    head = tokens[0]
    if head in FUNCS or head in ("and", "or"):
        args, rest = [], tokens[1:]
        while rest and rest[0] != ")":
            value, rest = _operand(rest, dot, env)
            args.append(value)
        if head == "and":
            return next((a for a in args if not a), args[-1]), rest
        if head == "or":
            return next((a for a in args if a), args[-1]), rest
        return FUNCS[head](*args), rest
    return _operand(tokens, dot, env)


def _run(body: list, dot: Any, env: dict[str, Any], out: list[str]) -> None:
    for node in body:
        if node[0] == "text":
            out.append(node[1])
        elif node[0] == "print":
            out.append(str(_eval(node[1], dot, env)))
        elif node[0] == "set":
            env[node[1]] = _eval(node[2], dot, env)
        elif node[0] == "if":
            for cond, inner in node[1]:
                if _eval(cond, dot, env):
                    _run(inner, dot, env, out)
                    break
            else:
                _run(node[2], dot, env, out)
        elif node[0] == "range":
            for index, item in enumerate(_eval(node[2], dot, env)):
                scope = dict(env)
                scope[node[1][0]] = index
                if len(node[1]) > 1:
                    scope[node[1][1]] = item
                _run(node[3], item, scope, out)


def render(template: str, messages: list[dict[str, str]]) -> str:
    root = {"Messages": [{"Role": m["role"], "Content": m["content"]} for m in messages]}
    body, _, _ = _parse(_lex(template))
    out: list[str] = []
    _run(body, root, {"$": root}, out)
    return "".join(out)
