"""Read a SentencePiece ``tokenizer.model`` file without the protobuf package.

The model file is a serialized ``sentencepiece.ModelProto``. We need only a handful of its fields
(pieces with score and type, the model type, byte fallback, the special ids and the normalizer
options), so a 40-line reader of the protobuf wire format replaces a dependency. Field numbers are
those of sentencepiece_model.proto (checked against the descriptor shipped in the sentencepiece wheel).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

# SentencePiece.Type values.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
# TrainerSpec.ModelType values.
MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}


@dataclass
class Piece:
    text: str
    score: float = 0.0
    type: int = NORMAL


@dataclass
class SpModel:
    """The parts of a SentencePiece model that decide how text becomes ids (proto2 defaults applied)."""

    pieces: list[Piece] = field(default_factory=list)
    model_type: str = "unigram"
    byte_fallback: bool = False
    unk_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    pad_id: int = -1
    split_digits: bool = False
    treat_whitespace_as_suffix: bool = False
    normalizer_name: str = ""
    precompiled_charsmap: bytes = b""
    add_dummy_prefix: bool = True
    remove_extra_whitespaces: bool = True
    escape_whitespaces: bool = True


def _fields(buf: bytes):
    """Yield (field_number, wire_type, value) for one protobuf message."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > end:
            raise ValueError("truncated protobuf message")
        yield number, wire, value


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _signed32(value: int) -> int:
    # int32 fields are varints of the two's complement 64-bit value (pad_id = -1).
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_sp_model(data: bytes) -> SpModel:
    model = SpModel()
    for number, _wire, value in _fields(data):
        if number == 1:
            piece = Piece("")
            for n, _w, v in _fields(value):
                if n == 1:
                    piece.text = v.decode("utf-8")
                elif n == 2:
                    piece.score = struct.unpack("<f", v)[0]
                elif n == 3:
                    piece.type = v
            model.pieces.append(piece)
        elif number == 2:
            _read_trainer_spec(model, value)
        elif number == 3:
            _read_normalizer_spec(model, value)
    return model


def _read_trainer_spec(model: SpModel, buf: bytes) -> None:
    for n, _w, v in _fields(buf):
        if n == 3:
            model.model_type = MODEL_TYPES.get(v, f"unknown({v})")
        elif n == 35:
            model.byte_fallback = bool(v)
        elif n == 40:
            model.unk_id = _signed32(v)
        elif n == 41:
            model.bos_id = _signed32(v)
        elif n == 42:
            model.eos_id = _signed32(v)
        elif n == 43:
            model.pad_id = _signed32(v)
        elif n == 25:
            model.split_digits = bool(v)
        elif n == 24:
            model.treat_whitespace_as_suffix = bool(v)


def _read_normalizer_spec(model: SpModel, buf: bytes) -> None:
    for n, _w, v in _fields(buf):
        if n == 1:
            model.normalizer_name = v.decode("utf-8")
        elif n == 2:
            model.precompiled_charsmap = bytes(v)
        elif n == 3:
            model.add_dummy_prefix = bool(v)
        elif n == 4:
            model.remove_extra_whitespaces = bool(v)
        elif n == 5:
            model.escape_whitespaces = bool(v)


def read_sp_model(path: Path) -> SpModel:
    """Parse ``path``; a file that is not a SentencePiece model ends as a ConfigError naming it."""
    try:
        model = parse_sp_model(path.read_bytes())
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise ConfigError(
            f"{path} is not a readable SentencePiece model ({exc}).",
            "Copy tokenizer.model again from the original checkpoint; it may be truncated.",
        ) from exc
    if not model.pieces:
        raise ConfigError(
            f"{path} holds no vocabulary pieces.", "Copy tokenizer.model again from the checkpoint."
        )
    return model
