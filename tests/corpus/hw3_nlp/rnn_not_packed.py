"""RNNClassifier runs the GRU over the padded batch and classifies from the last position:
for every review shorter than the batch, the state has read the padding after its last word.

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
        outputs, _ = self.rnn(self.embedding(tokens))
        return self.fc(outputs[:, -1])
