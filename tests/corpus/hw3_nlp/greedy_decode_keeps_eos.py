"""greedy_decode keeps the <eos> token at the end of each finished translation.

loses: 3.4
"""
# ruff: noqa: F821 (torch, math, Counter, ... come from the IMPORTS cell)


# EXERCISE 3.4 — greedy_decode
def greedy_decode(model, src, src_lengths, bos_id, eos_id, max_len):
    with torch.no_grad():
        enc_outputs, mask, hidden = model.encode(src, src_lengths)
        inputs = torch.full((src.shape[0],), bos_id, dtype=torch.long)
        outputs = [[] for _ in range(src.shape[0])]
        done = [False] * src.shape[0]
        for _ in range(max_len):
            logits, hidden, _ = model.decode_step(inputs, hidden, enc_outputs, mask)
            inputs = logits.argmax(dim=1)
            for i, token in enumerate(inputs.tolist()):
                if not done[i]:
                    outputs[i].append(token)
                    done[i] = token == eos_id
            if all(done):
                break
    return outputs
