"""Tiny tokenizers carrying the PUBLISHED chat templates of every family the trainer supports.

The templates are copied from each model's tokenizer_config.json (Meta-Llama-3-8B-Instruct,
Qwen2-7B-Instruct, Qwen2.5-7B-Instruct, Qwen3-8B, Mistral-7B-Instruct-v0.2 as published now and as
first released, gemma-2-2b-it, Phi-3-mini-4k-instruct, glm-4-9b-chat, chatglm3-6b; GLM-4's long
built-in tool descriptions other than "function" are left out). The comment above each template
names the published copy it was checked against, and says where none was found. The vocabulary is a small byte-level BPE; what matters for masking is
that each family's special tokens are single special tokens with the published flags (Phi-3's
<|end|> eats the newline after it: rstrip=True, the cause of the old split-inside-a-token bug).
"""

from __future__ import annotations

from functools import cache

# meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json (current revision, with the
# add_generation_prompt test; the first release always appended the assistant header). Verified
# character for character against copies of that field: llama.cpp tests/test-chat-template.cpp
# ("Llama-3"), and a notebook printing tokenizer_config['chat_template'] of a Llama 3 fine-tune.
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
    "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

# Qwen/Qwen2-7B-Instruct tokenizer_config.json; verified against a copy quoting that file's
# "chat_template" field verbatim (same text as Qwen2-*-Instruct and hermes3's GGUF minus bos_token).
QWEN2 = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Qwen/Qwen2.5-7B-Instruct tokenizer_config.json (the same template ships with every Qwen2.5-*-Instruct).
# Checked character for character against a copy citing
# huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/7ae557604adf67be50417f59c2c2f167def9a775/tokenizer_config.json#L198.
QWEN25 = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

# Qwen/Qwen3-8B tokenizer_config.json as on its main branch now (checked character for character
# against a copy citing huggingface.co/Qwen/Qwen3-8B/blob/main/tokenizer_config.json#L230). It differs
# from the first Qwen3 release only for non-string content and reasoning_content: both render string
# conversations identically.
QWEN3 = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\\n\\n' }}
    {%- endif %}
    {{- "# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.content is string %}
        {%- set content = message.content %}
    {%- else %}
        {%- set content = '' %}
    {%- endif %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- else %}
            {%- if '</think>' in content %}
                {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
                {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
            {%- endif %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index %}
            {%- if loop.last or (not loop.last and reasoning_content) %}
                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}
            {%- else %}
                {{- '<|im_start|>' + message.role + '\\n' + content }}
            {%- endif %}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\\n' + content }}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content) or (not loop.first) %}
                    {{- '\\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\\n\\n</think>\\n\\n' }}
    {%- endif %}
{%- endif %}"""

# mistralai/Mistral-7B-Instruct-v0.2, tokenizer_config.json as published now (Mistral replaced the
# template of v0.1/v0.2/Mixtral in 2024 with this one: an optional system message folded into the
# first [INST], and a space before each [INST] and each answer). Verified against the template vLLM
# logs when serving Mistral-7B-Instruct-v0.2 (Sept. 2024) and copies of the Mixtral-8x7B-Instruct-v0.1
# one (same text). The ' ' before the answer is part of the rendered answer span.
MISTRAL = """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
"""

# The ORIGINAL Mistral-7B-Instruct-v0.2 template (its first release; still in many downloaded copies,
# GGUF files and ONNX exports; llama.cpp tests/test-chat-template.cpp keeps it as "mistralai/
# Mistral-7B-Instruct-v0.2 (NOTE: Old pre-v1 without a system prompt)"). It rejects a system role.
MISTRAL_LEGACY = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant "
    "roles are supported!') }}{% endif %}{% endfor %}"
)

# google/gemma-2-2b-it tokenizer_config.json (gemma-7b-it has the same text); verified against
# copies quoting it verbatim ("Verbatim from ... unsloth/gemma-2-2b-it (tokenizer_config.json)") and
# llama.cpp tests/test-chat-template.cpp ("google/gemma-7b-it").
GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not "
    "supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}"
    "{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
)

# microsoft/Phi-3-mini-4k-instruct tokenizer_config.json (revision of mid-2024, with the system role;
# the first release had "{{ bos_token }}..." and no system). Verified against copies of that field
# (a model card citing Phi-3-mini-128k-instruct's tokenizer_config.json, and inference code quoting
# it). Flags from its added_tokens_decoder: <|assistant|>, <|system|>, <|end|>, <|user|> (ids 32001,
# 32006, 32007, 32010) are special with rstrip=true; <|endoftext|> (32000, the eos_token) is not
# rstrip. The added_tokens_decoder itself was NOT found verbatim in the search index; the flags are
# from memory, backed by reports of the published tokenizer eating the newline after them
# (huggingface/transformers#32136 "phi-3's LlamaTokenizer ignores newline character",
# unslothai/unsloth#1501 "the tokenizer doesn't preserve \n" after <|user|>) and by the split
# "<|end|>\n<|" issue 11 measured on the real model.
PHI3 = (
    "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + "
    "message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + "
    "message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}"
    "{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)

# GLM-4 (THUDM/glm-4-9b-chat, the template with the built-in tool descriptions, trimmed as the module
# docstring says). Not re-checked in this pass (it was checked against a published copy before); the
# same text is the "ChatGLM4" entry of llama.cpp tests/test-chat-template.cpp. Whether
# glm-4-9b-chat-hf's current revision ships exactly this text was not re-verified here.
GLM4 = (
    "[gMASK]<sop>{% for item in messages %}{% if item['tools'] is defined %}<|system|>\n"
    "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n"
    "# 可用工具{% set tools = item['tools'] %}{% for tool in tools %}{% if tool['type'] == 'function' %}"
    "\n\n## {{ tool['function']['name'] }}\n\n{{ tool['function'] | tojson(indent=4) }}\n"
    "在调用上述函数时，请使用 Json 格式表示调用的参数。{% endif %}{% endfor %}{% endif %}"
    "{% if item['content'] %}<|{{ item['role'] }}|>{{ item['metadata'] }}\n{{ item['content'] }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

# THUDM/chatglm3-6b tokenizer_config.json (commit 103caa40027ebfd8450289ca2f278eac4ff26405, line 42,
# as cited by LMFlow's docs; same text in llama.cpp tests/test-chat-template.cpp "ChatGLM3").
# --mode chat on a ChatGLM3 model uses it.
#
# THUDM/chatglm2-6b publishes NO chat_template: its prompt ("[Round 1]\n\n问：...\n\n答：") is built
# by build_prompt() in its remote code (tokenization_chatglm.py / modeling_chatglm.py). TuneDesk's
# glm2 mode reproduces that layout (verified token for token in test_templates_glm.py), so there is
# no ChatGLM2 fixture here.
CHATGLM3 = (
    "{% for message in messages %}{% if loop.first %}[gMASK]sop<|{{ message['role'] }}|>\n "
    "{{ message['content'] }}{% else %}<|{{ message['role'] }}|>\n {{ message['content'] }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

# family -> (template, bos, eos, special tokens, plain added tokens, tokens whose right whitespace is eaten)
FAMILIES: dict[str, tuple[str, str | None, str, list[str], list[str], list[str]]] = {
    "llama3": (
        LLAMA3,
        "<|begin_of_text|>",
        "<|eot_id|>",
        ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
        [],
        [],
    ),
    "qwen2": (QWEN2, None, "<|im_end|>", ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], [], []),
    "qwen2.5": (
        QWEN25,
        None,
        "<|im_end|>",
        ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        ["<tool_call>", "</tool_call>"],
        [],
    ),
    "qwen3": (
        QWEN3,
        None,
        "<|im_end|>",
        ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        ["<tool_call>", "</tool_call>", "<think>", "</think>", "<tool_response>", "</tool_response>"],
        [],
    ),
    "mistral": (MISTRAL, "<s>", "</s>", ["<unk>", "<s>", "</s>"], [], []),
    "mistral-legacy": (MISTRAL_LEGACY, "<s>", "</s>", ["<unk>", "<s>", "</s>"], [], []),
    "gemma": (GEMMA, "<bos>", "<eos>", ["<pad>", "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>"], [], []),
    "phi3": (
        PHI3,
        "<s>",
        "<|endoftext|>",
        ["<s>", "</s>", "<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"],
        [],
        ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"],
    ),
    "glm4": (
        GLM4,
        None,
        "<|endoftext|>",
        ["<|endoftext|>", "[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"],
        [],
        [],
    ),
    "chatglm3": (
        CHATGLM3,
        None,
        "</s>",
        ["<unk>", "</s>", "[gMASK]", "sop", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"],
        [],
        [],
    ),
}

CORPUS = [
    "Hello, how are you? I am fine. What is the capital of France? Paris is the capital.",
    "system user assistant model Tools function arguments name tool_call think",
    "猫 狗 你好 世界 问 答 三元组 抽取",
    '{"name": "get_weather", "arguments": {"city": "Paris"}} sunny 21 degrees',
    "You are a helpful assistant. You are Qwen, created by Alibaba Cloud.",
]


@cache
def family_tokenizer(family: str):
    """A fast tokenizer for ``family`` with its published chat template (cached; do not mutate)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    template, bos, eos, specials, plain, rstrip = FAMILIES[family]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    core.train_from_iterator(CORPUS, trainer)
    core.add_special_tokens(
        [AddedToken(t, special=True, normalized=False, rstrip=t in rstrip) for t in specials]
    )
    if plain:
        core.add_tokens([AddedToken(t, special=False, normalized=False) for t in plain])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=bos,
        eos_token=eos,
        pad_token=specials[0],
        extra_special_tokens=[t for t in specials if t not in (bos, eos, specials[0])] or None,
    )
    tokenizer.chat_template = template
    return tokenizer
