"""The ChatGLM line on today's transformers: detection, ChatGLM2/3 import, the ChatGLM-6B legacy environment."""
