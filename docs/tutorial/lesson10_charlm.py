"""Lesson 10: training with sequences.

A character-level language model reads text one character at a time and predicts the next
one. Trained on a text, it can then write new text in the same style by sampling its own
predictions. The text here ships with every Python: the Zen of Python, stored rot13-encoded
in the standard library's ``this`` module.

Run it with ``python lesson10_charlm.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` trains briefly).
"""

import codecs
import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
pg.seed(0)

with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the poem
    import this
text = codecs.decode(this.s, "rot13")

# Map every character to an integer id, 0..vocab-1, and back.
chars = sorted(set(text))
char2id = {c: i for i, c in enumerate(chars)}
ids = np.array([char2id[c] for c in text], dtype=np.int64)
print(f"{len(text)} characters, {len(chars)} distinct")

# Cut the text into 16 parallel streams: data[t] holds the t-th character of every stream,
# so data[t] is the input and data[t + 1] the target of step t.
BATCH, WINDOW = 16, 25
data = pg.seqbatch(ids, BATCH)  # (steps, batch)
print("data", data.shape)


@pg.serializable  # lets pg.save/pg.load store and rebuild this class, without pickle
class CharLM:
    """Embedding -> LSTM -> Dense: scores for the next character at every step."""

    def __init__(self, vocab, embed=32, hidden=128):
        self.embed = pg.Embedding(vocab, embed)
        self.lstm = pg.LSTM(embed, hidden, h=0, c=0)  # h=0, c=0: keep the state
        self.out = pg.Dense(hidden, vocab)

    def __call__(self, chars):
        """``chars`` (T, B) integer ids -> (T * B, vocab) scores."""
        h = self.lstm(self.embed(chars))  # (T, B, hidden)
        return self.out(pg.reshape(h, (-1, h.shape[-1])))

    def reset(self):
        """Forget the state: the next call starts a new text."""
        self.lstm.h, self.lstm.c = 0, 0


def loss(model, x, y):
    return pg.nll(model(x), y.reshape(-1))


def epoch(model, data, optimizer):
    """One pass: windows of WINDOW steps, the state carried from each window to the next.

    Gradients flow back only within a window (truncated backpropagation through time): at
    the next call the LSTM turns the state left by the finished diff into a plain array.
    """
    model.reset()
    losses = []
    for t in range(0, len(data) - 1, WINDOW):
        x, y = data[t : t + WINDOW], data[t + 1 : t + WINDOW + 1]
        x = x[: len(y)]
        losses += pg.minimize(lambda x, y: loss(model, x, y), [(x, y)], optimizer)
    return float(np.mean(losses))


def generate(model, start, n, temperature=0.5):
    """Feed ``start``, then sample ``n`` characters, each fed back as the next input."""
    model.reset()
    rng = np.random.default_rng(0)
    out = list(start)
    scores = model(np.array([[char2id[c]] for c in start]))[-1]
    for _ in range(n):
        p = pg.to_host(pg.softmax(scores / temperature))
        c = rng.choice(len(chars), p=p / p.sum())
        out.append(chars[c])
        scores = model(np.array([[c]]))[-1]
    return "".join(out)


model = CharLM(len(chars))
optimizer = pg.Adam(lr=0.01, gclip=5.0)  # clip each gradient's norm at 5: RNNs can explode
epochs = 20 if QUICK else 150
losses = []
for _ in pg.progress(range(epochs), msg=lambda p: f"loss {losses[-1]:.3f}" if losses else ""):
    losses.append(epoch(model, data, optimizer))
first, last = losses[0], losses[-1]
print(f"loss per character: {first:.3f} after one epoch, {last:.3f} after {epochs}")

sample = generate(model, "Beautiful", 200)
print("--- sample ---")
print(sample)
print("--------------")

# Save the trained model with the vocabulary, load it back, and check it writes the same.
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "charlm.safetensors"
    pg.save(path, model=model, chars=chars)
    model2, chars2 = pg.load(path, "model", "chars")
assert chars2 == chars and generate(model2, "Beautiful", 200) == sample

assert last < (0.75 * first if QUICK else 0.5)
assert set(sample) <= set(chars)
print("lesson 10 ok")
