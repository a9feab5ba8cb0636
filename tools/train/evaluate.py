"""Evaluates an exported shapes model folder with onnxruntime: DDIM or PNDM, classifier-free guidance and
DeepCache, scored by checker.py on held-out prompts (never seen in training).

The sampler follows diffusers' StableDiffusionPipeline arithmetic (shared/fixtures/README.md):
latents ~ N(0,1) (DDIM's and PNDM's init_noise_sigma is 1), UNet batch [uncond, cond], eps = u + g (c - u),
the model's scheduler (scheduler_config.json's _class_name: DDIM with eta 0, or PNDM with skip_prk_steps = PLMS)
unless --scheduler names one, image = clamp(vae_decoder(latents / scaling_factor) / 2 + 0.5, 0, 1).
The initial noise of prompt i is numpy's default_rng(seed + i), the same for every configuration, so
DeepCache runs are compared with the no-cache run image by image.

    python3 tools/train/evaluate.py --model models/shapes-sd-tiny --json results.json --md RESULTS-table.md
"""
import argparse
import json
import os
import struct
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import checker  # noqa: E402
import shapes as world  # noqa: E402


class AlphaScheduler:
    """What DDIM and PNDM share: SD's scaled_linear betas, alpha-bar, the final alpha and the "leading" offset."""

    def __init__(self, cfg):
        n = cfg["num_train_timesteps"]
        betas = np.linspace(cfg["beta_start"] ** 0.5, cfg["beta_end"] ** 0.5, n, dtype=np.float32) ** 2
        self.acp = np.cumprod(1.0 - betas, dtype=np.float32)
        self.final = 1.0 if cfg["set_alpha_to_one"] else float(self.acp[0])
        self.n_train, self.offset = n, cfg["steps_offset"]


class Pndm(AlphaScheduler):
    """diffusers' PNDMScheduler with skip_prk_steps=True (linear multistep / PLMS), epsilon prediction."""

    def set_timesteps(self, steps):
        self.ratio = self.n_train // steps
        ts = (np.arange(0, steps) * self.ratio).round().astype(np.int64) + self.offset
        self.timesteps = np.concatenate([ts[:-1], ts[-2:-1], ts[-1:]])[::-1].copy()
        self.ets, self.counter, self.cur_sample = [], 0, None
        return self.timesteps

    def step(self, eps, t, sample):
        prev_t = t - self.ratio
        if self.counter != 1:
            self.ets = self.ets[-3:]
            self.ets.append(eps)
        else:
            prev_t, t = t, t + self.ratio
        e = self.ets
        if len(e) == 1 and self.counter == 0:
            out, self.cur_sample = eps, sample
        elif len(e) == 1 and self.counter == 1:
            out = (eps + e[-1]) / 2
            sample, self.cur_sample = self.cur_sample, None
        elif len(e) == 2:
            out = (3 * e[-1] - e[-2]) / 2
        elif len(e) == 3:
            out = (23 * e[-1] - 16 * e[-2] + 5 * e[-3]) / 12
        else:
            out = (55 * e[-1] - 59 * e[-2] + 37 * e[-3] - 9 * e[-4]) / 24
        a_t = float(self.acp[t])
        a_prev = float(self.acp[prev_t]) if prev_t >= 0 else self.final
        b_t, b_prev = 1 - a_t, 1 - a_prev
        denom = a_t * b_prev ** 0.5 + (a_t * b_t * a_prev) ** 0.5
        self.counter += 1
        return ((a_prev / a_t) ** 0.5 * sample - (a_prev - a_t) * out / denom).astype(np.float32)


class Ddim(AlphaScheduler):
    """diffusers' DDIMScheduler, eta 0, "leading" spacing, epsilon prediction (a first-order sampler)."""

    def set_timesteps(self, steps):
        self.ratio = self.n_train // steps
        self.timesteps = ((np.arange(0, steps) * self.ratio).round()[::-1].copy().astype(np.int64) + self.offset)
        return self.timesteps

    def step(self, eps, t, sample):
        prev_t = t - self.ratio
        a_t = float(self.acp[t])
        a_prev = float(self.acp[prev_t]) if prev_t >= 0 else self.final
        x0 = (sample - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5
        return (a_prev ** 0.5 * x0 + (1 - a_prev) ** 0.5 * eps).astype(np.float32)


SCHEDULERS = {"pndm": Pndm, "ddim": Ddim}
CLASS_NAMES = {"PNDMScheduler": "pndm", "DDIMScheduler": "ddim"}


def providers(choice):
    import onnxruntime as ort
    avail = ort.get_available_providers()
    if choice == "cpu" or "CUDAExecutionProvider" not in avail:
        return ["CPUExecutionProvider"]
    return ["CUDAExecutionProvider", "CPUExecutionProvider"]


class Pipeline:
    def __init__(self, model, prov, threads=None):
        import onnxruntime as ort
        self.model, self.prov, self.threads = model, prov, threads
        opt = ort.SessionOptions()
        if threads:
            opt.intra_op_num_threads = threads
        sess = lambda part: ort.InferenceSession(os.path.join(model, part, "model.onnx"), opt,  # noqa: E731
                                                 providers=prov)
        self.tok = bpe.ClipBpe.load(os.path.join(model, "tokenizer"))
        self.te, self.unet, self.dec = sess("text_encoder"), sess("unet"), sess("vae_decoder")
        with open(os.path.join(model, "vae_decoder", "config.json")) as f:
            self.sf = json.load(f)["scaling_factor"]
        with open(os.path.join(model, "scheduler", "scheduler_config.json")) as f:
            self.sched_cfg = json.load(f)
        self._dc = None

    def deepcache(self):
        if self._dc is None:
            import deepcache_onnx
            self._dc = deepcache_onnx.sessions(os.path.join(self.model, "unet", "model.onnx"), self.prov, self.threads)
        return self._dc

    def embed(self, prompts):
        ids = np.array([self.tok.encode(p) for p in prompts], dtype=np.int32)
        return self.te.run(["last_hidden_state"], {"input_ids": ids})[0]

    def generate(self, prompts, seed=0, steps=50, guidance=7.5, interval=1, chunk=100, scheduler="pndm"):
        imgs, stats = [], {"unet_calls": 0, "full_calls": 0}
        for s in range(0, len(prompts), chunk):
            part = prompts[s:s + chunk]
            im, st = self._generate(part, [seed + s + i for i in range(len(part))], steps, guidance, interval,
                                    scheduler)
            imgs.append(im)
            stats = {k: st[k] for k in st}
        return np.concatenate(imgs), stats

    def _generate(self, prompts, seeds, steps, guidance, interval, scheduler="pndm"):
        import deepcache_onnx as dc
        n = len(prompts)
        cond = self.embed(prompts)
        ctx = np.concatenate([self.embed([""] * n), cond]) if guidance > 1 else cond
        lat = np.stack([np.random.default_rng(sd).standard_normal((4, 16, 16)) for sd in seeds]).astype(np.float32)
        sched = SCHEDULERS[scheduler](self.sched_cfg)
        ts = sched.set_timesteps(steps)
        cache, i0, calls, full_calls = None, None, 0, 0
        for t in ts:
            x = np.concatenate([lat, lat]) if guidance > 1 else lat
            feeds = {"sample": x, "timestep": np.full((x.shape[0],), t, np.float32), "encoder_hidden_states": ctx}
            if interval == 1:
                eps = self.unet.run(None, feeds)[0]
                full_calls += 1
            else:
                full, partial = self.deepcache()
                i0 = list(ts).index(t) if i0 is None else i0
                if dc.is_full_call(ts, t, i0, interval):
                    eps, cache = full.run(None, feeds)
                    full_calls += 1
                else:
                    eps = partial.run(None, dict(feeds, **{dc.CUT: cache}))[0]
            calls += 1
            if guidance > 1:
                u, c = eps[:n], eps[n:]
                eps = u + guidance * (c - u)
            lat = sched.step(eps, int(t), lat)
        img = self.dec.run(None, {"latent_sample": lat / np.float32(self.sf)})[0]
        img = np.clip(img / 2 + 0.5, 0, 1).transpose(0, 2, 3, 1)
        return (img * 255).round().astype(np.uint8), {"unet_calls": calls, "full_calls": full_calls}


def write_png(path, img):
    """Minimal RGB PNG writer (no PIL needed)."""
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def grid(rows, pad=4):
    """rows: list of lists of HxWx3 uint8 images -> one image with white padding."""
    h, w, _ = rows[0][0].shape
    cols = max(len(r) for r in rows)
    out = np.full((len(rows) * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, im in enumerate(row):
            out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = im
    return out


def run_config(job):
    """One generation run (in a worker process): returns the job, images, stats and seconds."""
    model, prov, threads, prompts, seed, steps, guidance, interval = job["args"]
    pipe = Pipeline(model, prov, threads)
    t0 = time.time()
    imgs, st = pipe.generate(prompts, seed, steps, guidance, interval, scheduler=job.get("scheduler", "pndm"))
    return job["name"], imgs, st, round(time.time() - t0, 2)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--n", type=int, default=200, help="held-out prompts")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--guidance", type=float, default=7.5)
    p.add_argument("--intervals", default="1,2,3,5", help="DeepCache intervals (1 = no cache)")
    p.add_argument("--scheduler", choices=sorted(SCHEDULERS),
                   help="sampler of the interval and two-shape runs (default: the model's scheduler_config.json "
                        "class, as the pipeline does; extra runs name their own)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--extra", default="",
                   help="extra no-cache runs 'steps:guidance[:scheduler],...', e.g. 20:7.5,50:3,50:7.5:pndm")
    p.add_argument("--two-shape", type=int, default=0, help="also score this many two-shape prompts (no cache)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu"])
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel processes (CPU threads split evenly)")
    p.add_argument("--json", required=True)
    p.add_argument("--sample-png")
    p.add_argument("--save-images", help="folder for the per-config image arrays (.npy)")
    a = p.parse_args(argv)
    if a.scheduler is None:
        with open(os.path.join(a.model, "scheduler", "scheduler_config.json")) as f:
            a.scheduler = CLASS_NAMES[json.load(f)["_class_name"]]
    prov = providers(a.device)
    prompts = world.eval_prompts(a.n)
    threads = max(1, (os.cpu_count() or 1) // a.jobs) if a.jobs > 1 else None
    jobs = []
    for iv in [int(x) for x in a.intervals.split(",")]:
        jobs.append({"name": f"dc{iv}", "interval": iv, "steps": a.steps, "guidance": a.guidance,
                     "scheduler": a.scheduler,
                     "args": (a.model, prov, threads, prompts, a.seed, a.steps, a.guidance, iv)})
    for spec in [s for s in a.extra.split(",") if s]:
        parts = spec.split(":")
        steps, g = int(parts[0]), float(parts[1])
        sch = parts[2] if len(parts) > 2 else a.scheduler
        jobs.append({"name": f"extra_{steps}_{g}_{sch}", "interval": 1,
                     "steps": steps, "guidance": g, "scheduler": sch,
                     "args": (a.model, prov, threads, prompts, a.seed, steps, g, 1)})
    import torch
    caps = []
    if a.two_shape:
        scene = world.sample_batch(a.two_shape, torch.Generator().manual_seed(99), "cpu", p_two=1.0, p_no_bg=0.0)
        caps = world.scene_captions(scene)
        jobs.append({"name": "two", "interval": 1, "steps": a.steps, "guidance": a.guidance, "scheduler": a.scheduler,
                     "args": (a.model, prov, threads, caps, a.seed + 10000, a.steps, a.guidance, 1)})
    t0 = time.time()
    if a.jobs > 1:
        import concurrent.futures as cf
        import multiprocessing as mp
        with cf.ProcessPoolExecutor(a.jobs, mp_context=mp.get_context("spawn")) as ex:
            done = list(ex.map(run_config, jobs))
    else:
        done = [run_config(j) for j in jobs]
    wall = time.time() - t0
    out = {name: (imgs, st, sec) for name, imgs, st, sec in done}
    gt = world.render_captions(prompts, torch.Generator().manual_seed(7))
    gt = (gt.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    results = {"providers": prov, "n": len(prompts), "jobs": a.jobs, "threads_per_job": threads,
               "wall_seconds": round(wall, 1), "ground_truth": checker.accuracy(gt, prompts), "runs": []}
    print("ground truth:", results["ground_truth"], flush=True)
    base = out[jobs[0]["name"]][0]
    for j in jobs:
        imgs, st, sec = out[j["name"]]
        if j["name"] == "two":
            results["two_shape"] = dict(n=len(caps), steps=j["steps"], guidance=j["guidance"], seconds=sec,
                                        accuracy=checker.accuracy(imgs, caps), **st)
            print("two-shape:", json.dumps(results["two_shape"]), flush=True)
            continue
        run = dict(name=j["name"], interval=j["interval"], steps=j["steps"], guidance=j["guidance"],
                   scheduler=j.get("scheduler", "pndm"), seconds=sec,
                   **st, accuracy=checker.accuracy(imgs, prompts))
        if j["steps"] == a.steps and j["guidance"] == a.guidance and j.get("scheduler") == a.scheduler:
            run["mean_abs_diff_vs_first"] = float(np.abs(imgs.astype(np.float32) - base.astype(np.float32)).mean())
        results["runs"].append(run)
        print(json.dumps(run), flush=True)
    with open(a.json, "w") as f:
        json.dump(results, f, indent=1)
    if a.sample_png:
        pick = [i for i in [0, 23, 47, 71, 95, 119, 143, 167] if i < len(prompts)]
        rows = [[out[jobs[0]["name"]][0][i] for i in pick]]
        if "dc3" in out and jobs[0]["name"] != "dc3":
            rows.append([out["dc3"][0][i] for i in pick])
        write_png(a.sample_png, grid(rows))
        with open(os.path.splitext(a.sample_png)[0] + ".txt", "w") as f:
            f.write(f"columns, left to right (row 1: {jobs[0]['name']}; row 2 if present: DeepCache N=3):\n")
            f.write("\n".join(prompts[i] for i in pick) + "\n")
    if a.save_images:
        os.makedirs(a.save_images, exist_ok=True)
        for name, (imgs, _, _) in out.items():
            np.save(os.path.join(a.save_images, f"images_{name}.npy"), imgs)


if __name__ == "__main__":
    main()
