"""Getting models from the Hugging Face Hub (``python -m tunedesk pull``): file selection,
resumable downloads with progress, and the folder layout that tells a complete model apart."""
