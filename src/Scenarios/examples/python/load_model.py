#!/usr/bin/env python3
"""Load a FedSim results folder's model.safetensors into a PyTorch module.

    python3 load_model.py RESULTS_FOLDER

model.json names the architecture; the module below has the same parameter names and shapes, so the
state dict loads with strict=True. Reads safetensors with the `safetensors` package when it is installed,
else with the format's own definition (an 8-byte little-endian header size, a JSON header, the raw data),
so PyTorch alone is enough. Prints the parameter count (summary.json's "model.parameters") and the
module's predictions for a few all-zero inputs.
"""
import json
import struct
import sys
from pathlib import Path

import torch
from torch import nn


def read_safetensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(str(path))
    except ImportError:
        pass
    raw = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    data = raw[8 + size:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(entry["shape"])
    return tensors


class FedSimModel(nn.Module):
    """FedSim's logistic, mlp and cnn models under FedSim's parameter names."""

    def __init__(self, spec):
        super().__init__()
        self.kind = spec["kind"]
        if self.kind == "logistic":
            self.fc = nn.Linear(spec["input_features"], spec["classes"])
        elif self.kind == "mlp":
            widths = [spec["input_features"], *spec["hidden"]]
            for i in range(len(spec["hidden"])):
                setattr(self, f"fc{i + 1}", nn.Linear(widths[i], widths[i + 1]))
            self.out = nn.Linear(widths[-1], spec["classes"])
        elif self.kind == "cnn":
            channels, height, width = spec["image"]
            c1, c2 = spec["channels"]
            self.image = (channels, height, width)
            self.conv1 = nn.Conv2d(channels, c1, 5, padding=2)
            self.conv2 = nn.Conv2d(c1, c2, 5, padding=2)
            self.fc1 = nn.Linear(c2 * (height // 4) * (width // 4), spec["dense"])
            self.fc2 = nn.Linear(spec["dense"], spec["classes"])
        else:
            raise ValueError(f"unknown model kind {self.kind}")

    def forward(self, x):
        if self.kind == "logistic":
            return self.fc(x)
        if self.kind == "mlp":
            for i in range(1, len([n for n, _ in self.named_children() if n.startswith("fc")]) + 1):
                x = torch.relu(getattr(self, f"fc{i}")(x))
            return self.out(x)
        x = x.reshape(-1, *self.image)
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    spec = json.loads((folder / "model.json").read_text())
    model = FedSimModel(spec)
    model.load_state_dict(read_safetensors(folder / "model.safetensors"), strict=True)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{spec['kind']}: {parameters} parameters")
    with torch.no_grad():
        print("predictions for zeros:", model(torch.zeros(3, spec["input_features"])).argmax(1).tolist())


if __name__ == "__main__":
    main()
