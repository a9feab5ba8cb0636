"""A self-made BPE vocabulary in the exact file format of OpenAI CLIP's tokenizer.

Layout of vocab.json (the same as CLIP's `simple_tokenizer.py` builds it):
  ids 0..255      the 256 bytes_to_unicode() characters, in that function's order ("!" = 0);
  ids 256..511    the same characters followed by "</w>";
  ids 512..       one id per merge, in merges.txt order, each merge's two parts joined;
  last two ids    "<|startoftext|>" (bos) and "<|endoftext|>" (eos, also pad and unk).
merges.txt has the header line "#version: 0.2" and then one "left right" pair per line.

The merges are learned by plain BPE on the grammar's words (each word ends in "</w>") until every
grammar word is one token, so `transformers.CLIPTokenizer` and the project's Java port both read it.
This module also has a small reference encoder (CLIP's rank-ordered BPE) used to check the files.
"""
import json
import os
import re

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
MAX_LENGTH = 77


def bytes_to_unicode():
    """CLIP/GPT-2's reversible byte -> printable unicode character map (ordered as in CLIP)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def learn_merges(words):
    """Greedy BPE: repeatedly merge the most frequent adjacent pair (ties broken by the pair's text)
    until every word is a single symbol. `words` maps word -> frequency."""
    seqs = {w: tuple(w[:-1]) + (w[-1] + "</w>",) for w in words}
    merges = []
    while True:
        counts = {}
        for w, seq in seqs.items():
            for a, b in zip(seq, seq[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + words[w]
        if not counts:
            return merges
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        for w, seq in seqs.items():
            out, i = [], 0
            while i < len(seq):
                if i + 1 < len(seq) and (seq[i], seq[i + 1]) == best:
                    out.append(seq[i] + seq[i + 1])
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            seqs[w] = tuple(out)


def build_vocab(merges):
    base = list(bytes_to_unicode().values())
    tokens = base + [t + "</w>" for t in base] + ["".join(m) for m in merges] + [BOS, EOS]
    vocab = {}
    for i, t in enumerate(tokens):
        if t in vocab:
            raise ValueError(f"duplicate token {t!r} (ids {vocab[t]} and {i})")
        vocab[t] = i
    return vocab


def write_tokenizer(folder, words):
    """Learns merges for `words` (word -> frequency) and writes the four CLIP tokenizer files."""
    os.makedirs(folder, exist_ok=True)
    merges = learn_merges(words)
    vocab = build_vocab(merges)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS, "unk_token": EOS}
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=1)
    config = dict(special, add_prefix_space=False, do_lower_case=True, errors="replace",
                  model_max_length=MAX_LENGTH, tokenizer_class="CLIPTokenizer")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=1)
    return ClipBpe(vocab, merges)


# Approximates CLIP's pre-tokenizer regex ([\p{L}]+ -> [^\W\d_]+) with the standard library.
_PAT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+",
                  re.IGNORECASE)


class ClipBpe:
    """Reference encoder with CLIP's algorithm: lower-case, whitespace-normalise, split, byte-map,
    then merge the lowest-ranked adjacent pair until none is in the merge table."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.byte_map = bytes_to_unicode()
        self.bos, self.eos = vocab[BOS], vocab[EOS]
        self.cache = {}

    @classmethod
    def load(cls, folder):
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().strip().split("\n")[1:]
        return cls(vocab, [tuple(l.split()) for l in lines if l])

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = tuple(out)
        self.cache[token] = word
        return word

    def tokens(self, text):
        text = re.sub(r"\s+", " ", text).strip().lower()
        out = []
        for piece in _PAT.findall(text):
            if piece in (BOS, EOS):
                out.append(piece)
                continue
            mapped = "".join(self.byte_map[b] for b in piece.encode("utf-8"))
            out.extend(self.bpe(mapped))
        return out

    def encode(self, text, max_length=MAX_LENGTH):
        """Ids padded to max_length with eos, truncated keeping bos + (max_length - 2) tokens + eos."""
        ids = [self.vocab[t] for t in self.tokens(text)][: max_length - 2]
        ids = [self.bos] + ids + [self.eos]
        return ids + [self.eos] * (max_length - len(ids))
