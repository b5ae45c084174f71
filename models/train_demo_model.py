#!/usr/bin/python3
"""Trains the embedded demo defect model and exports it as TorchScript with its manifest.

Reproducible from the repository alone (no downloads):

    apt-get install python3-torch python3-numpy          # Debian 12: torch 1.13, CPU
    bin/inspect dataset --out /tmp/ds-train --count 8000 --seed 1
    bin/inspect dataset --out /tmp/ds-test  --count 1000 --seed 999
    /usr/bin/python3 models/train_demo_model.py --train /tmp/ds-train --test /tmp/ds-test \
        --out models/demo-defects/1

The datasets come from the camera simulator's renderer (`inspect dataset`): grey parts rendered at
256x256 and box-averaged to 128x128, labelled good/defect. The network sees
(pixel / 255 - mean) / std, 1x128x128, and outputs softmax probabilities [good, defect].
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


def load(dataset_dir):
    with open(os.path.join(dataset_dir, "dataset.txt")) as f:
        params = dict(line.strip().split("=", 1) for line in f if "=" in line)
    side = int(params["side"])
    images = np.fromfile(os.path.join(dataset_dir, "images.u8"), dtype=np.uint8)
    images = images.reshape(-1, 1, side, side)
    labels = np.loadtxt(os.path.join(dataset_dir, "labels.csv"), delimiter=",", skiprows=1,
                        usecols=1, dtype=np.int64)
    kinds = np.loadtxt(os.path.join(dataset_dir, "labels.csv"), delimiter=",", skiprows=1,
                       usecols=2, dtype=str)
    assert len(images) == len(labels), "images and labels disagree"
    x = (torch.from_numpy(images).float() / 255.0 - MEAN) / STD
    return x, torch.from_numpy(labels), kinds, side


class DefectNet(nn.Module):
    """Four conv blocks (128 -> 8), then global average and max pooling, then a linear layer."""

    def __init__(self):
        super().__init__()
        chans = [1, 16, 32, 48, 64]
        self.blocks = nn.ModuleList()
        for cin, cout in zip(chans[:-1], chans[1:]):
            self.blocks.append(nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2)))
        self.head = nn.Linear(128, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        pooled = torch.cat([F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)], dim=1)
        return torch.softmax(self.head(torch.flatten(pooled, 1)), dim=1)


def evaluate(model, x, y, batch=256):
    model.eval()
    correct = 0
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            p = model(x[i:i + batch])[:, 1]
            preds.append(p)
    p = torch.cat(preds)
    correct = int(((p >= 0.5).long() == y).sum())
    return correct / len(y), p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)

    x, y, _, side = load(args.train)
    xt, yt, kinds_t, side_t = load(args.test)
    assert side == side_t
    print(f"train {len(x)} images, test {len(xt)}, side {side}, defective {float(y.float().mean()):.2f}",
          flush=True)

    model = DefectNet()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = args.epochs * ((len(x) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            xb = x[idx]
            if torch.rand(1).item() < 0.5:
                xb = torch.flip(xb, dims=[3])
            if torch.rand(1).item() < 0.5:
                xb = torch.flip(xb, dims=[2])
            probs = model(xb)
            loss = F.nll_loss(torch.log(probs + 1e-7), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        acc, _ = evaluate(model, xt, yt)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(x):.4f}, test accuracy {acc:.4f}, "
              f"{time.time() - started:.0f} s", flush=True)

    acc, p = evaluate(model, xt, yt)
    for kind in sorted(set(kinds_t)):
        mask = torch.from_numpy(kinds_t == kind)
        k_acc = float(((p[mask] >= 0.5).long() == yt[mask]).float().mean())
        print(f"  {kind:16s} n={int(mask.sum()):4d} accuracy {k_acc:.4f}")

    os.makedirs(args.out, exist_ok=True)
    model.eval()
    scripted = torch.jit.script(model)
    path = os.path.join(args.out, "model.pt")
    scripted.save(path)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    manifest = f"""# Manifest of the embedded demo model. Written by models/train_demo_model.py; the SHA-256
# must match model.pt or the service refuses to load it.
name: demo-defects
version: "1"
file: model.pt
sha256: {sha}
input:
  width: {side}
  height: {side}
  channels: 1
  pixelFormat: MONO8
  resize: AREA
  mean: [{MEAN}]
  std: [{STD}]
output:
  kind: CLASS_SCORES
  classes: [good, defect]
  defectClasses: [defect]
threshold: 0.5
trainedOn: "inspect dataset --count {len(x)} --seed 1 (camera 256x256 -> {side}x{side}); test set seed 999"
testAccuracy: {acc:.4f}
"""
    with open(os.path.join(args.out, "manifest.yaml"), "w") as f:
        f.write(manifest)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, sha256 {sha}), test accuracy {acc:.4f}")


if __name__ == "__main__":
    sys.exit(main())
