"""3.1 Tokenizer, vocabulary, padding: known examples and the reference on random texts."""

import random

import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("3.1")

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]
# Letters of both cases and alphabets, digits, hyphens, punctuation, runs of spaces.
ALPHABET = (
    list("абвгдеёжзиклмнопрстуфхцчшщъыьэюяАБВЕЁКМНОЯabcXYZ019")
    + list("-,.!?…—«»:;()'")
    + [
        " ",
        " ",
        " ",
        "  ",
        "\t",
        "\n",
        "--",
        " - ",
        "_",
    ]
)


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def _str_list(value, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise AssertionError(f"{what} should return a list of str, got {expect.kind(value)}")
    return value


def _int_list(value, what: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(t, int) and not isinstance(t, bool) for t in value
    ):
        raise AssertionError(
            f"{what} should return a list of Python ints, got {expect.kind(value)}"
        )
    return value


@pytest.mark.points(0.5)
@pytest.mark.public
def test_tokenize_examples(student):
    for text, want in (
        (
            "Честно говоря, фильм — не плохой!",
            ["честно", "говоря", ",", "фильм", "—", "не", "плохой", "!"],
        ),
        (
            "По-моему, это ШОУ... скучное…",
            ["по-моему", ",", "это", "шоу", ".", ".", ".", "скучное", "…"],
        ),
        (
            "Поезд в Ростов-на-Дону ушёл в 7:30.",
            ["поезд", "в", "ростов-на-дону", "ушёл", "в", "7", ":", "30", "."],
        ),
        ("   ", []),
        ("", []),
    ):
        got = _str_list(student.hw3_nlp.tokenize(text), f"tokenize({text!r})")
        assert got == want, f"tokenize({text!r}) should be {want}, got {got}"


@pytest.mark.points(0.5)
def test_tokenize_matches_reference_on_random_text(student, ref, seed):
    for text in _texts(seed, 40):
        got = _str_list(student.hw3_nlp.tokenize(text), "tokenize(text)")
        want = ref.hw3_nlp.tokenize(text)
        assert got == want, (
            f"tokenize({text!r}) should be {want}, got {got} (words: \\w+ joined by single "
            "hyphens; every other non-space character is a token of its own; lower case)"
        )


def _corpus(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"слово{i}" for i in range(12)] + ["кот", "Кот", "и", ","]
    return [[rng.choice(words) for _ in range(rng.randint(1, 8))] for _ in range(30)]


@pytest.mark.points(0.25)
@pytest.mark.public
def test_vocab_specials_and_order(student):
    sentences = [["b", "a", "c"], ["a", "c", "d"], ["a", "z"]]
    vocab = student.hw3_nlp.Vocab(sentences)
    itos = _str_list(vocab.itos, "Vocab(...).itos")
    want = [*SPECIALS, "a", "c", "b", "d", "z"]
    assert itos == want, (
        f"Vocab({sentences}).itos should be {want} (specials, then by decreasing count, ties "
        f"alphabetically), got {itos}"
    )
    assert expect.number(len(vocab), what="len(vocab)") == len(want), (
        f"len(Vocab({sentences})) should be {len(want)}"
    )
    for name, value in (("pad_id", 0), ("unk_id", 1), ("bos_id", 2), ("eos_id", 3)):
        got = expect.number(getattr(vocab, name), what=f"Vocab.{name}")
        assert got == value, f"Vocab.{name} should be {value}, got {got:g}"


@pytest.mark.points(0.5)
def test_unk_for_rare_and_unseen_words_on_the_test_set(student, seed):
    rng = random.Random(seed)
    min_freq = rng.choice([2, 3])
    train = [["частый"] * min_freq + ["редкий"] * (min_freq - 1) + ["и"] * (min_freq + 1)]
    vocab = student.hw3_nlp.Vocab(train, min_freq=min_freq)
    what = f"Vocab(train, min_freq={min_freq})"
    size = expect.number(len(vocab), what=f"len({what})")
    itos = _str_list(vocab.itos, f"{what}.itos")
    assert "редкий" not in itos, (
        f"{what}: a word seen {min_freq - 1} time(s) in training should not get its own id"
    )
    stoi = vocab.stoi
    assert isinstance(stoi, dict) and set(stoi) == set(itos), (
        f"{what}.stoi should map exactly the tokens of itos to their ids (a rare word must "
        "not keep an id of its own in stoi either)"
    )
    test = ["частый", "редкий", "новый", "и"]
    got = _int_list(vocab.encode(test), f"{what}.encode({test})")
    want = [itos.index("частый"), 1, 1, itos.index("и")]
    assert got == want, (
        f"{what}.encode({test}) should be {want}: the rare training word and the unseen test "
        f"word both map to <unk> = 1, got {got}"
    )
    assert expect.number(len(vocab), what=f"len({what})") == size, (
        f"{what}: encoding unknown words must not add them to the vocabulary"
    )


@pytest.mark.points(0.25)
def test_vocab_matches_reference(student, ref, seed):
    sentences = _corpus(seed)
    for min_freq in (1, 3):
        vocab = student.hw3_nlp.Vocab(sentences, min_freq=min_freq)
        want = ref.hw3_nlp.Vocab(sentences, min_freq=min_freq)
        what = f"Vocab(sentences, min_freq={min_freq})"
        assert _str_list(vocab.itos, f"{what}.itos") == want.itos, f"{what}.itos is wrong"
        probe = sentences[0] + ["невиданное"]
        for bos_eos in (False, True):
            got = _int_list(vocab.encode(probe, add_bos_eos=bos_eos), f"{what}.encode")
            expected = want.encode(probe, add_bos_eos=bos_eos)
            assert got == expected, (
                f"{what}.encode(tokens, add_bos_eos={bos_eos}) should be {expected}, got {got}"
            )
        ids = want.encode(probe, add_bos_eos=True)
        got = _str_list(vocab.decode(ids), f"{what}.decode")
        assert got == want.decode(ids), f"{what}.decode({ids}) should be {want.decode(ids)}"
        got = _str_list(vocab.decode(torch.tensor(ids)), f"{what}.decode(a long tensor)")
        assert got == want.decode(ids), f"{what}.decode should accept a tensor of ids too"


def _seqs(g: torch.Generator, n: int) -> list[list[int]]:
    lengths = torch.randint(1, 9, (n,), generator=g).tolist()
    return [torch.randint(4, 50, (k,), generator=g).tolist() for k in lengths]


@pytest.mark.points(0.5)
def test_pad_sequences_keeps_order(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    for pad_id in (0, 7):
        seqs = _seqs(g, 6)
        what = f"pad_sequences(seqs, pad_id={pad_id}) for lengths {[len(s) for s in seqs]}"
        got = student.hw3_nlp.pad_sequences(seqs, pad_id=pad_id)
        assert isinstance(got, tuple) and len(got) == 2, f"{what} should return (padded, lengths)"
        want = ref.hw3_nlp.pad_sequences(seqs, pad_id=pad_id)
        padded = expect.tensor(
            got[0], what=f"{what}: padded", shape=tuple(want[0].shape), dtype=torch.long
        )
        lengths = expect.tensor(got[1], what=f"{what}: lengths", shape=(6,), dtype=torch.long)
        assert torch.equal(lengths, want[1]), f"{what}: lengths[i] should be len(seqs[i])"
        assert torch.equal(padded, want[0]), (
            f"{what}: row i should be seqs[i] followed by pad_id, in the original order"
        )


@pytest.mark.points(0.5)
def test_collate_reviews_keeps_order(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    seqs = _seqs(g, 7)
    batch = [(s, int(torch.randint(0, 2, (1,), generator=g))) for s in seqs]
    what = f"collate_reviews(batch) for a batch of 7 with lengths {[len(s) for s in seqs]}"
    got = student.hw3_nlp.collate_reviews(batch)
    assert isinstance(got, tuple) and len(got) == 3, (
        f"{what} should return (tokens, lengths, labels)"
    )
    want = ref.hw3_nlp.collate_reviews(batch)
    for name, value, expected in zip(("tokens", "lengths", "labels"), got, want, strict=True):
        value = expect.tensor(
            value, what=f"{what}: {name}", shape=tuple(expected.shape), dtype=torch.long
        )
        assert torch.equal(value, expected), (
            f"{what}: {name} is wrong (row i belongs to batch[i]: keep the batch's order)"
        )
