"""Merged, verified exports of a checkpoint: Hugging Face safetensors, P-Tuning bundles, GGUF.

cli.py (``python -m tunedesk export``) → pipeline.py (the recipe) → source.py (what the
checkpoint is) / prepare.py (merge) / verify.py (logits) / safe_write.py (staging, disk) /
gguf_export.py / zero.py (DeepSpeed consolidation).

An export directory (default ``<run>/exports/<step>-<format>-<dtype>/``) holds the model files
and ``export.json``, written last and only when verification passed::

    {"format": "tunedesk-export", "version": 1,
     "kind": "merged" | "ptuning-adapter" | "gguf", "export_format": "hf" | "gguf",
     "method", "ptuning_version", "checkpoint", "step", "run_id", "base_model", "dtype",
     "mode" (the run's prompt template), "created",
     "verification": {"passed", "max_abs_logit_diff", "tolerance", "max_abs_diff_vs_base",
                      "training_effect", "samples", "samples_source", "sample_texts", "dtype", "reason"},
     "gguf": {...read-back check, "pre_tokenizer"...} (gguf only),
     "files": {relative path: bytes}}

kinds: "merged" is a plain transformers directory (safetensors shards + index, config,
generation_config, tokenizer); "ptuning-adapter" is adapter/ (peft) + tokenizer/ + README.md,
loaded on top of base_model; "gguf" is model-<dtype>.gguf for llama.cpp/Ollama.
"""
