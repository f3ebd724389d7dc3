"""Merged, verified exports of a checkpoint: Hugging Face safetensors, P-Tuning bundles, GGUF.

cli.py (``python -m tunedesk export``) → pipeline.py (the recipe) → source.py (what the
checkpoint is) / prepare.py (merge) / verify.py (logits) / safe_write.py (staging, disk) /
gguf_export.py / zero.py (DeepSpeed consolidation).
"""
