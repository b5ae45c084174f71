#!/usr/bin/python3
"""Exports a TorchScript model of the registry to ONNX, for DJL's OnnxRuntime engine.

    /usr/bin/python3 models/export_onnx.py models/demo-defects/1/model.pt models/demo-defects/2/model.onnx

Build-time tool only (Debian's python3-torch 1.13 and python3-onnx; nothing Python runs in the
service). The ONNX graph takes the same input as the TorchScript model (N x C x H x W float, the
batch axis dynamic) and returns the same outputs; opset 13. The file is checked with
onnx.checker; whether it judges like the original is what the service's golden-set gate and
OnnxParityTest decide, not this script.

--break double-normalise writes a deliberately broken export for the tests: the normalisation
(x - 0.3) / 0.25 applied a second time inside the graph, the kind of mistake a real export makes
(a preprocessing step baked into the graph while the manifest still describes it). Its outputs are
still well-formed probabilities, so only the golden set can catch it.
"""
import argparse
import hashlib

import onnx
import torch


class DoubleNormalised(torch.nn.Module):
    def __init__(self, inner, mean, std):
        super().__init__()
        self.inner = inner
        self.mean = mean
        self.std = std

    def forward(self, x):
        return self.inner((x - self.mean) / self.std)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("torchscript")
    ap.add_argument("out")
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--outputs", default="scores", help="comma-separated output names")
    ap.add_argument("--break", dest="breakage", choices=["double-normalise"])
    ap.add_argument("--mean", type=float, default=0.30)
    ap.add_argument("--std", type=float, default=0.25)
    args = ap.parse_args()

    model = torch.jit.load(args.torchscript).eval()
    if args.breakage == "double-normalise":
        model = torch.jit.script(DoubleNormalised(model, args.mean, args.std).eval())
    names = args.outputs.split(",")
    example = torch.zeros(2, args.channels, args.size, args.size)
    axes = {"input": {0: "batch"}}
    for n in names:
        axes[n] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(model, example, args.out, input_names=["input"], output_names=names,
                          dynamic_axes=axes, opset_version=13, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(args.out))
    with open(args.out, "rb") as f:
        print(args.out, "sha256", hashlib.sha256(f.read()).hexdigest())


if __name__ == "__main__":
    main()
