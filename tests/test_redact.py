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


def test_quick_check_lets_every_hint_through() -> None:
    """The pre-filter spells its hints out for speed: none may be forgotten there."""
    from tray.redact import _HINTS, _quick_check

    long = "an ordinary prompt about the weather. " * 100     # checked another way
    for hint in _HINTS:
        assert _quick_check(f"some text {hint.upper()} more"), hint
        assert _quick_check(f"{long}{hint.upper()}{long}"), hint
    assert not _quick_check("an ordinary prompt about the weather")
    assert not _quick_check(long)
