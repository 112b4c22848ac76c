#!/usr/bin/env python3
"""FedAvg on tiny Shakespeare in plain PyTorch: the independent cross-check of FedSim's Shakespeare LSTM curve.

Written from the description of the setting alone, sharing no code with FedSim: the speakers, windows and vocabulary
as FedSim's `shakespeare` dataset kind defines them (speeches are blank-line separated blocks opened by 'NAME:'; a
speaker's speeches joined by newlines; non-overlapping windows of 81 characters, the first 80 predicting the next
character at every position; tokens '\\n' then printable ASCII 32..126; speakers with fewer than --min-windows windows
left out; a seeded 10% of each speaker's windows held out), McMahan et al. 2017's LSTM (embedding 8, two nn.LSTM layers
of 256, a dense head), and FedAvg (McMahan et al. 2017, Algorithm 1): each round a uniform --fraction of the speakers
without replacement, --epochs local epochs of SGD in batches of --batch, the example-weighted mean of their models.
The split and the cohorts are drawn by this script's own seeded generator, so the two curves agree in distribution,
not sample for sample.

Prints one CSV row per evaluated round: round, test_accuracy (per predicted character), test_loss (per-token
cross-entropy), seconds (wall time of that round's training and aggregation), total_seconds (the same summed over
every round so far; evaluation excluded).

    python3 bench/shakespeare_fedavg.py --rounds 40 --eval-every 5 > pytorch-curve.csv
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONTEXT = 80
WINDOW = CONTEXT + 1
VOCAB = ["\n"] + [chr(c) for c in range(32, 127)]
TOKEN = {c: i for i, c in enumerate(VOCAB)}


def speakers(path):
    """{name: text}: each speaker's speeches joined by newlines, in the order the file names them."""
    texts = {}
    current = None
    for line in open(path, encoding="utf-8").read().split("\n"):
        if not line.strip():
            current = None
            continue
        if current is None:
            current = line[:-1].strip()
            texts.setdefault(current, [])
            continue
        texts[current].append(line)
    return {name: "\n".join(lines) for name, lines in texts.items() if lines}


def windows(text):
    ids = [TOKEN[c] for c in text]
    return [ids[i:i + WINDOW] for i in range(0, len(ids) - WINDOW + 1, WINDOW)]


def load(texts, min_windows, test_fraction, generator):
    """Per kept speaker its training windows (one tensor each); every held-out window in one tensor."""
    train, test = [], []
    for name in sorted(texts):
        rows = windows(texts[name])
        if len(rows) < min_windows:
            continue
        order = torch.randperm(len(rows), generator=generator).tolist()
        held = min(len(rows) - 1, round(test_fraction * len(rows)))
        train.append(torch.tensor([rows[i] for i in order[held:]]))
        test.extend(rows[i] for i in order[:held])
    return train, torch.tensor(test)


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(len(VOCAB), 8)
        self.lstm = nn.LSTM(8, 256, 2, batch_first=True)
        self.out = nn.Linear(256, len(VOCAB))

    def forward(self, ids):
        return self.out(self.lstm(self.embedding(ids))[0])


def loss_of(model, batch):
    logits = model(batch[:, :CONTEXT])
    return F.cross_entropy(logits.reshape(-1, len(VOCAB)), batch[:, 1:].reshape(-1))


def local_training(model, start, data, epochs, batch, lr, generator):
    model.load_state_dict(start)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=generator)
        for i in range(0, len(data), batch):
            optimizer.zero_grad()
            loss_of(model, data[order[i:i + batch]]).backward()
            optimizer.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@torch.no_grad()
def evaluate(model, state, test):
    model.load_state_dict(state)
    correct, loss = 0, 0.0
    for i in range(0, len(test), 512):
        batch = test[i:i + 512]
        logits = model(batch[:, :CONTEXT])
        targets = batch[:, 1:]
        correct += (logits.argmax(-1) == targets).sum().item()
        loss += F.cross_entropy(logits.reshape(-1, len(VOCAB)), targets.reshape(-1), reduction="sum").item()
    return correct / test[:, 1:].numel(), loss / test[:, 1:].numel()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "tinyshakespeare", "input.txt"))
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--fraction", type=float, default=0.1, help="share of speakers sampled each round (C)")
    p.add_argument("--epochs", type=int, default=1, help="local epochs (E)")
    p.add_argument("--batch", type=int, default=10, help="local batch size (B)")
    p.add_argument("--lr", type=float, default=1.47)
    p.add_argument("--min-windows", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train, test = load(speakers(args.data), args.min_windows, 0.1, generator)
    per_round = max(1, int(args.fraction * len(train)))  # m = max(C·K, 1), as McMahan et al.'s Algorithm 1
    print(f"# {len(train)} speakers, {sum(len(t) for t in train)} train / {len(test)} test windows, {per_round} a round, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)

    model = Lstm()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    print("round,test_accuracy,test_loss,seconds,total_seconds")
    total_seconds = 0.0
    for r in range(1, args.rounds + 1):
        started = time.perf_counter()
        cohort = torch.randperm(len(train), generator=generator)[:per_round].tolist()
        total = sum(len(train[d]) for d in cohort)
        new_state = {k: torch.zeros_like(v, dtype=torch.float64) for k, v in state.items()}
        for d in cohort:
            trained = local_training(model, state, train[d], args.epochs, args.batch, args.lr, generator)
            for k in new_state:
                new_state[k] += trained[k].double() * (len(train[d]) / total)
        state = {k: v.float() for k, v in new_state.items()}
        seconds = time.perf_counter() - started
        total_seconds += seconds
        if r % args.eval_every == 0 or r == args.rounds:
            accuracy, loss = evaluate(model, state, test)
            print(f"{r},{accuracy:.6f},{loss:.6f},{seconds:.3f},{total_seconds:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
