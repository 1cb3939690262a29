"""3.3 Attention and the seq2seq translator: dot_attention against the reference and its
classic mistakes, Seq2Seq with the reference's weights, teacher forcing, and a translator
trained by the grader's own loop on the Russian → English corpus.
"""

import pytest
import torch

from torchgrade import expect
from torchgrade.probes import hw3_nlp as probes

pytestmark = pytest.mark.section("3.3")

PROBES = "torchgrade.probes.hw3_nlp"

# The training test's procedure; bench/thresholds_hw3_nlp.py runs the reference through it.
DATA = {"n_train": 800, "n_test": 200}
TRAIN = {"epochs": 10, "lr": 0.01, "batch_size": 32}
SIZES = {"embed_dim": 16, "hidden_size": 32}
# BLEU, not exact match: a run that has not yet learnt one word (the object after an
# adjective, say) gets 20% exact match but still ~0.8 BLEU; an untrained model gets ~0.
MIN_BLEU = 0.5


def _parameter_shapes(Vs: int, Vt: int, E: int, H: int) -> dict[str, tuple]:
    shapes = {"src_embedding.weight": (Vs, E), "tgt_embedding.weight": (Vt, E)}
    for name, suffix in (("encoder", "_l0"), ("decoder", "")):
        shapes.update(
            {
                f"{name}.weight_ih{suffix}": (3 * H, E),
                f"{name}.weight_hh{suffix}": (3 * H, H),
                f"{name}.bias_ih{suffix}": (3 * H,),
                f"{name}.bias_hh{suffix}": (3 * H,),
            }
        )
    shapes.update({"out.weight": (Vt, 2 * H), "out.bias": (Vt,)})
    return shapes


def _attention_inputs(g: torch.Generator, B: int, S: int, H: int):
    query, keys = torch.randn(B, H, generator=g), torch.randn(B, S, H, generator=g)
    lengths = torch.randint(1, S + 1, (B,), generator=g)
    lengths[0] = S
    return query, keys, torch.arange(S) < lengths[:, None]


def _attention(student, query, keys, mask, what: str):
    got = student.hw3_nlp.dot_attention(query, keys, mask)
    assert isinstance(got, tuple) and len(got) == 2, f"{what} should return (context, weights)"
    B, S, H = keys.shape
    context = expect.tensor(got[0], what=f"{what}: context", shape=(B, H))
    weights = expect.tensor(got[1], what=f"{what}: weights", shape=(B, S))
    return context, weights


@pytest.mark.points(0.25)
@pytest.mark.public
def test_dot_attention_known_values(student):
    query = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    keys = torch.tensor(
        [[[2.0, 0.0], [0.0, 1.0], [9.0, 9.0]], [[0.0, 1.0], [1.0, 0.0], [5.0, 5.0]]]
    )
    mask = torch.tensor([[True, True, False], [True, True, True]])
    what = "dot_attention(query, keys, mask) on a small example"
    context, weights = _attention(student, query, keys, mask, what)
    e = torch.exp(torch.tensor(2.0))
    w0 = torch.tensor([e / (e + 1), 1 / (e + 1), 0.0])
    s1 = torch.tensor([2.0, 0.0, 10.0])
    w1 = torch.softmax(s1, 0)
    expect.close(weights, torch.stack([w0, w1]), what=f"{what}: weights", atol=1e-5)
    expect.close(
        context, torch.stack([w0 @ keys[0], w1 @ keys[1]]), what=f"{what}: context", atol=1e-5
    )


@pytest.mark.points(0.5)
def test_dot_attention_matches_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    for B, S, H in ((4, 7, 5), (1, 3, 8), (6, 1, 2)):
        query, keys, mask = _attention_inputs(g, B, S, H)
        what = f"dot_attention(query, keys, mask) for query ({B}, {H}), keys ({B}, {S}, {H})"
        context, weights = _attention(student, query, keys, mask, what)
        want_context, want_weights = ref.hw3_nlp.dot_attention(query, keys, mask)
        expect.close(weights, want_weights, what=f"{what}: weights", atol=1e-5, rtol=1e-4)
        expect.close(context, want_context, what=f"{what}: context", atol=1e-5, rtol=1e-4)


@pytest.mark.points(0.25)
def test_dot_attention_masked_positions_get_zero_weight(student, seed):
    g = torch.Generator().manual_seed(seed)
    query, keys, mask = _attention_inputs(g, 5, 6, 4)
    mask[1:, -2:] = False  # every row but the first has padding
    keys[~mask] = 50.0  # large padding keys: unmasked, they would take all the attention
    what = "dot_attention(query, keys, mask) with padding (mask False)"
    context, weights = _attention(student, query, keys, mask, what)
    assert torch.all(weights[~mask] == 0), (
        f"{what}: the padding positions should get weight exactly 0 (set their scores to -inf "
        "before the softmax)"
    )
    assert torch.all(context.abs() < 50), f"{what}: the context should not contain padding keys"


@pytest.mark.points(0.25)
def test_dot_attention_softmax_over_source_positions(student, seed):
    g = torch.Generator().manual_seed(seed)
    query, keys, mask = _attention_inputs(g, 5, 5, 3)  # B == S: a wrong axis keeps the shape
    what = "dot_attention(query, keys, mask) for 5 sentences of 5 source positions"
    _, weights = _attention(student, query, keys, mask, what)
    expect.close(
        weights.sum(dim=1),
        torch.ones(5),
        atol=1e-5,
        what=f"{what}: the sum of each row of weights (the softmax runs over the source "
        "positions, dim 1)",
    )


def _student_seq2seq(student, Vs, Vt, weights):
    model = student.hw3_nlp.Seq2Seq(Vs, Vt, SIZES["embed_dim"], SIZES["hidden_size"])
    shapes = {k: tuple(v.shape) for k, v in student.probes.named_parameters(model).items()}
    want = _parameter_shapes(Vs, Vt, SIZES["embed_dim"], SIZES["hidden_size"])
    assert shapes == want, (
        f"Seq2Seq({Vs}, {Vt}, 16, 32) should have exactly the parameters {want} (the layers "
        f"of its docstring), got {shapes}"
    )
    if weights is not None:
        student.probes.set_parameters(model, weights)
    return model


@pytest.mark.points(0.25)
@pytest.mark.public
def test_seq2seq_parameters_and_shapes(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = _student_seq2seq(student, 20, 15, None)
    src, lengths = torch.randint(4, 20, (3, 6), generator=g), torch.tensor([6, 2, 4])
    tgt_in = torch.randint(4, 15, (3, 5), generator=g)
    what = "Seq2Seq(20, 15, 16, 32)"
    outputs, mask, hidden = model.encode(src, lengths)
    expect.tensor(outputs, what=f"{what}.encode: outputs", shape=(3, 6, 32))
    expect.tensor(mask, what=f"{what}.encode: mask", shape=(3, 6), dtype=torch.bool)
    expect.tensor(hidden, what=f"{what}.encode: hidden", shape=(3, 32))
    logits, new_hidden, weights = model.decode_step(tgt_in[:, 0], hidden, outputs, mask)
    expect.tensor(logits, what=f"{what}.decode_step: logits", shape=(3, 15))
    expect.tensor(new_hidden, what=f"{what}.decode_step: hidden", shape=(3, 32))
    expect.tensor(weights, what=f"{what}.decode_step: weights", shape=(3, 6))
    expect.tensor(
        model(src, lengths, tgt_in), what=f"{what}(src, lengths, tgt_in)", shape=(3, 5, 15)
    )


def _reference_pair(student, ref, g):
    Vs, Vt = 25, 18
    reference = ref.hw3_nlp.Seq2Seq(Vs, Vt, SIZES["embed_dim"], SIZES["hidden_size"])
    weights = {
        name: torch.randn(p.shape, generator=g) * 0.5 for name, p in reference.named_parameters()
    }
    with torch.no_grad():
        for name, p in reference.named_parameters():
            p.copy_(weights[name])
    model = _student_seq2seq(student, Vs, Vt, weights)
    src = torch.randint(4, Vs, (5, 7), generator=g)
    lengths = torch.tensor([3, 7, 1, 5, 6])
    src[torch.arange(7) >= lengths[:, None]] = 0
    tgt_in = torch.randint(4, Vt, (5, 6), generator=g)
    tgt_in[:, 0] = 2
    return model, reference, src, lengths, tgt_in


@pytest.mark.points(0.5)
def test_seq2seq_matches_reference_with_the_same_weights(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    model, reference, src, lengths, tgt_in = _reference_pair(student, ref, g)
    what = "Seq2Seq with given weights"
    with torch.no_grad():
        want = reference.encode(src, lengths)
        got = model.encode(src, lengths)
        for name, a, b in zip(("outputs", "mask", "hidden"), got, want, strict=True):
            expect.close(
                a,
                b,
                what=f"{what}: encode(src, lengths)'s {name} (outputs are zeros "
                "at padding; hidden is the state after each sentence's last token)",
                atol=1e-5,
                rtol=1e-4,
                dtype=b.dtype,
            )
        step = reference.decode_step(tgt_in[:, 0], want[2], want[0], want[1])
        got = model.decode_step(tgt_in[:, 0], want[2], want[0], want[1])
        for name, a, b in zip(("logits", "hidden", "weights"), got, step, strict=True):
            expect.close(a, b, what=f"{what}: decode_step's {name}", atol=1e-5, rtol=1e-4)
        for forcing in (True, False):
            expect.close(
                model(src, lengths, tgt_in, teacher_forcing=forcing),
                reference(src, lengths, tgt_in, teacher_forcing=forcing),
                what=f"{what}: forward(src, lengths, tgt_in, teacher_forcing={forcing})",
                atol=1e-4,
                rtol=1e-3,
            )


@pytest.mark.points(0.25)
def test_teacher_forcing_feeds_the_targets(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    model, _, src, lengths, tgt_in = _reference_pair(student, ref, g)
    want = student.import_module(PROBES).stepwise(model, src, lengths, tgt_in, True)
    expect.close(
        model(src, lengths, tgt_in, teacher_forcing=True),
        want,
        atol=1e-4,
        rtol=1e-3,
        what="Seq2Seq.forward(..., teacher_forcing=True), compared with your own decode_step "
        "fed tgt_in[:, t] at every step t",
    )


@pytest.mark.points(0.25)
def test_no_teacher_forcing_feeds_its_own_predictions(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    model, _, src, lengths, tgt_in = _reference_pair(student, ref, g)
    want = student.import_module(PROBES).stepwise(model, src, lengths, tgt_in, False)
    expect.close(
        model(src, lengths, tgt_in, teacher_forcing=False),
        want,
        atol=1e-4,
        rtol=1e-3,
        what="Seq2Seq.forward(..., teacher_forcing=False), compared with your own decode_step "
        "fed tgt_in[:, 0] first and then the argmax of the previous step",
    )


@pytest.mark.points(0.5)
@pytest.mark.timeout(120)
def test_seq2seq_learns_to_translate(student, seed, worker_seed):
    """The pairs come from the data seed, here: the worker gets the training pairs and the
    held-out sources, never their references or the seed; the grader's loop shuffles with the
    worker seed, and the greedy translations it returns are scored here."""
    data = probes.translation_data(seed, **DATA)
    Vs, Vt = data["src_vocab_size"], data["tgt_vocab_size"]
    model = student.hw3_nlp.Seq2Seq(Vs, Vt, SIZES["embed_dim"], SIZES["hidden_size"])
    remote = student.import_module(PROBES)
    losses = remote.train_translator(model, *data["train"], seed=worker_seed, **TRAIN)
    expect.losses(losses, TRAIN["epochs"], "the grader's training loop")
    steps = expect.tensor(
        remote.greedy_steps(model, *data["test"], probes.MAX_TRANSLATION),
        what="greedy decoding of the held-out sources through Seq2Seq.encode and decode_step "
        "after training (the argmax of every step)",
        shape=(DATA["n_test"], probes.MAX_TRANSLATION),
        dtype=torch.long,
    )
    assert bool(((steps >= 0) & (steps < Vt)).all()), (
        f"Seq2Seq.decode_step's logits should have one column per target word (V_tgt = {Vt}): "
        f"greedy decoding picked ids outside 0..{Vt - 1}"
    )
    result = probes.translation_scores(steps, data)
    bleu, em = result["bleu"], result["exact_match"]
    examples = "; ".join(f"{h!r} for {r!r}" for h, r in result["examples"])
    assert bleu >= MIN_BLEU, (
        f"Seq2Seq(V_src, V_tgt, 16, 32) trained by the grader's loop (teacher forcing, Adam, "
        f"{TRAIN['epochs']} epochs on {DATA['n_train']} pairs) reaches a BLEU of {bleu:.3f} "
        f"({em:.1%} exact match) on {DATA['n_test']} held-out sentences; a BLEU of at least "
        f"{MIN_BLEU} expected. Greedy translations: {examples}"
    )
