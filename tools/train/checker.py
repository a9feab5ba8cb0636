"""Scores an RGB image against its shapes prompt with simple, explainable measurements.

For an image (H x W x 3 uint8) and a caption of the grammar in shapes.py:
1. background colour = the per-channel median of a 4-pixel frame around the border, mapped to
   the nearest named colour (Euclidean RGB);
2. foreground = pixels farther than FG_DISTANCE from that measured background colour, split into
   4-connected components; components smaller than MIN_PIXELS are noise;
3. for each of the k largest components (k = shapes in the prompt):
   * colour = nearest named colour to the component's median RGB,
   * position = nearest named anchor (left/right/top/bottom/center) to the component's centroid,
   * shape by moments: fill = component pixels / bounding-box area (box = min..max row and column,
     inclusive). Square ~1.0, circle ~pi/4 = 0.785, triangle ~0.5 (on rendered ground truth:
     1.0, 0.76-0.81, 0.50-0.53); thresholds: < 0.64 triangle, < 0.89 circle, else square.
4. with two shapes, components are matched to the prompt's shapes by position (closest anchor).

Attributes: background, color, position, shape (each 0/1; per shape for two-shape prompts).
Only numpy is needed, so the same rules are easy to port (a Java test can do the same).
"""
import numpy as np

import shapes as world

FG_DISTANCE = 60.0
MIN_PIXELS = 30
BORDER = 4
TRIANGLE_MAX_FILL = 0.64
CIRCLE_MAX_FILL = 0.89

_PAL = np.array([world.PALETTE[c] for c in world.COLORS], dtype=np.float32)


def nearest_color(rgb):
    return world.COLORS[int(np.argmin(((_PAL - np.asarray(rgb, np.float32)) ** 2).sum(1)))]


def nearest_position(x, y):
    d = {p: (x - ax) ** 2 + (y - ay) ** 2 for p, (ax, ay) in world.ANCHORS.items()}
    return min(d, key=d.get)


def classify_fill(fill):
    if fill < TRIANGLE_MAX_FILL:
        return "triangle"
    return "circle" if fill < CIRCLE_MAX_FILL else "square"


def components(mask):
    """4-connected components of a boolean mask, largest first, as lists of flat indices."""
    h, w = mask.shape
    flat = mask.ravel()
    seen = np.zeros(flat.shape, bool)
    comps = []
    for start in np.flatnonzero(flat):
        if seen[start]:
            continue
        seen[start] = True
        stack, comp = [start], []
        while stack:
            i = stack.pop()
            comp.append(i)
            y, x = divmod(i, w)
            for j, ok in ((i - 1, x > 0), (i + 1, x < w - 1), (i - w, y > 0), (i + w, y < h - 1)):
                if ok and flat[j] and not seen[j]:
                    seen[j] = True
                    stack.append(j)
        comps.append(np.array(comp))
    comps.sort(key=len, reverse=True)
    return comps


def measure(image, k=1):
    """Measures an image: background colour name and up to k blobs (dicts of color, position,
    shape, fill, centroid, pixels)."""
    img = np.asarray(image, dtype=np.float32)
    h, w, _ = img.shape
    frame = np.concatenate([img[:BORDER].reshape(-1, 3), img[-BORDER:].reshape(-1, 3),
                            img[:, :BORDER].reshape(-1, 3), img[:, -BORDER:].reshape(-1, 3)])
    bg_rgb = np.median(frame, axis=0)
    mask = np.sqrt(((img - bg_rgb) ** 2).sum(-1)) > FG_DISTANCE
    blobs = []
    for comp in components(mask)[:k]:
        if len(comp) < MIN_PIXELS:
            break
        ys, xs = np.divmod(comp, w)
        rgb = np.median(img.reshape(-1, 3)[comp], axis=0)
        # +1: a box from pixel i to pixel j covers j - i + 1 pixels.
        box = (xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1)
        fill = float(len(comp) / box)
        cx, cy = xs.mean() + 0.5, ys.mean() + 0.5
        blobs.append(dict(color=nearest_color(rgb), position=nearest_position(cx, cy),
                          shape=classify_fill(fill), fill=fill, centroid=(float(cx), float(cy)),
                          pixels=int(len(comp))))
    return dict(background=nearest_color(bg_rgb), blobs=blobs)


def score(image, prompt):
    """Returns {'background','color','position','shape'} in [0,1] (mean over the prompt's shapes)
    plus the raw measurement."""
    want, bg = world.parse_caption(prompt)
    m = measure(image, k=len(want))
    blobs = list(m["blobs"])
    res = {"background": float(bg is None or m["background"] == bg), "color": 0.0, "position": 0.0, "shape": 0.0}
    for color, shape, pos in want:
        if not blobs:
            break
        ax, ay = world.ANCHORS[pos]
        j = min(range(len(blobs)), key=lambda i: (blobs[i]["centroid"][0] - ax) ** 2
                + (blobs[i]["centroid"][1] - ay) ** 2)
        b = blobs.pop(j)
        res["color"] += (b["color"] == color) / len(want)
        res["position"] += (b["position"] == pos) / len(want)
        res["shape"] += (b["shape"] == shape) / len(want)
    res["measured"] = m
    return res


ATTRIBUTES = ("background", "color", "position", "shape")


def accuracy(images, prompts):
    """Mean score per attribute over a list of images (uint8 HWC) and prompts, plus 'all' (every
    attribute right)."""
    totals = {a: 0.0 for a in ATTRIBUTES}
    all_ok = 0
    for img, p in zip(images, prompts):
        s = score(img, p)
        for a in ATTRIBUTES:
            totals[a] += s[a]
        all_ok += all(s[a] == 1.0 for a in ATTRIBUTES)
    n = max(1, len(prompts))
    out = {a: totals[a] / n for a in ATTRIBUTES}
    out["all"] = all_ok / n
    return out
