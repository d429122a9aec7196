"""What is kept of a request body: the hint must equal what later lines print."""

from __future__ import annotations

import random

from tray.logs.bodies import repr_prefix


def test_repr_prefix_equals_the_start_of_repr_whatever_the_quotes() -> None:
    """Later lines print messages with Python's repr; the hint must match it character for
    character, including the quote style repr picks from the whole text."""
    rng = random.Random(7)
    alphabet = "ab'\"\\\n\té😀\x00 "
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
        assert repr_prefix(text, 80) == repr(text)[1:81], repr(text)


def test_repr_prefix_of_a_long_prompt_sees_a_quote_far_past_the_prefix() -> None:
    text = "it's " + "x" * 100_000 + '"'
    assert repr_prefix(text, 80) == repr(text)[1:81] == "it\\'s " + "x" * 74


def test_every_endpoint_s_text_is_read_as_messages() -> None:
    """Chat's `messages`; the Responses API's `instructions` and `input` (a text, messages,
    content parts); legacy completions' `prompt`; embeddings' `input` (texts or token ids)."""
    from tray.logs.bodies import stored_messages, text_key

    def shown(body: dict) -> list[tuple[str, str]]:
        return [(m["role"], m["content"]) for m in stored_messages(body)]

    chat = {"model": "m", "messages": [{"role": "system", "content": "Be brief."},
                                       {"role": "user", "content": "Hi"}]}
    assert shown(chat) == [("system", "Be brief."), ("user", "Hi")]
    assert shown({"prompt": "Once upon"}) == [("user", "Once upon")]
    assert shown({"prompt": ["one", "two"]}) == [("user", "one"), ("user", "two")]
    assert shown({"instructions": "One word.", "input": "Why?"}) == [("system", "One word."), ("user", "Why?")]
    parts = {"input": [{"role": "user", "content": [{"type": "input_text", "text": "Look"},
                                                    {"type": "input_image", "image_url": "data:..."}]}]}
    assert shown(parts) == [("user", "Look")]
    assert shown({"input": ["a", "b"]}) == [("user", "a"), ("user", "b")]
    assert shown({"input": [[1, 2, 3]]}) == [("user", "[[1, 2, 3]]")]
    assert shown({"model": "m"}) == []
    assert [text_key(b) for b in (chat, {"prompt": "x"}, {"input": "x"}, {"model": "m"})] == \
        ["messages", "prompt", "input", None]


def test_the_hint_is_what_each_call_line_writes() -> None:
    """LiteLLM's call lines write the kwargs with repr: `messages=[...]`, `prompt='...'`,
    `input=...`; the hint is the start of the last text as it appears there."""
    from tray.logs.bodies import message_hint

    for body, call_line in [
        ({"prompt": "It's here"}, "litellm.atext_completion(model='x', prompt=\"It's here\", caching=False)"),
        ({"input": "Embed me"}, "litellm.aembedding(model='x', input='Embed me', caching=False)"),
        ({"input": [{"role": "user", "content": [{"type": "input_text", "text": "Parts"}]}]},
         "litellm.aresponses(input=[{'role': 'user', 'content': [{'type': 'input_text', 'text': 'Parts'}]}])"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": "Image?"}, {"type": "image_url"}]}]},
         "litellm.acompletion(messages=[{'role': 'user', 'content': [{'type': 'text', 'text': 'Image?'}]}])"),
    ]:
        hint = message_hint(body)
        assert hint and hint in call_line, (hint, call_line)
