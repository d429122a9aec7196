"""Keys and bearer tokens never survive redaction; ordinary text is untouched."""

from __future__ import annotations

from tray.redact import REDACTED, redact, redact_any


def test_known_key_shapes_are_redacted() -> None:
    text = ("use sk-proj-ABCDEF1234567890abcdef1234567890 and AKIAABCDEFGHIJKLMNOP, "
            "Authorization: Bearer sk-live-0123456789 ghp_abcdefghijklmnopqrstuvwx12")
    out = redact(text)
    for secret in ("sk-proj-ABCDEF", "AKIAABCDEFGH", "sk-live-0123", "ghp_abcdef"):
        assert secret not in out
    assert out.count(REDACTED) >= 4


def test_labelled_values_and_known_secrets_are_redacted() -> None:
    assert "hunter22" not in redact('{"api_key": "hunter22"}')
    assert "m4ster" not in redact("the key is m4ster-value", extra=["m4ster-value"])


def test_plain_text_is_left_alone() -> None:
    text = "Ask the skeleton key about monkeys; a task-list item."
    assert redact(text) == text


def test_nested_messages_are_redacted() -> None:
    messages = [{"role": "user", "content": ["x", {"text": "token sk-abcdefghijkl"}]}]
    assert "sk-abcdefghijkl" not in str(redact_any(messages))


def test_redaction_is_idempotent() -> None:
    once = redact("Authorization: Bearer sk-live-0123456789")
    assert redact(once) == once == "Authorization: Bearer [REDACTED]"


def test_every_start_passes_the_short_text_check() -> None:
    """The check for short texts spells the starts out for speed: none may be forgotten there."""
    from tray.redact import _STARTS, _holds_a_start

    for start in _STARTS:
        assert _holds_a_start(f"some text {start.decode()} more"), start
    assert not _holds_a_start("an ordinary prompt about the weather")


_FRAGMENTS = (
    "sk-proj-ABCDEF1234567890", "SK-abcdefghij", "AKIAABCDEFGHIJKLMNOP", "akiaabcdefghijklmnop",
    "AIzaSyA1234567890abcdefghijklmnopqrs", "ghp_abcdefghijklmnopqrstuvwx12", "GHO_abcdefghijklmnopqrstu",
    "gh_not", "xoxb-1234567890-abc", "eyJhbGciOi.eyJzdWIiOi.SflKxwRJSM", "Bearer abc.def", "bearer  tok3n",
    "Authorization: Bearer sk-live-0123456789", '"api_key": "hunter22"', "'x-api-key': 'v4lue'",
    "masterkey=s3cr3tvalue", "MASTER-KEY: abcd", "password=pa55word", "my_secret: shh12345",
    "apikey:zzzz", "api-key = 'q'", "[REDACTED]", "Bearer [REDACTED]", "mysk-abcdefghij", "task-list",
    "monkey", "right", "though", "capital",
    # letters re.IGNORECASE takes for ASCII ones: long s, Kelvin sign, dotless i, dotted capital I
    "\u017fk-abcdefghij", "s\u212a-abcdefghij", "ap\u0131_key=abcd", "AP\u0130_KEY=abcd", "\u0131", "\u0130",
    "\u00e9t\u00e9", "\u4f60\u597d", "\U0001F600", " ", "\n", "'", '"', ":", "=", "-", "_", ",", "}",
)


def test_redact_finds_exactly_what_the_whole_regex_finds() -> None:
    """Redaction tries its regex only where a match can begin: on random mixes of secrets,
    labels, quotes, look-alike words and letters that case-fold oddly, it gives what the regex
    applied at every character (`sub`) gives."""
    import random

    from tray.redact import _PATTERN, _replace

    rng = random.Random(20261205)
    for size in [*range(1, 12), 40, 200, 400]:
        for _ in range(300):
            text = "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(1, size)))
            assert redact(text) == _PATTERN.sub(_replace, text), text


def test_a_long_english_prompt_keeps_its_text_and_loses_its_key() -> None:
    prose = "Right, though the night was high and bright, the monkey kept the capital's key. " * 600
    text = prose + "Use sk-proj-ABCDEF1234567890abcdef please."
    out = redact(text)
    assert out == prose + "Use [REDACTED] please."
