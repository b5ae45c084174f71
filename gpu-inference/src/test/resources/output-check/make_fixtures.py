"""Writes the tiny TorchScript fixtures of OutputCheckTest (a few KB each) and their manifests.

Run from anywhere with Debian's torch (1.13):  /usr/bin/python3 make_fixtures.py
Each model takes N x 1 x 8 x 8 floats; what it returns depends only on the mean m of a frame's
input, so a test picks the output per frame by filling the frame with a constant:

  logits   N x 2 raw scores [2 + m, -1.5]: not probabilities (the service must refuse it at load)
  mixed    N x 2 probabilities of a softmax, except for frames whose mean is near
             1 -> [nan, nan]   2 -> [inf, 0]   3 -> [2, -1]   4 -> [7, 0.5]   5 -> [0.6, 0.6]
  mixed-line  the mixed model for frames of MONO8 pixels: std 0.2 makes pixel value p a mean of
             p / 51 (0 -> 0, good with score 0.5 = PASS at threshold 0.6; 51 -> NaN, 102 -> inf ...)
  anomaly  N x 1: 0.25 + 0.05 m for |m| < 0.5, else near 1 -> nan, 2 -> inf, 3 -> -1, 4 -> 7
"""
import hashlib
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


class Logits(torch.nn.Module):
    def forward(self, x):
        m = x.mean(dim=(1, 2, 3))
        return torch.stack([2.0 + m, torch.full_like(m, -1.5)], dim=1)


def near(m, k: float):
    return (m - k).abs() < 0.5


class Mixed(torch.nn.Module):
    def forward(self, x):
        m = x.mean(dim=(1, 2, 3))
        good = torch.softmax(torch.stack([-m, m], dim=1), dim=1)
        nan = torch.full_like(good, float("nan"))
        inf = torch.stack([torch.full_like(m, float("inf")), torch.zeros_like(m)], dim=1)
        neg = torch.stack([torch.full_like(m, 2.0), torch.full_like(m, -1.0)], dim=1)
        big = torch.stack([torch.full_like(m, 7.0), torch.full_like(m, 0.5)], dim=1)
        sum12 = torch.full_like(good, 0.6)
        out = good
        out = torch.where(near(m, 1.0).unsqueeze(1), nan, out)
        out = torch.where(near(m, 2.0).unsqueeze(1), inf, out)
        out = torch.where(near(m, 3.0).unsqueeze(1), neg, out)
        out = torch.where(near(m, 4.0).unsqueeze(1), big, out)
        out = torch.where(near(m, 5.0).unsqueeze(1), sum12, out)
        return out


class Anomaly(torch.nn.Module):
    def forward(self, x):
        m = x.mean(dim=(1, 2, 3))
        out = 0.25 + 0.05 * m
        out = torch.where(near(m, 1.0), torch.full_like(m, float("nan")), out)
        out = torch.where(near(m, 2.0), torch.full_like(m, float("inf")), out)
        out = torch.where(near(m, 3.0), torch.full_like(m, -1.0), out)
        out = torch.where(near(m, 4.0), torch.full_like(m, 7.0), out)
        return out.unsqueeze(1)


OUTPUTS = {
    "CLASS_SCORES": "  kind: CLASS_SCORES\n  classes: [good, defect]\n  defectClasses: [defect]\n",
    "ANOMALY_SCORE": "  kind: ANOMALY_SCORE\n",
}


# The camera-path fixture sends uniform test frames (one grey level each): its fitness limits are
# all off, so the output check is what decides.
QUALITY_OFF = (
    "quality:\n  minBrightness: 0.0\n  maxBrightness: 1.0\n  minContrast: 0.0\n"
    "  maxClippedFraction: 1.0\n  maxFlatCellFraction: 1.0\n  minSharpness: 0.0\n"
)


def write(name, module, kind, extra_output="", file=None, manifest_dir=None, std=1.0, threshold=0.5,
          quality=""):
    d = os.path.join(HERE, manifest_dir or name)
    os.makedirs(d, exist_ok=True)
    model = os.path.join(HERE, name, "model.pt")
    if file is None:
        os.makedirs(os.path.dirname(model), exist_ok=True)
        torch.jit.script(module).save(model)
    with open(model, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(d, "manifest.yaml"), "w") as f:
        f.write(
            "# Written by ../make_fixtures.py: a test fixture, not a model to serve.\n"
            f"name: {manifest_dir or name}\n"
            'version: "1"\n'
            f"file: {file or 'model.pt'}\n"
            f"sha256: {sha}\n"
            f"input:\n  width: 8\n  height: 8\n  channels: 1\n  mean: [0.0]\n  std: [{std}]\n"
            "output:\n" + OUTPUTS[kind] + extra_output + f"threshold: {threshold}\n" + quality
        )


write("logits", Logits(), "CLASS_SCORES")
write("mixed", Mixed(), "CLASS_SCORES")
write("anomaly", Anomaly(), "ANOMALY_SCORE")
# The same anomaly model with a declared range that admits -1 and 7 (and maps them to 0 and 1).
write("anomaly", None, "ANOMALY_SCORE", "  range: [-1.0, 7.0]\n", "../anomaly/model.pt", "anomaly-wide")
# The mixed model behind the camera path: MONO8 pixel p becomes p / 255 / 0.2 = p / 51.
write("mixed", None, "CLASS_SCORES", file="../mixed/model.pt", manifest_dir="mixed-line", std=0.2, threshold=0.6,
      quality=QUALITY_OFF)
