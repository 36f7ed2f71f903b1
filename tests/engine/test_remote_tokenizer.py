from __future__ import annotations

from codefill.engine.remote_tokenizer import BYTES_PER_TOKEN, ApproximateTokenizer


def test_round_trip_ascii_and_unicode() -> None:
    tokenizer = ApproximateTokenizer()
    for text in ["def quicksort(arr):\n    pass\n", "naïve = 'ü€𝄞'  # 多字节", "", "\x00\x00a"]:
        assert tokenizer.detokenize(tokenizer.tokenize(text, special=False)) == text


def test_about_one_token_per_three_bytes() -> None:
    tokens = ApproximateTokenizer().tokenize("x" * 300, special=True)
    assert len(tokens) == 300 // BYTES_PER_TOKEN


def test_a_slice_of_tokens_is_a_slice_of_the_text() -> None:
    tokenizer = ApproximateTokenizer()
    text = "prefix code that gets cut from the start"
    tokens = tokenizer.tokenize(text, special=False)
    tail = tokenizer.detokenize(tokens[4:])
    assert text.endswith(tail) and len(tail) == len(text) - 4 * BYTES_PER_TOKEN


def test_no_control_tokens_and_no_bos() -> None:
    tokenizer = ApproximateTokenizer()
    assert tokenizer.special_token("<|fim_prefix|>") is None
    assert tokenizer.bos is None
