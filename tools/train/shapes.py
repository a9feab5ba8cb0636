"""The synthetic "shapes" world: palette, caption grammar, held-out split and a torch renderer.

Every image is 128x128 RGB: a plain background of one named colour with one or two shapes
(circle, square, triangle) of other named colours at named positions. Captions come from a tiny
grammar, e.g. "a red circle on the left on a blue background" or
"a red circle on the left and a green square at the top on a blue background".

The renderer works on whole batches with torch (CPU or GPU), so training data is generated on the
fly and never stored. Everything random takes an explicit torch.Generator, so runs are seeded.
"""
import itertools
import random

import torch

IMAGE_SIZE = 128

# Named colours (RGB 0..255). Chosen far apart so that a nearest-colour classifier is unambiguous.
PALETTE = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (30, 60, 220),
    "yellow": (240, 220, 40),
    "purple": (140, 40, 170),
    "orange": (245, 140, 20),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
COLORS = list(PALETTE)
SHAPES = ["circle", "square", "triangle"]
POSITIONS = ["left", "right", "top", "bottom", "center"]
# Centre of each named position, in pixels (x, y) of a 128x128 image.
ANCHORS = {"left": (32, 64), "right": (96, 64), "top": (64, 32), "bottom": (64, 96), "center": (64, 64)}
PREPOSITION = {"left": "on", "right": "on", "top": "at", "bottom": "at", "center": "in"}
# Two-shape scenes use two different non-centre positions (any order).
PAIR_POSITIONS = [(a, b) for a in POSITIONS[:4] for b in POSITIONS[:4] if a != b]

# Every word the grammar can produce (the BPE vocabulary builds each one as a single token).
GRAMMAR_WORDS = sorted(set(
    COLORS + SHAPES + POSITIONS + ["a", "on", "at", "in", "the", "and", "background"]))


def position_phrase(pos):
    return f"{PREPOSITION[pos]} the {pos}"


def shape_phrase(color, shape, pos):
    return f"a {color} {shape} {position_phrase(pos)}"


def caption(shapes, background):
    """shapes: list of (color, shape, position); background: a colour name or None (clause left out)."""
    text = " and ".join(shape_phrase(*s) for s in shapes)
    if background is not None:
        text += f" on a {background} background"
    return text


def single_combos():
    """All (color, shape, position, background) scenes with one shape: 8*3*5*7 = 840."""
    return [(c, s, p, b) for c, s, p, b in itertools.product(COLORS, SHAPES, POSITIONS, COLORS) if c != b]


def held_out_combos(n=200, seed=1234):
    """The evaluation scenes: n single-shape combos never shown in training (fixed by seed)."""
    combos = single_combos()
    random.Random(seed).shuffle(combos)
    return sorted(combos[:n], key=lambda c: (COLORS.index(c[3]), COLORS.index(c[0]), SHAPES.index(c[1]),
                                             POSITIONS.index(c[2])))


def eval_prompts(n=200, seed=1234):
    return [caption([(c, s, p)], b) for c, s, p, b in held_out_combos(n, seed)]


def parse_caption(text):
    """Inverse of caption(): returns (list of (color, shape, position), background or None)."""
    words = text.strip().lower().split()
    bg = None
    if len(words) >= 4 and words[-1] == "background":
        bg = words[-2]
        words = words[:-4]  # drop "on a <bg> background"
    shapes, cur = [], []
    for w in words + ["and"]:
        if w == "and":
            if cur:
                # a <color> <shape> <prep> the <pos>
                shapes.append((cur[1], cur[2], cur[5]))
            cur = []
        else:
            cur.append(w)
    return shapes, bg


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def palette_tensor(device):
    return torch.tensor([PALETTE[c] for c in COLORS], dtype=torch.float32, device=device) / 255.0


def render(bg, colors, shapes, cx, cy, size, active, device=None):
    """Renders a batch of scenes with anti-aliased edges.

    bg [B] colour index; colors/shapes [B,K] indices; cx, cy, size [B,K] float pixels
    (size = half the side of the bounding box); active [B,K] bool. Later shapes are drawn on top.
    Returns images [B,3,128,128] in [0,1].
    """
    device = device or bg.device
    pal = palette_tensor(device)
    n = IMAGE_SIZE
    coords = torch.arange(n, device=device, dtype=torch.float32) + 0.5
    yy = coords.view(1, n, 1)
    xx = coords.view(1, 1, n)
    img = pal[bg][:, :, None, None].expand(-1, -1, n, n).clone()
    for k in range(colors.shape[1]):
        x0 = cx[:, k].view(-1, 1, 1)
        y0 = cy[:, k].view(-1, 1, 1)
        s = size[:, k].view(-1, 1, 1)
        dx, dy = xx - x0, yy - y0
        # Approximate signed distances (negative inside); coverage = clamp(0.5 - d) gives 1px anti-aliasing.
        d_circle = torch.sqrt(dx * dx + dy * dy) - s
        d_square = torch.maximum(dx.abs(), dy.abs()) - s
        # Isosceles triangle, apex up: apex (x0, y0 - s), base y = y0 + s, half-width s at the base.
        # Side edges: |dx| * 2 - (dy + s) <= 0, normalised by sqrt(5) (slope 2).
        d_side = (2.0 * dx.abs() - (dy + s)) / 5 ** 0.5
        d_tri = torch.maximum(d_side, dy - s)
        kind = shapes[:, k].view(-1, 1, 1)
        d = torch.where(kind == 0, d_circle, torch.where(kind == 1, d_square, d_tri))
        cov = (0.5 - d).clamp(0.0, 1.0) * active[:, k].view(-1, 1, 1).float()
        col = pal[colors[:, k]][:, :, None, None]
        img = img * (1 - cov[:, None]) + col * cov[:, None]
    return img


def _randint(lo, hi, shape, gen, device):
    return torch.randint(lo, hi, shape, generator=gen, device=device)


def _rand(shape, gen, device):
    return torch.rand(shape, generator=gen, device=device)


def sample_batch(batch, gen, device, banned=None, p_two=0.3, p_no_bg=0.1):
    """Samples random scenes. Returns a dict of index tensors (see render) plus
    'two' [B] bool and 'has_bg' [B] bool. Single-shape scenes whose (color, shape, pos, bg) is in
    `banned` (a [4] x N long tensor of held-out combos as indices) are re-drawn."""
    B = batch
    nc = len(COLORS)
    bg = _randint(0, nc, (B,), gen, device)
    # Shape colours: distinct from the background and from each other.
    c0 = (bg + _randint(1, nc, (B,), gen, device)) % nc
    c1 = (bg + _randint(1, nc, (B,), gen, device)) % nc
    for _ in range(3):  # two forbidden values, so at most two bumps are ever needed
        c1 = torch.where((c1 == bg) | (c1 == c0), (c1 + 1) % nc, c1)
    shapes = _randint(0, len(SHAPES), (B, 2), gen, device)
    two = _rand((B,), gen, device) < p_two
    pos_single = _randint(0, len(POSITIONS), (B,), gen, device)
    pair = torch.tensor(PAIR_POSITIONS_IDX, device=device)[_randint(0, len(PAIR_POSITIONS), (B,), gen, device)]
    if banned is not None:
        # Re-draw the position of a banned single-shape scene until it is allowed (a few rounds suffice;
        # anything still banned becomes a two-shape scene, which is never held out).
        for _ in range(6):
            key = ((c0 * len(SHAPES) + shapes[:, 0]) * len(POSITIONS) + pos_single) * nc + bg
            isbanned = torch.isin(key, banned) & ~two
            if not isbanned.any():
                break
            pos_single = torch.where(isbanned, _randint(0, len(POSITIONS), (B,), gen, device), pos_single)
        key = ((c0 * len(SHAPES) + shapes[:, 0]) * len(POSITIONS) + pos_single) * nc + bg
        two = two | (torch.isin(key, banned))
    pos = torch.stack([torch.where(two, pair[:, 0], pos_single), pair[:, 1]], dim=1)
    anchors = torch.tensor([ANCHORS[p] for p in POSITIONS], dtype=torch.float32, device=device)
    jitter = torch.where(two, torch.tensor(2.0, device=device), torch.tensor(3.0, device=device))[:, None]
    cx = anchors[pos, 0] + (_rand((B, 2), gen, device) * 2 - 1) * jitter
    cy = anchors[pos, 1] + (_rand((B, 2), gen, device) * 2 - 1) * jitter
    size_single = 17 + 5 * _rand((B, 2), gen, device)
    size_two = 13 + 3 * _rand((B, 2), gen, device)
    size = torch.where(two[:, None], size_two, size_single)
    active = torch.stack([torch.ones_like(two), two], dim=1)
    has_bg = _rand((B,), gen, device) >= p_no_bg
    return dict(bg=bg, colors=torch.stack([c0, c1], 1), shapes=shapes, pos=pos, cx=cx, cy=cy, size=size,
                active=active, two=two, has_bg=has_bg)


PAIR_POSITIONS_IDX = [(POSITIONS.index(a), POSITIONS.index(b)) for a, b in PAIR_POSITIONS]


def banned_keys(combos, device):
    """Encodes held-out (color, shape, position, bg) combos the way sample_batch keys them."""
    nc = len(COLORS)
    keys = [((COLORS.index(c) * len(SHAPES) + SHAPES.index(s)) * len(POSITIONS) + POSITIONS.index(p)) * nc
            + COLORS.index(b) for c, s, p, b in combos]
    return torch.tensor(keys, dtype=torch.long, device=device)


def scene_captions(scene):
    """Captions of a sampled batch, as Python strings (used by tests and by the evaluation)."""
    out = []
    for i in range(scene["bg"].shape[0]):
        n = 2 if bool(scene["two"][i]) else 1
        shapes = [(COLORS[int(scene["colors"][i, k])], SHAPES[int(scene["shapes"][i, k])],
                   POSITIONS[int(scene["pos"][i, k])]) for k in range(n)]
        bg = COLORS[int(scene["bg"][i])] if bool(scene["has_bg"][i]) else None
        out.append(caption(shapes, bg))
    return out


def render_scene(scene):
    return render(scene["bg"], scene["colors"], scene["shapes"], scene["cx"], scene["cy"], scene["size"],
                  scene["active"])


def render_captions(captions, gen, device="cpu"):
    """Renders ground-truth images for full captions (1 or 2 shapes, with background), with the
    same random size/position jitter as training. Returns [B,3,128,128] in [0,1]."""
    B = len(captions)
    bg = torch.zeros(B, dtype=torch.long)
    colors = torch.zeros(B, 2, dtype=torch.long)
    shapes = torch.zeros(B, 2, dtype=torch.long)
    pos = torch.zeros(B, 2, dtype=torch.long)
    two = torch.zeros(B, dtype=torch.bool)
    for i, text in enumerate(captions):
        sh, b = parse_caption(text)
        bg[i] = COLORS.index(b)
        two[i] = len(sh) == 2
        for k, (c, s, p) in enumerate(sh):
            colors[i, k], shapes[i, k], pos[i, k] = COLORS.index(c), SHAPES.index(s), POSITIONS.index(p)
    anchors = torch.tensor([ANCHORS[p] for p in POSITIONS], dtype=torch.float32)
    jitter = torch.where(two, torch.tensor(2.0), torch.tensor(3.0))[:, None]
    cx = anchors[pos, 0] + (torch.rand((B, 2), generator=gen) * 2 - 1) * jitter
    cy = anchors[pos, 1] + (torch.rand((B, 2), generator=gen) * 2 - 1) * jitter
    size = torch.where(two[:, None], 13 + 3 * torch.rand((B, 2), generator=gen),
                       17 + 5 * torch.rand((B, 2), generator=gen))
    active = torch.stack([torch.ones_like(two), two], dim=1)
    return render(bg, colors, shapes, cx, cy, size, active, device=torch.device("cpu")).to(device)
