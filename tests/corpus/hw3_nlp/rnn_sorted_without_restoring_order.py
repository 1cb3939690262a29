"""RNNClassifier sorts the batch by length for enforce_sorted=True packing and returns the
logits in sorted order: review i gets the prediction of another review.

loses: 3.2
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.2 — RNNClassifier
class RNNClassifier(nn.Module):
    def __init__(
        self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int, pad_id: int = 0
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.rnn = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens, lengths):
        lengths, order = lengths.sort(descending=True)
        packed = pack_padded_sequence(self.embedding(tokens[order]), lengths, batch_first=True)
        _, hidden = self.rnn(packed)
        return self.fc(hidden[-1])
