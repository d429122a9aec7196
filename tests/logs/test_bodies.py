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
