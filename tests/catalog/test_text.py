"""catalog.text.short_text: what fits OCI's 40 characters, never cut mid-word silently."""

import pytest

from catalog.text import short_text, was_shortened


def test_text_that_fits_is_returned_unchanged():
    assert short_text("Inductive proximity sensor M12") == "Inductive proximity sensor M12"


def test_text_of_exactly_the_limit_is_not_shortened():
    text = "a" * 20 + " " + "b" * 19  # 40 characters
    assert short_text(text) == text
    assert not was_shortened(text)


def test_whitespace_is_collapsed():
    assert short_text("  Pressure\t transmitter\n\n 0–10 bar  ") == "Pressure transmitter 0–10 bar"


def test_long_text_is_cut_at_a_word_boundary_with_an_ellipsis():
    text = "Inductive proximity sensor M12 flush mount PNP NO with 2 m cable"
    result = short_text(text)
    assert result == "Inductive proximity sensor M12 flush…"
    assert len(result) <= 40
    assert result.endswith("…")
    assert text.startswith(result[:-1])
    assert was_shortened(text)


def test_cut_never_splits_a_word():
    text = "Temperature transmitter with HART communication protocol"
    result = short_text(text, limit=30)
    assert result == "Temperature transmitter with…"
    kept_words = result[:-1].split(" ")
    assert all(word in text.split(" ") for word in kept_words)


def test_word_ending_exactly_at_the_room_is_kept():
    # "abcd efgh" is 9 chars; with limit 10 the room before "…" is 9.
    assert short_text("abcd efgh ijkl", limit=10) == "abcd efgh…"


def test_single_word_longer_than_the_limit_is_cut_at_limit_minus_one():
    word = "Donaudampfschifffahrtsgesellschaftskapitänsmütze"
    result = short_text(word)
    assert result == word[:39] + "…"
    assert len(result) == 40


def test_long_first_word_followed_by_others_is_cut_too():
    result = short_text("x" * 50 + " tail", limit=10)
    assert result == "x" * 9 + "…"


def test_trailing_punctuation_before_the_ellipsis_is_dropped():
    assert short_text("Sensor, inductive, flush mount", limit=20) == "Sensor, inductive…"


def test_empty_and_blank_text():
    assert short_text("") == ""
    assert short_text(" \n\t ") == ""


def test_limit_must_be_positive():
    with pytest.raises(ValueError, match="limit"):
        short_text("abc", limit=0)


@pytest.mark.parametrize("limit", [1, 2, 5, 13, 40, 132])
def test_result_never_exceeds_the_limit(limit):
    text = "Compact PLC controller 24 V DC with 16 digital inputs and 8 relay outputs, Ethernet"
    assert len(short_text(text, limit)) <= limit
