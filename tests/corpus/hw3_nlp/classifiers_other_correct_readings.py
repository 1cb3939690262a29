"""Other correct readings of 3.2: the bag as a masked mean with where(), and an LSTM classifier
that sorts the batch itself and restores the order with the inverse permutation.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.2 — BagOfEmbeddings
class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, num_classes: int, pad_id: int = 0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, tokens, lengths):
        real = (torch.arange(tokens.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)
        emb = torch.where(real, self.embedding(tokens), torch.zeros(()))
        return self.fc(emb.sum(1) / real.sum(1))


# EXERCISE 3.2 — RNNClassifier
class RNNClassifier(nn.Module):
    def __init__(
        self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int, pad_id: int = 0
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens, lengths):
        sorted_lengths, order = lengths.sort(descending=True)
        packed = pack_padded_sequence(
            self.embedding(tokens[order]), sorted_lengths, batch_first=True
        )
        _, (hidden, _) = self.rnn(packed)
        return self.fc(hidden[-1][order.argsort()])
