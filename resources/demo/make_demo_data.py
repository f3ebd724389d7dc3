"""Writes train.jsonl and eval.jsonl of the demo data set (a tiny bilingual dictionary).

Run from anywhere: python resources/demo/make_demo_data.py — the output is deterministic, so
re-running it reproduces the committed files byte for byte (the demo model's tokenizer is
trained on them; changing them changes the demo model).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

# English -> Chinese, written for TuneDesk: everyday words a newcomer can check at a glance.
WORDS = [
    ("cat", "猫"), ("dog", "狗"), ("bird", "鸟"), ("fish", "鱼"), ("horse", "马"), ("cow", "牛"),
    ("sheep", "羊"), ("pig", "猪"), ("tiger", "老虎"), ("rabbit", "兔子"), ("panda", "熊猫"), ("duck", "鸭子"),
    ("red", "红色"), ("blue", "蓝色"), ("green", "绿色"), ("yellow", "黄色"), ("black", "黑色"),
    ("white", "白色"), ("purple", "紫色"), ("pink", "粉色"),
    ("apple", "苹果"), ("banana", "香蕉"), ("grape", "葡萄"), ("pear", "梨"), ("peach", "桃子"),
    ("rice", "米饭"), ("tea", "茶"), ("water", "水"), ("milk", "牛奶"), ("bread", "面包"),
    ("sun", "太阳"), ("moon", "月亮"), ("star", "星星"), ("rain", "雨"), ("snow", "雪"), ("tree", "树"),
    ("flower", "花"), ("mountain", "山"), ("river", "河"), ("sea", "海"),
    ("one", "一"), ("two", "二"), ("three", "三"), ("four", "四"), ("five", "五"),
    ("six", "六"), ("seven", "七"), ("eight", "八"), ("nine", "九"), ("ten", "十"),
]

# (instruction, input) phrasings per direction; "{w}" is the word to translate.
# Five phrasings: with three, a tiny model learns the sentences more than the words (held-out
# phrasings ~60% right); with five it generalises to the held-out ones.
TO_CHINESE = [
    ("Translate to Chinese: ", "{w}"),
    ('What is "{w}" in Chinese?', ""),
    ("用中文怎么说：", "{w}"),
    ("Chinese word for ", "{w}"),
    ("“{w}”的中文是什么？", ""),
]
TO_ENGLISH = [
    ("Translate to English: ", "{w}"),
    ('What is "{w}" in English?', ""),
    ("用英文怎么说：", "{w}"),
    ("English word for ", "{w}"),
    ("“{w}”的英文是什么？", ""),
]

EVAL_EVERY = 3  # every 3rd (word, direction) pair holds one phrasing out for the eval file (both directions)


def samples() -> tuple[list[dict], list[dict]]:
    train, held_out = [], []
    pair_index = 0
    for en, zh in WORDS:
        for phrasings, source, answer in ((TO_CHINESE, en, zh), (TO_ENGLISH, zh, en)):
            held = (pair_index // EVAL_EVERY) % len(phrasings) if pair_index % EVAL_EVERY == 0 else -1
            for index, (instruction, text) in enumerate(phrasings):
                sample = {"instruction": instruction.format(w=source), "input": text.format(w=source), "output": answer}
                (held_out if index == held else train).append(sample)
            pair_index += 1
    # a fixed shuffle (Random with an int seed is stable across Python versions) mixes words and
    # phrasings, so that any prefix of the file covers many words (short demo runs)
    random.Random(20241128).shuffle(train)
    return train, held_out


def main() -> None:
    here = Path(__file__).resolve().parent
    train, held_out = samples()
    for name, rows in (("train.jsonl", train), ("eval.jsonl", held_out)):
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (here / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(rows)} samples")


if __name__ == "__main__":
    main()
