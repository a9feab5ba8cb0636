"""Trains the tiny shapes text-to-image model and exports it in the diffusers ONNX layout.

Stages (all seeded; data is rendered on the fly on the training device):
1. tokenizer: learn a BPE vocabulary over the grammar words (CLIP file format) -> <out>/tokenizer;
2. VAE: reconstruction (MSE + L1) with a tiny KL term; then scaling_factor = 1 / std(latent mean);
3. text encoder + UNet jointly: epsilon prediction, SD's scaled_linear betas (0.00085..0.012,
   1000 steps), min-SNR(5) loss weights, offset noise 0.1, caption dropout 10% to the empty prompt
   (classifier-free guidance), EMA of the weights (the EMA weights are exported);
4. ONNX export (TorchScript exporter, opset 17, constant folding), configs, and a check of every
   exported graph against torch with onnxruntime when it is installed.

See README.md for the exact command. Example (a smoke run on the CPU):
    python3 tools/train/train.py --out /tmp/shapes --work /tmp/work --device cpu --smoke
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import export  # noqa: E402
import models  # noqa: E402
import shapes as world  # noqa: E402


def log(msg, t0=[time.time()]):
    print(f"[{time.time() - t0[0]:7.1f}s] {msg}", flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="model folder to write (diffusers ONNX layout)")
    p.add_argument("--work", required=True, help="folder for checkpoints and logs")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vae-steps", type=int, default=3000)
    p.add_argument("--vae-seconds", type=float, default=80.0, help="time cap for VAE training")
    p.add_argument("--vae-batch", type=int, default=64)
    p.add_argument("--unet-steps", type=int, default=12000)
    p.add_argument("--unet-seconds", type=float, default=400.0, help="time cap for UNet training")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--block-out-channels", default="32,64,64,64")
    p.add_argument("--text-dim", type=int, default=64)
    p.add_argument("--p-uncond", type=float, default=0.1, help="caption dropout for CFG")
    p.add_argument("--offset-noise", type=float, default=0.1,
                   help="add this times a per-channel constant N(0,1) to the training noise (offset noise)")
    p.add_argument("--chunk", type=int, default=32, help="steps of training data generated at once")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--no-graph", action="store_true", help="do not capture the training step in a CUDA graph")
    p.add_argument("--resume-unet", help="initialise the UNet and text encoder from a unet_te.pt checkpoint")
    p.add_argument("--resume-vae", help="load a VAE checkpoint instead of training one")
    p.add_argument("--smoke", action="store_true", help="a few steps of everything, to test the code")
    p.add_argument("--bench", default="", help="time 20 UNet steps at these batch sizes first (e.g. 256,512)")
    a = p.parse_args(argv)
    if a.smoke:
        a.vae_steps, a.unet_steps, a.batch, a.vae_batch, a.chunk = 6, 6, 8, 4, 4
    return a


# ------------------------------------------------------------------------------------------------
# Captions -> token ids, vectorised over a sampled batch (every grammar word is one token)
# ------------------------------------------------------------------------------------------------

class SceneTokenizer:
    def __init__(self, tok, device):
        self.bos, self.eos = tok.bos, tok.eos
        ids = {}
        for w in world.GRAMMAR_WORDS:
            t = tok.tokens(w)
            assert len(t) == 1, f"grammar word {w!r} is not one token: {t}"
            ids[w] = tok.vocab[t[0]]
        self.word = ids
        d = device
        self.color = torch.tensor([ids[c] for c in world.COLORS], device=d)
        self.shape = torch.tensor([ids[s] for s in world.SHAPES], device=d)
        self.pos = torch.tensor([ids[p] for p in world.POSITIONS], device=d)
        self.prep = torch.tensor([ids[world.PREPOSITION[p]] for p in world.POSITIONS], device=d)
        self.empty = torch.tensor(tok.encode(""), device=d)
        self.device = d

    def phrase(self, scene, k):
        """[B,6] ids of "a <color> <shape> <prep> the <pos>" for shape slot k."""
        B = scene["bg"].shape[0]
        w = self.word
        full = lambda v: torch.full((B,), v, device=self.device)  # noqa: E731
        pos = scene["pos"][:, k]
        return torch.stack([full(w["a"]), self.color[scene["colors"][:, k]], self.shape[scene["shapes"][:, k]],
                            self.prep[pos], full(w["the"]), self.pos[pos]], dim=1)

    def ids(self, scene):
        """[B,77] int32 ids (bos, words, eos, eos padding) of the scenes' captions."""
        B = scene["bg"].shape[0]
        w = self.word
        full = lambda v: torch.full((B, 1), v, device=self.device)  # noqa: E731
        p0, p1 = self.phrase(scene, 0), self.phrase(scene, 1)
        tail = torch.cat([full(w["on"]), full(w["a"]), self.color[scene["bg"]][:, None], full(w["background"])], 1)
        two, has_bg = scene["two"][:, None], scene["has_bg"][:, None]
        eos = torch.full((B, 17), self.eos, device=self.device)
        single = torch.cat([p0, torch.where(has_bg, tail, eos[:, :4]), eos[:, :7]], 1)
        double = torch.cat([p0, full(w["and"]), p1, torch.where(has_bg, tail, eos[:, :4])], 1)
        words = torch.where(two, double, single)
        seq = torch.full((B, bpe.MAX_LENGTH), self.eos, device=self.device)
        seq[:, 0] = self.bos
        seq[:, 1:18] = words
        return seq.to(torch.int32)


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------

def autocast(device):
    if device.startswith("cuda"):
        # cache_enabled=False: required when the step is captured in a CUDA graph.
        return torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False)
    return torch.autocast("cpu", enabled=False)


def lr_at(step, steps, elapsed, seconds, base, warmup=200):
    progress = min(1.0, max(step / max(1, steps), elapsed / max(1e-9, seconds)))
    warm = min(1.0, (step + 1) / warmup)
    return base * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(params, lr, device):
    """AdamW; on CUDA capturable with a tensor learning rate, so the step can live in a CUDA graph."""
    if device.startswith("cuda"):
        return torch.optim.AdamW(params, lr=torch.tensor(lr, device=device), weight_decay=0.0, betas=(0.9, 0.99),
                                 foreach=True, capturable=True)
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.0, betas=(0.9, 0.99))


def set_lr(opt, value):
    for g in opt.param_groups:
        if torch.is_tensor(g["lr"]):
            g["lr"].fill_(value)
        else:
            g["lr"] = value


class GraphStep:
    """Runs a whole training step (zero_grad, forward, backward, clip, optimizer step) as one CUDA
    graph: the tiny networks here are bound by kernel-launch overhead, which the graph removes.
    Inputs are copied into static tensors before each replay; falls back to eager on CPU or when
    capture fails."""

    def __init__(self, fn, example_inputs, use_graph):
        self.fn, self.graph = fn, None
        if not use_graph:
            return
        self.static = [x.clone() for x in example_inputs]
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):  # warm-up (cudnn autotuning, allocator); these are real steps
                    fn(*self.static)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.out = fn(*self.static)
            self.graph = graph
        except Exception as e:  # noqa: BLE001 - any capture problem: train eagerly instead
            log(f"CUDA graph capture failed, training eagerly: {type(e).__name__}: {e}")
            torch.cuda.synchronize()

    def __call__(self, *inputs):
        if self.graph is None:
            return self.fn(*inputs)
        for s, x in zip(self.static, inputs):
            s.copy_(x, non_blocking=True)
        self.graph.replay()
        return self.out


def vae_step_fn(vae, opt, dev):
    params = list(vae.parameters())

    def step(x, noise):
        opt.zero_grad(set_to_none=True)
        with autocast(dev):
            mean, logvar = vae.moments(x)
            z = mean + noise * torch.exp(0.5 * logvar)
            rec = vae.decode(z)
        rec, mean, logvar = rec.float(), mean.float(), logvar.float()
        kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).mean()
        loss = F.mse_loss(rec, x) + 0.5 * (rec - x).abs().mean() + 1e-5 * kl
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.detach()
    return step


def train_vae(args, gen):
    dev = args.device
    vae = models.AutoencoderKL().to(dev)
    opt = make_optimizer(vae.parameters(), args.lr, dev)
    B, chunk = args.vae_batch, args.chunk
    step_fn = vae_step_fn(vae, opt, dev)
    runner, losses = None, []
    t0, step = time.time(), 0
    while step < args.vae_steps and time.time() - t0 < args.vae_seconds:
        # Data for `chunk` steps at once: rendering is launch-bound, so one big batch is as cheap as a small one.
        xs = world.render_scene(world.sample_batch(B * chunk, gen, dev)) * 2 - 1
        ns = torch.randn((B * chunk, 4, 16, 16), generator=gen, device=dev)
        for k in range(chunk):
            if step >= args.vae_steps or time.time() - t0 >= args.vae_seconds:
                break
            x, n = xs[k * B:(k + 1) * B], ns[k * B:(k + 1) * B]
            set_lr(opt, lr_at(step, args.vae_steps, time.time() - t0, args.vae_seconds, args.lr, warmup=100))
            if runner is None:
                runner = GraphStep(step_fn, (x, n), dev.startswith("cuda") and not args.no_graph)
                step += 3 if runner.graph is not None else 0
            losses.append(runner(x, n).clone())
            step += 1
            if step % 500 == 0 or step == 1:
                log(f"vae step {step} loss {torch.stack(losses[-50:]).mean().item():.5f}")
    seconds = time.time() - t0
    log(f"vae done: {step} steps in {seconds:.1f}s (cuda graph: {runner is not None and runner.graph is not None})")
    vae.eval()
    return vae, {"vae_steps": step, "vae_seconds": round(seconds, 1),
                 "vae_final_loss": torch.stack(losses[-50:]).mean().item()}


@torch.no_grad()
def scaling_factor(vae, gen, dev, n=2048, batch=64):
    zs = []
    for _ in range(max(1, n // batch)):
        x = world.render_scene(world.sample_batch(batch, gen, dev)) * 2 - 1
        zs.append(vae.encode(x).float())
    z = torch.cat(zs)
    return float(1.0 / z.std()), {"latent_mean": z.mean().item(), "latent_std": z.std().item(),
                                  "latent_channel_std": z.std(dim=(0, 2, 3)).tolist()}


def alphas_cumprod(device):
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0).to(device)


def ema_update(ema_params, params, decay):
    with torch.no_grad():
        if hasattr(torch, "_foreach_lerp_"):
            torch._foreach_lerp_(ema_params, params, 1.0 - decay)
        else:
            for e, p in zip(ema_params, params):
                e.lerp_(p, 1.0 - decay)


def unet_step_fn(unet, te, opt, acp, dev):
    params = list(unet.parameters()) + list(te.parameters())

    def step(z, ids, noise, t):
        opt.zero_grad(set_to_none=True)
        a = acp[t][:, None, None, None]
        noisy = a.sqrt() * z + (1 - a).sqrt() * noise
        snr = a.flatten() / (1 - a.flatten())
        weight = torch.clamp(snr, max=5.0) / snr  # min-SNR-5 weighting for epsilon prediction
        with autocast(dev):
            ctx = te(ids)[0]
            eps = unet(noisy, t.float(), ctx)
        loss = (weight * ((eps.float() - noise) ** 2).mean(dim=(1, 2, 3))).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.detach()
    return step


@torch.no_grad()
def unet_data(n, vae, sf, st, banned, gen, dev, p_uncond, offset=0.0):
    """n training examples: scaled latents, caption ids (p_uncond of them the empty prompt), noise, t.

    offset > 0 adds offset * N(0,1) per image and channel to the noise (Guttenberg's "offset noise"): the
    scaled_linear schedule leaves the image mean visible even at t=999, so without it the model learns to keep
    the mean colour that the noise suggests and classifier-free guidance has to fight it, which over-saturates
    flat colours at high guidance."""
    zs, idss = [], []
    for i in range(0, n, 4096):
        scene = world.sample_batch(min(4096, n - i), gen, dev, banned=banned)
        with autocast(dev):
            zs.append(vae.encode(world.render_scene(scene) * 2 - 1).float() * sf)
        idss.append(st.ids(scene))
    z, ids = torch.cat(zs), torch.cat(idss)
    drop = torch.rand(n, generator=gen, device=dev) < p_uncond
    ids = torch.where(drop[:, None], st.empty.to(ids.dtype)[None], ids)
    t = torch.randint(0, 1000, (n,), generator=gen, device=dev)
    noise = torch.randn(z.shape, generator=gen, device=dev)
    if offset:
        noise = noise + offset * torch.randn((n, z.shape[1], 1, 1), generator=gen, device=dev)
    return z, ids, noise, t


def train_unet(args, vae, sf, tok, gen):
    dev = args.device
    torch.manual_seed(args.seed + 1)
    channels = tuple(int(c) for c in args.block_out_channels.split(","))
    unet = models.UNet2DConditionModel(channels, cross_attention_dim=args.text_dim).to(dev)
    te = models.CLIPTextModel(len(tok.vocab), hidden_size=args.text_dim, eos_token_id=tok.eos).to(dev)
    if args.resume_unet:
        ck = torch.load(args.resume_unet, map_location=dev)
        unet.load_state_dict(ck["unet"])
        te.load_state_dict(ck["text_encoder"])
    ema_unet, ema_te = copy.deepcopy(unet).eval(), copy.deepcopy(te).eval()
    params = list(unet.parameters()) + list(te.parameters())
    ema_params = list(ema_unet.parameters()) + list(ema_te.parameters())
    opt = make_optimizer(params, args.lr, dev)
    st = SceneTokenizer(tok, dev)
    banned = world.banned_keys(world.held_out_combos(), dev)
    step_fn = unet_step_fn(unet, te, opt, alphas_cumprod(dev), dev)
    B, chunk = args.batch, args.chunk
    runner, losses = None, []
    t0, step = time.time(), 0
    while step < args.unet_steps and time.time() - t0 < args.unet_seconds:
        data = unet_data(B * chunk, vae, sf, st, banned, gen, dev, args.p_uncond, args.offset_noise)
        for k in range(chunk):
            if step >= args.unet_steps or time.time() - t0 >= args.unet_seconds:
                break
            batch = [d[k * B:(k + 1) * B] for d in data]
            set_lr(opt, lr_at(step, args.unet_steps, time.time() - t0, args.unet_seconds, args.lr))
            if runner is None:
                runner = GraphStep(step_fn, batch, dev.startswith("cuda") and not args.no_graph)
                step += 3 if runner.graph is not None else 0
            losses.append(runner(*batch).clone())
            ema_update(ema_params, params, min(args.ema, (1 + step) / (10 + step)))
            step += 1
            if step % 1000 == 0 or step == 1:
                log(f"unet step {step} loss {torch.stack(losses[-200:]).mean().item():.5f} "
                    f"lr {float(opt.param_groups[0]['lr']):.2e}")
    seconds = time.time() - t0
    graph = runner is not None and runner.graph is not None
    log(f"unet done: {step} steps in {seconds:.1f}s (cuda graph: {graph})")
    return ema_unet, ema_te, {"unet_steps": step, "unet_seconds": round(seconds, 1), "batch": args.batch,
                              "cuda_graph": graph, "unet_final_loss": torch.stack(losses[-200:]).mean().item(),
                              "block_out_channels": list(channels), "text_dim": args.text_dim,
                              "offset_noise": args.offset_noise, "p_uncond": args.p_uncond}


@torch.no_grad()
def vae_check(vae, dev, n=200):
    """Checker accuracy of the VAE's reconstructions of the held-out scenes (an upper bound for the UNet)."""
    import numpy as np

    import checker
    prompts = world.eval_prompts(n)
    x = world.render_captions(prompts, torch.Generator().manual_seed(7)).to(dev)
    rec = torch.cat([vae.decode(vae.encode(x[i:i + 50] * 2 - 1)) for i in range(0, len(x), 50)])
    imgs = ((rec / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).float().cpu().numpy() * 255).round().astype(np.uint8)
    return checker.accuracy(imgs, prompts), float(((rec / 2 + 0.5).clamp(0, 1) - x).abs().mean())


def bench(args, vae, sf, tok, gen):
    """Seconds per UNet training step at several batch sizes (to size a run)."""
    out = {}
    for b in [int(x) for x in args.bench.split(",") if x]:
        a = copy.copy(args)
        a.batch, a.unet_seconds, a.chunk = b, 1e9, 50
        a.unet_steps = 50
        t0 = time.time()
        train_unet(a, vae, sf, tok, gen)
        t1 = time.time()
        a.unet_steps = 250
        train_unet(a, vae, sf, tok, gen)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        out[b] = round((time.time() - t1 - (t1 - t0)) / 200, 4)
        log(f"bench batch {b}: {out[b]} s/step (difference of a 250- and a 50-step run)")
    return out


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    torch.manual_seed(args.seed)
    if args.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    gen = torch.Generator(device=args.device).manual_seed(args.seed)
    log(f"torch {torch.__version__} device {args.device} "
        f"{torch.cuda.get_device_name() if args.device.startswith('cuda') else ''}")
    tok = bpe.write_tokenizer(os.path.join(args.out, "tokenizer"), {w: 1 for w in world.GRAMMAR_WORDS})
    log(f"tokenizer: {len(tok.vocab)} ids, {len(tok.ranks)} merges")
    info = {"seed": args.seed, "torch": torch.__version__, "vocab_size": len(tok.vocab)}

    if args.resume_vae:
        vae = models.AutoencoderKL().to(args.device)
        ck = torch.load(args.resume_vae, map_location=args.device)
        vae.load_state_dict(ck["vae"])
        vae.eval()
        info.update(ck.get("info", {}))
    else:
        torch.manual_seed(args.seed)
        vae, vinfo = train_vae(args, gen)
        info.update(vinfo)
    sf, sinfo = scaling_factor(vae, gen, args.device, n=64 if args.smoke else 2048)
    info.update(sinfo, scaling_factor=sf)
    torch.save({"vae": vae.state_dict(), "info": info}, os.path.join(args.work, "vae.pt"))
    acc, l1 = vae_check(vae, args.device, n=8 if args.smoke else 200)
    info.update(vae_recon_checker=acc, vae_recon_l1=l1)
    log(f"scaling_factor {sf:.5f} ({sinfo}); VAE reconstructions: checker {acc}, L1 {l1:.4f}")

    if args.bench:
        info["bench_s_per_step"] = bench(args, vae, sf, tok, gen)
    unet, te, uinfo = train_unet(args, vae, sf, tok, gen)
    info.update(uinfo)
    torch.save({"unet": unet.state_dict(), "text_encoder": te.state_dict(), "info": info},
               os.path.join(args.work, "unet_te.pt"))
    log("exporting")
    info["export"] = export.export_all(args.out, vae.float().cpu(), te.float().cpu(), unet.float().cpu(), sf, tok,
                                       info)
    with open(os.path.join(args.work, "train_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    log(f"done: {json.dumps(info)}")


if __name__ == "__main__":
    main()
