"""BagOfEmbeddings averages over all T positions of the padded batch: the padding's embeddings
(or zeros, with padding_idx) dilute every shorter review's mean.

loses: 3.2
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.2 — BagOfEmbeddings
class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, num_classes: int, pad_id: int = 0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, tokens, lengths):
        return self.fc(self.embedding(tokens).mean(dim=1))
