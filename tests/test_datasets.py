"""The generated data sets: deterministic per seed, and what the trusted probes assume of them."""

import pytest

from solutions.hw3_nlp import tokenize
from torchgrade.datasets import russian
from torchgrade.probes import hw3_nlp as probes


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
def test_the_probes_tokenize_the_corpora_as_the_homework_does(seed):
    texts = [t for t, _ in russian.reviews(300, seed)]
    texts += [side for pair in russian.translation_pairs(300, seed) for side in pair]
    assert [probes.tokenize(t) for t in texts] == [tokenize(t) for t in texts]


def test_corpora_are_deterministic_per_seed():
    assert russian.reviews(50, 3) == russian.reviews(50, 3) != russian.reviews(50, 4)
    assert russian.ner_sentences(20, 5) == russian.ner_sentences(20, 5)
