"""Model families the trainer's fast paths cover, in a module without torch so that the flag
schema (``train --schema``) can publish them to the app, which estimates and explains the same
choices (resources/trainer-flags.json: ``plain_head_families``)."""

# Decoder-only families with a plain Linear head, SDPA attention and position-id-aware masks:
# packing (packing.packing_supported), the chunked LM-head loss (loss.chunked_head) and the lean
# activations (lean_activations.py) run on these only; any other model runs its own forward and loss.
PLAIN_HEAD_FAMILIES = frozenset({"llama", "mistral", "qwen2", "qwen3", "phi3"})
