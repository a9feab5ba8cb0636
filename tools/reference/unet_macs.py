#!/usr/bin/env python3
"""Independent reference for the UNet MAC figures (Describe, the load log, the README).

Counts, from a diffusers UNet2DConditionModel config alone (no ONNX, no Java), the multiply-accumulates of every
convolution, linear layer and attention matrix product for one call at batch 1 -- what unet-service's MacCounter
counts on the ONNX graph (Conv, MatMul, Gemm) -- for the full UNet and for DeepCache's shallow network of a cache
branch: cache branch b cuts at the pre-concat input of up_blocks[3 - b // 3].resnets[2 - b % 3]; the shallow
network runs the down path up to the skip that resnet concatenates, and the up path from that resnet on.

Writes unet_macs.json beside this file (asserted by unet-service's UnetStageTest against Describe's numbers, and
holding the README's figures). Regenerate with:
  python3 tools/reference/unet_macs.py ../shared/models/tiny-sd15/unet/config.json 32 0 1 3
"""
import json
import pathlib
import sys

TEXT_LEN = 77


def conv(cin, cout, k, side):
    return cout * cin * k * k * side * side


def resnet(cin, cout, temb, side):
    m = conv(cin, cout, 3, side) + temb * cout + conv(cout, cout, 3, side)
    if cin != cout:
        m += conv(cin, cout, 1, side)
    return m


def transformer(c, cross, side):
    n = side * side
    proj = 2 * c * c * n                      # proj_in, proj_out (1x1 convolutions)
    self_attn = 3 * n * c * c + 2 * n * n * c + n * c * c     # q, k, v; QK^T and AV over all heads; to_out
    cross_attn = n * c * c + 2 * TEXT_LEN * cross * c + 2 * n * TEXT_LEN * c + n * c * c
    ff = n * c * 8 * c + n * 4 * c * c        # GEGLU (C -> 2 x 4C), then 4C -> C
    return proj + self_attn + cross_attn + ff


def modules(cfg, side):
    """(name, macs, kind) in execution order; kind: 'down' produces a skip, 'up' consumes them."""
    ch = cfg["block_out_channels"]
    layers = cfg["layers_per_block"]
    cross = cfg["cross_attention_dim"]
    temb = ch[0] * 4
    down_types = cfg["down_block_types"]
    up_types = cfg["up_block_types"]
    out = [("time_embedding", ch[0] * temb + temb * temb, "always"),
           ("conv_in", conv(cfg["in_channels"], ch[0], 3, side), "skip")]
    skips = [ch[0]]
    s = side
    cin = ch[0]
    for i, t in enumerate(down_types):
        cout = ch[i]
        for j in range(layers):
            m = resnet(cin if j == 0 else cout, cout, temb, s)
            if t.startswith("CrossAttn"):
                m += transformer(cout, cross, s)
            out.append((f"down_blocks.{i}.{j}", m, "skip"))
            skips.append(cout)
        cin = cout
        if i < len(down_types) - 1:
            s //= 2
            out.append((f"down_blocks.{i}.downsample", conv(cout, cout, 3, s), "skip"))
            skips.append(cout)
    mid = ch[-1]
    out.append(("mid_block", 2 * resnet(mid, mid, temb, s) + transformer(mid, cross, s), "mid"))
    rev = list(reversed(ch))
    prev = mid
    for i, t in enumerate(up_types):
        cout = rev[i]
        for j in range(layers + 1):
            skip = skips.pop()
            m = resnet((prev if j == 0 else cout) + skip, cout, temb, s)
            if t.startswith("CrossAttn"):
                m += transformer(cout, cross, s)
            out.append((f"up_blocks.{i}.resnets.{j}", m, "up"))
        prev = cout
        if i < len(up_types) - 1:
            s *= 2
            out.append((f"up_blocks.{i}.upsample", conv(cout, cout, 3, s), "up"))
    out.append(("conv_out", conv(ch[0], cfg["out_channels"], 3, side), "always"))
    return out


def count(cfg, side, branch):
    mods = modules(cfg, side)
    full = sum(m for _, m, _ in mods)
    up_block, resnet_index = 3 - branch // 3, 2 - branch % 3
    cut = mods.index(next(x for x in mods if x[0] == f"up_blocks.{up_block}.resnets.{resnet_index}"))
    # the skips are consumed last-in first-out: the cut resnet's skip is the k-th produced, k = skips left then
    skips_before = sum(1 for x in mods[cut:] if x[0].startswith("up_blocks.") and ".resnets." in x[0])
    produced = [x for x in mods if x[2] == "skip"]
    keep_down = produced[:skips_before]
    shallow = mods[0][1] + sum(m for _, m, _ in keep_down) + sum(m for name, m, _ in mods[cut:]
                                                                   if not name.startswith("down"))
    return full, shallow


def main():
    config = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/models/tiny-sd15/unet/config.json")
    side = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    branches = [int(b) for b in sys.argv[3:]] or [0, 1, 3]
    cfg = json.loads(config.read_text())
    rows = []
    for b in branches:
        full, shallow = count(cfg, side, b)
        rows.append({"branch": b, "full_macs": full, "shallow_macs": shallow, "ratio": round(shallow / full, 4)})
        print(f"branch {b}: full {full / 1e9:.3f} GMAC, shallow {shallow / 1e9:.3f} GMAC ({100 * shallow / full:.1f} %)")
    out = pathlib.Path(__file__).with_name("unet_macs.json")
    out.write_text(json.dumps({"generator": "tools/reference/unet_macs.py", "config": config.name,
                               "model": config.parent.parent.name, "latent_side": side, "batch": 1,
                               "branches": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
