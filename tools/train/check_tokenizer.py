"""Checks a tokenizer folder: every grammar word is one token, the id layout is CLIP's, and (when
transformers is installed) transformers.CLIPTokenizer gives the same ids as bpe.ClipBpe.

    python3 tools/train/check_tokenizer.py models/shapes-sd-tiny/tokenizer
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

WORDS = ["a", "and", "at", "background", "black", "blue", "bottom", "center", "circle", "green", "in", "left",
         "on", "orange", "purple", "red", "right", "square", "the", "top", "triangle", "white", "yellow"]
PROMPTS = [
    "a red circle on the left on a blue background",
    "a red circle on the left and a green square at the top on a blue background",
    "", "A  Yellow\tTRIANGLE in the center", "a purple square, 3 cats & dogs!", "an orange car at the bottom",
    "<|startoftext|>a black circle<|endoftext|>", "über café naïve", "backgrounds circles",
]


def main(folder):
    tok = bpe.ClipBpe.load(folder)
    v = tok.vocab
    base = list(bpe.bytes_to_unicode().values())
    assert [v[c] for c in base] == list(range(256)), "ids 0..255 must be bytes_to_unicode chars"
    assert [v[c + "</w>"] for c in base] == list(range(256, 512)), "ids 256..511 must be chars + </w>"
    merges = [tuple(l.split()) for l in open(os.path.join(folder, "merges.txt"), encoding="utf-8").read().split("\n")[1:] if l]
    assert [v["".join(m)] for m in merges] == list(range(512, 512 + len(merges))), "merge ids out of order"
    assert v[bpe.BOS] == len(v) - 2 and v[bpe.EOS] == len(v) - 1, "bos/eos must be the last two ids"
    for w in WORDS:
        assert tok.tokens(w) == [w + "</w>"], (w, tok.tokens(w))
    report = {"vocab_size": len(v), "merges": len(merges), "bos": tok.bos, "eos_pad": tok.eos}
    try:
        from transformers import CLIPTokenizer
    except ImportError:
        report["transformers"] = "not installed"
        print(json.dumps(report))
        return
    hf = CLIPTokenizer.from_pretrained(folder)
    mismatches = []
    for p in PROMPTS:
        ours = tok.encode(p)
        theirs = hf(p, padding="max_length", max_length=77, truncation=True)["input_ids"]
        if ours != theirs:
            mismatches.append({"prompt": p, "ours": ours[:20], "transformers": theirs[:20]})
    report.update(transformers=__import__("transformers").__version__, prompts=len(PROMPTS), mismatches=mismatches)
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
