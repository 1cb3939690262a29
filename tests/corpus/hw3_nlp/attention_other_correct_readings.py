"""Other correct readings of 3.3: attention with einsum and a large negative score instead of
-inf, and a forward pass that does the decoder step inline rather than through decode_step.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.3 — dot_attention
def dot_attention(query, keys, mask):
    scores = torch.einsum("bsh,bh->bs", keys, query)
    scores = torch.where(mask, scores, torch.full_like(scores, -1e30))
    weights = F.softmax(scores, dim=-1)
    return torch.einsum("bs,bsh->bh", weights, keys), weights


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
        steps, prev = [], tgt_in[:, 0]
        for t in range(tgt_in.shape[1]):
            hidden = self.decoder(self.tgt_embedding(prev), hidden)
            context, _ = dot_attention(hidden, enc_outputs, mask)
            steps.append(self.out(torch.cat([hidden, context], dim=-1)))
            if t + 1 < tgt_in.shape[1]:
                prev = tgt_in[:, t + 1] if teacher_forcing else steps[-1].argmax(-1)
        return torch.stack(steps, 1)
