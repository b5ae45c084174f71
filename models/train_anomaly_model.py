#!/usr/bin/python3
"""Trains a good-parts-only anomaly model for the demo line and exports it (TorchScript and ONNX)
with its manifests. Build-time tool (Debian python3-torch 1.13, python3-onnx); nothing is downloaded.

    bin/inspect dataset --out /tmp/anom/train --count 3000 --seed 101 --defect-rate 0
    bin/inspect dataset --out /tmp/anom/calib --count 1000 --seed 202 --defect-rate 0
    bin/inspect dataset --out /tmp/anom/eval  --count 1500 --seed 303 --defect-rate 0.6
    /usr/bin/python3 models/train_anomaly_model.py --train /tmp/anom/train --calib /tmp/anom/calib \
        --eval /tmp/anom/eval --out models/demo-anomaly

Method (from scratch, no pretrained weights; DRAEM / CutPaste style): a small segmentation network
(about 60k parameters) learns to mark synthetic anomalies pasted into good parts: straight and bent
lines, sharp blobs, soft faint spots, patches of the image moved elsewhere, dark features inside a
bright area filled in. These are generic perturbations drawn here, never the simulator's defect
renderer; the training and calibration sets are refused if they hold a single defective image. The
exported graph returns (score, map): map the per-pixel anomaly probability, N x 1 x 128 x 128;
score the maximum of the 3x3-smoothed map, in [0, 1]. About 3 minutes on 2 cores.

Threshold rule (docs/models.md#anomaly-models): GOOD_QUANTILE, threshold = min(1, margin x the
quantile q of the scores of the held-out good calibration images), q = 0.995, margin = 1.0.

The evaluation set (a seed used nowhere else, defects of every kind the model never saw) gives the
image AUROC per defect kind and the accuracy at the calibrated threshold, and the same figures for
the supervised demo model (models/demo-defects/1) side by side.
"""
import argparse
import hashlib
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = 0.30
STD = 0.25
QUANTILE = 0.995
MARGIN = 1.0


def load(d, good_only):
    with open(os.path.join(d, "dataset.txt")) as f:
        params = dict(line.strip().split("=", 1) for line in f if "=" in line)
    side = int(params["side"])
    images = np.fromfile(os.path.join(d, "images.u8"), dtype=np.uint8).reshape(-1, 1, side, side)
    labels = np.loadtxt(os.path.join(d, "labels.csv"), delimiter=",", skiprows=1, usecols=1,
                        dtype=np.int64)
    kinds = np.loadtxt(os.path.join(d, "labels.csv"), delimiter=",", skiprows=1, usecols=2,
                       dtype=str)
    if good_only and labels.any():
        sys.exit(f"{d}: {int(labels.sum())} defective image(s); this model trains on good parts only")
    x = (torch.from_numpy(images).float() / 255.0 - MEAN) / STD
    return x, labels, kinds, params


def synthetic(x, rng):
    """Good images with synthetic anomalies pasted in (DRAEM / CutPaste style): generic
    perturbations, not the simulator's defect renderer. Returns (images, masks), half of them
    left untouched (empty mask). Works in pixel units 0..1, returns normalised images."""
    img = x * STD + MEAN
    n, _, h, w = img.shape
    masks = torch.zeros(n, 1, h, w)
    yy, xx = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(), indexing="ij")
    local = F.avg_pool2d(img, 21, stride=1, padding=10, count_include_pad=False)
    for i in range(n):
        if rng.random() < 0.5:
            continue
        kind = rng.integers(5)
        cy, cx = rng.uniform(16, h - 16), rng.uniform(16, w - 16)
        if kind == 0:  # a line (straight or bent), darker or brighter
            a = rng.uniform(0, np.pi)
            length = rng.uniform(6, 40)
            bend = rng.uniform(-0.03, 0.03)
            t = (xx - cx) * np.cos(a) + (yy - cy) * np.sin(a)
            d = -(xx - cx) * np.sin(a) + (yy - cy) * np.cos(a) - bend * t * t
            m = (d.abs() <= rng.uniform(0.5, 1.6)) & (t.abs() <= length / 2)
        elif kind == 1:  # a blob
            r1, r2 = rng.uniform(1.5, 6), rng.uniform(1.5, 6)
            m = ((xx - cx) / r1) ** 2 + ((yy - cy) / r2) ** 2 <= 1
        elif kind == 3:  # a soft, faint spot
            r = rng.uniform(1.5, 5)
            g = torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
            delta = rng.uniform(0.04, 0.3) * (1 if rng.random() < 0.5 else -1)
            img[i, 0] = (img[i, 0] + delta * g).clamp(0, 1)
            masks[i, 0][g > 0.3] = 1
            continue
        elif kind == 4:  # a dark feature inside a bright area filled in (a feature removed)
            cand = ((img[i, 0] < 0.35) & (local[i, 0] > 0.45)).nonzero()
            if len(cand) == 0:
                continue
            cy, cx = cand[rng.integers(len(cand))].float().tolist()
            r = rng.uniform(5, 9)
            m = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
            changed = m & (img[i, 0] < local[i, 0] - 0.1)
            img[i, 0][m] = torch.maximum(img[i, 0][m], local[i, 0][m] + torch.randn(int(m.sum())) * 0.02)
            masks[i, 0][changed] = 1
            continue
        else:  # a patch of the same image moved elsewhere (covers or adds a feature)
            r = rng.uniform(4, 10)
            m = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
            sy, sx = int(rng.integers(-40, 41)), int(rng.integers(-40, 41))
            src = torch.roll(img[i, 0], shifts=(sy, sx), dims=(0, 1))
            changed = m & ((src - img[i, 0]).abs() > 0.08)
            if changed.sum() < 4:
                continue
            img[i, 0][m] = src[m]
            masks[i, 0][changed] = 1
            continue
        if m.sum() == 0:
            continue
        level = img[i, 0][m].mean()
        delta = rng.uniform(0.12, 0.5) * (1 if rng.random() < 0.5 else -1)
        img[i, 0][m] = (level + delta + torch.randn(int(m.sum())) * 0.02).clamp(0, 1)
        masks[i, 0][m] = 1
    return (img - MEAN) / STD, masks


class SegNet(nn.Module):
    """Per-pixel anomaly logits, 128 -> 32 (dilated context) -> 128; about 60k parameters."""

    def __init__(self):
        super().__init__()
        def conv(cin, cout, stride=1, dil=1):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=dil, dilation=dil),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
        self.stem = conv(1, 12)
        self.down = nn.Sequential(conv(12, 24, 2), conv(24, 32, 2), conv(32, 32, 1, 2),
                                  conv(32, 32, 1, 4), conv(32, 32, 1, 8))
        self.up = nn.Sequential(nn.Upsample(scale_factor=4.0, mode="bilinear", align_corners=False))
        self.head = nn.Sequential(conv(32 + 12, 16), nn.Conv2d(16, 1, 1))

    def forward(self, x):
        s = self.stem(x)
        u = self.up(self.down(s))
        return self.head(torch.cat([u, s], 1))


class AnomalyMap(nn.Module):
    """What the service runs: (image score in [0, 1], per-pixel map in [0, 1])."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        m = torch.sigmoid(self.net(x))
        smooth = F.avg_pool2d(m, 3, stride=1, padding=1, count_include_pad=False)
        return torch.amax(smooth, dim=(1, 2, 3)), m


def scores(model, x, batch=200):
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            s = model(x[i:i + batch])
            out.append((s[0] if isinstance(s, tuple) else s[:, 1]).numpy())
    return np.concatenate(out)


def auroc(neg, pos):
    """P(score of a defect > score of a good part), ties counted half."""
    neg = np.sort(neg)
    lo = np.searchsorted(neg, pos, side="left")
    hi = np.searchsorted(neg, pos, side="right")
    return float(np.mean((lo + hi) / 2.0) / len(neg))


def report(name, s, labels, kinds, threshold):
    good = s[labels == 0]
    lines = [f"{name}: threshold {threshold:.4f}; all defects AUROC {auroc(good, s[labels == 1]):.4f}, "
             f"accuracy {np.mean((s >= threshold) == (labels == 1)):.4f}, "
             f"good parts passed {np.mean(good < threshold):.4f} ({int(np.sum(good >= threshold))} of {len(good)} failed)"]
    for k in sorted(set(kinds[labels == 1])):
        d = s[kinds == k]
        lines.append(f"  {k:16s} n={len(d):4d} AUROC {auroc(good, d):.4f} "
                     f"caught at threshold {np.mean(d >= threshold):.4f}")
    print("\n".join(lines))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--calib", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--out", required=True, help="registry model directory, e.g. models/demo-anomaly")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--limit", type=int, default=2000, help="training images used")
    ap.add_argument("--supervised", default="models/demo-defects/1/model.pt")
    args = ap.parse_args()
    torch.manual_seed(7)
    np.random.seed(7)
    torch.set_num_threads(2)

    xtr, _, _, ptr = load(args.train, True)
    xtr = xtr[:args.limit]
    xca, _, _, pca = load(args.calib, True)
    xev, yev, kev, pev = load(args.eval, False)
    print(f"train {len(xtr)} good, calibration {len(xca)} good, evaluation {len(xev)} "
          f"({int(yev.sum())} defective)")

    net = SegNet()
    rng = np.random.default_rng(7)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    steps = args.epochs * ((len(xtr) + 31) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    t0 = time.time()
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(xtr))
        total = 0.0
        for i in range(0, len(xtr), 32):
            xb, mb = synthetic(xtr[perm[i:i + 32]], rng)
            logits = net(xb)
            loss = F.binary_cross_entropy_with_logits(logits, mb, pos_weight=torch.tensor(10.0))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(xb)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / len(xtr):.5f} ({time.time() - t0:.0f} s)",
              flush=True)
    net.eval()
    model = AnomalyMap(net).eval()
    s_ca = scores(model, xca)
    q = float(np.quantile(s_ca, QUANTILE))
    threshold = min(1.0, MARGIN * q)

    s_ev = scores(model, xev)
    lines = report("anomaly model (good parts only)", s_ev, yev, kev, threshold)
    sup = torch.jit.load(args.supervised).eval()
    lines += report("supervised demo model (demo-defects@1)", scores(sup, xev), yev, kev, 0.5)

    os.makedirs(os.path.join(args.out, "1"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "2"), exist_ok=True)
    pt = os.path.join(args.out, "1", "model.pt")
    scripted = torch.jit.script(model)
    scripted.save(pt)
    onnx_path = os.path.join(args.out, "2", "model.onnx")
    example = torch.zeros(2, 1, 128, 128)
    with torch.no_grad():
        torch.onnx.export(model, example, onnx_path, input_names=["input"],
                          output_names=["score", "map"], opset_version=13,
                          dynamic_axes={"input": {0: "batch"}, "score": {0: "batch"},
                                        "map": {0: "batch"}})
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))

    source = (f"inspect dataset --count {pca['count']} --seed {pca['seed']} --defect-rate 0 "
              f"(held out: training used seed {ptr['seed']})")
    for version, path, engine, fname in (("1", pt, "pytorch", "model.pt"),
                                         ("2", onnx_path, "onnxruntime", "model.onnx")):
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        with open(os.path.join(args.out, version, "manifest.yaml"), "w") as f:
            f.write(f"""# Good-parts-only anomaly model of the demo line ({'TorchScript' if engine == 'pytorch' else 'ONNX export of the same network'}).
# Written by models/train_anomaly_model.py: a small segmentation network trained on {len(xtr)} good
# parts only, with synthetic anomalies pasted in (lines, blobs, moved patches: not the simulator's
# defects); map = per-pixel anomaly probability, score = max of the 3x3-smoothed map.
# docs/models.md#anomaly-models
name: demo-anomaly
version: "{version}"
engine: {engine}
file: {fname}
sha256: {sha}
input:
  width: 128
  height: 128
  channels: 1
  pixelFormat: MONO8
  resize: AREA
  mean: [{MEAN}]
  std: [{STD}]
output:
  kind: ANOMALY_MAP
  range: [0, 1]
  mapWidth: 128
  mapHeight: 128
threshold: {threshold:.6f}
calibration:
  rule: GOOD_QUANTILE
  quantile: {QUANTILE}
  margin: {MARGIN}
  images: {len(xca)}
  source: "{source}"
  quantileScore: {q:.6f}
golden: ../../demo-defects/1/golden/labels.csv   # the demo line's 120 pinned images, every defect kind
""")
    with open(os.path.join(args.out, "1", "training.log"), "w") as f:
        f.write(f"train {args.train} ({len(xtr)} good), calibration {args.calib}, evaluation "
                f"{args.eval} (seed {pev['seed']}), epochs {args.epochs}, "
                f"{time.time() - t0:.0f} s\n" + "\n".join(lines) + "\n")
    print(f"wrote {args.out}/1 (TorchScript) and {args.out}/2 (ONNX); threshold {threshold:.6f} "
          f"(quantile {QUANTILE} of {len(xca)} good scores {q:.6f} x margin {MARGIN})")


if __name__ == "__main__":
    main()
