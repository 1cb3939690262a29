"""Seq2Seq.forward feeds the decoder its own previous argmax even when teacher forcing is asked
(the reverse of teacher forcing): training learns from wrong prefixes.

loses: 3.3
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.3 — Seq2Seq
class Seq2Seq(nn.Module):
    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        self.src_embedding = nn.Embedding(src_vocab_size, embed_dim, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, embed_dim, padding_idx=pad_id)
        self.encoder = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.decoder = nn.GRUCell(embed_dim, hidden_size)
        self.out = nn.Linear(2 * hidden_size, tgt_vocab_size)

    def encode(self, src, src_lengths):
        packed = pack_padded_sequence(
            self.src_embedding(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        outputs, hidden = self.encoder(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        mask = torch.arange(src.shape[1]) < src_lengths[:, None]
        return outputs, mask, hidden[-1]

    def decode_step(self, prev_tokens, hidden, enc_outputs, mask):
        hidden = self.decoder(self.tgt_embedding(prev_tokens), hidden)
        context, weights = dot_attention(hidden, enc_outputs, mask)
        return self.out(torch.cat([hidden, context], dim=1)), hidden, weights

    def forward(self, src, src_lengths, tgt_in, teacher_forcing: bool = True):
        enc_outputs, mask, hidden = self.encode(src, src_lengths)
        inputs, steps = tgt_in[:, 0], []
        for _ in range(tgt_in.shape[1]):
            logits, hidden, _ = self.decode_step(inputs, hidden, enc_outputs, mask)
            steps.append(logits)
            inputs = logits.argmax(dim=1)
        return torch.stack(steps, dim=1)
