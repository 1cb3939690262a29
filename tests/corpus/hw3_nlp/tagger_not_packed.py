"""BiLSTMTagger runs the LSTM over the padded batch: the backward direction starts in the
padding, so the tags of shorter sentences depend on what pads them.

loses: 3.5
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.5 — BiLSTMTagger
class BiLSTMTagger(nn.Module):
    def __init__(
        self, vocab_size: int, num_tags: int, embed_dim: int, hidden_size: int, pad_id: int = 0
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, tokens, lengths):
        outputs, _ = self.lstm(self.embedding(tokens))
        return self.fc(outputs)
