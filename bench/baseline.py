#!/usr/bin/env python3
"""Plain-PyTorch baseline for `fedsim bench`: the same workloads, trained the way most FL simulators do it.

One client after another, each with an ordinary ``nn.Module`` and ``torch.optim.SGD``, minibatches copied to the
device per step and the client's update copied back to the host (as Flower-style clients return numpy arrays).
``--batched`` adds the batched variants a PyTorch user can write by hand: every client of a workload trained at once
with ``vmap`` over ``grad`` of a functional forward (``torch.func`` on torch 2, ``functorch`` on torch 1.13), for every
model, and the MLP once more with hand-stacked ``torch.bmm``. ``--check`` trains a few clients both ways and prints
how far the vmap updates are from the per-client loop's (same weights, same batches); it exits 1 past the tolerance.

Workloads (sizes are flags; `fedsim bench` passes the sizes it ran itself):
  mlp    MLP 784-200-200-10 on MNIST-shaped random (seeded) data: clients x steps x batch.
  cnn    The FEMNIST CNN (conv5x5 32 pad 2, pool, conv5x5 64 pad 2, pool, dense 512, 62 classes) on 1x28x28 inputs.
  round  One FedAvg round: every client trains E epochs over its own samples in batches of B, then the server
         averages the updates weighted by example count and evaluates the new global model.

Threads: --threads is the total number of compute threads (`fedsim bench` passes FedSim's pool workers x torch
intra-op threads), split between torch's intra-op pool and the BLAS library's own pool so that their product is that
total: a BLAS with a thread pool of its own (OpenBLAS or BLIS built with pthreads) would otherwise add its threads on
top of torch's and oversubscribe the cores. The BLAS named in the report is the one actually mapped into this process
(/proc/self/maps), not what torch was built against.

Prints a human summary, or one JSON object with --json. Only timing is measured; the data is random.
"""
import argparse
import ctypes
import json
import os
import platform
import re
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def parse_ints(text):
    return [int(v) for v in text.split(",") if v.strip()]


def build_blas_info():
    """BLAS_INFO from torch's build config: what torch was built against ('generic' on Debian: any libblas.so.3)."""
    match = [part for part in torch.__config__.show().replace(",", "\n").splitlines() if "BLAS_INFO" in part and "LAPACK" not in part]
    return match[0].split("=", 1)[1].strip() if match else "unknown"


# Shared objects that are (or carry) a BLAS, by file name.
BLAS_FILE = re.compile(r"^lib(openblas\w*|blas|cblas|mkl_rt|mkl_core|blis\w*|flexiblas|tatlas|satlas|atlas)[.-]")


def mapped_libraries():
    """Paths of the shared objects mapped into this process, in load order (Linux; empty elsewhere)."""
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].startswith("/") and ".so" in fields[5]:
                    path = fields[5].strip()
                    if path not in paths:
                        paths.append(path)
    except OSError:
        pass
    return paths


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _dladdr_file(address):
    """The file that holds `address` (dladdr), or None."""
    try:
        libc = ctypes.CDLL(None)
        dladdr = libc.dladdr
        dladdr.argtypes, dladdr.restype = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)], ctypes.c_int
        info = _DlInfo()
        if address and dladdr(address, ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(os.fsdecode(info.dli_fname))
    except (AttributeError, OSError):
        pass
    return None


def gemm_provider(mapped):
    """The file whose sgemm_ torch's own calls bind to: looked up from libtorch_cpu's scope (its dependencies in
    load order, as the dynamic linker resolves them), then named with dladdr. Several BLAS builds can be mapped at
    once (Debian's liblapack can pull in one OpenBLAS while libblas.so.3 is another, or the reference BLAS); this is
    the one that runs torch's matrix products. None when it cannot be told (no libtorch_cpu, symbol not exported)."""
    torch_cpu = next((p for p in mapped if os.path.basename(p).startswith("libtorch_cpu")), None)
    if torch_cpu is None:
        return None
    try:
        return _dladdr_file(ctypes.cast(getattr(ctypes.CDLL(torch_cpu), "sgemm_"), ctypes.c_void_p).value)
    except (AttributeError, OSError):
        return None


def _symbol(lib, name, restype, *argtypes):
    """A function reachable from `lib`'s handle (the library and its dependencies, in load order), or None."""
    try:
        fn = getattr(lib, name)
    except AttributeError:
        return None
    fn.restype, fn.argtypes = restype, list(argtypes)
    return fn


class Blas:
    """The BLAS doing torch's matrix products in this process, and the knobs of its own thread pool.

    `interface` is the file torch's sgemm_ binds to; `path` the one holding the engine and its thread pool. They
    differ on Debian, whose libblas.so.3 for OpenBLAS is a thin interface over libopenblas.so.0 (a separate
    alternative, so the two can even come from different OpenBLAS builds: the engine's own report wins)."""

    def __init__(self):
        mapped = mapped_libraries()
        self.paths = [os.path.realpath(p) for p in mapped if BLAS_FILE.match(os.path.basename(p))]
        self.interface = gemm_provider(mapped)
        self.library, self.threading, self.path, self._get, self._set = None, None, self.interface, None, None
        if self.interface is None or os.path.basename(self.interface).startswith("libtorch"):
            # torch carries its BLAS inside (pip wheels link MKL statically), sharing torch's OpenMP pool.
            self.library, self.threading = f"linked into torch (built with {build_blas_info()})", "shared with torch"
            return
        lib = ctypes.CDLL(self.interface)  # already loaded: this only looks its symbols up
        config = _symbol(lib, "openblas_get_config", ctypes.c_char_p)
        mkl = _symbol(lib, "MKL_Get_Max_Threads", ctypes.c_int)
        blis = _symbol(lib, "bli_info_get_version_str", ctypes.c_char_p)
        if config is not None:
            parallel = _symbol(lib, "openblas_get_parallel", ctypes.c_int)
            self.threading = {0: "sequential", 1: "pthreads", 2: "openmp"}.get(parallel() if parallel else -1, "unknown")
            self.library = f"OpenBLAS ({config().decode().strip()})"
            self.path = _dladdr_file(ctypes.cast(config, ctypes.c_void_p).value) or self.interface
            self._get = _symbol(lib, "openblas_get_num_threads", ctypes.c_int)
            self._set = _symbol(lib, "openblas_set_num_threads", None, ctypes.c_int)
        elif mkl is not None:
            self.library, self.threading = "Intel MKL", "openmp"
            self.path = _dladdr_file(ctypes.cast(mkl, ctypes.c_void_p).value) or self.interface
            self._get, self._set = mkl, _symbol(lib, "MKL_Set_Num_Threads", None, ctypes.c_int)
        elif blis is not None:
            self.library, self.threading = f"BLIS {blis().decode()}", "own pool"
            self.path = _dladdr_file(ctypes.cast(blis, ctypes.c_void_p).value) or self.interface
            self._get = _symbol(lib, "bli_thread_get_num_threads", ctypes.c_long)
            self._set = _symbol(lib, "bli_thread_set_num_threads", None, ctypes.c_long)
        else:
            # A libblas.so.3 with none of the above: the reference (netlib) BLAS, single-threaded.
            self.library, self.threading = "reference BLAS (netlib)", "sequential"

    @property
    def own_pool(self):
        """True when the BLAS runs its own threads beside torch's OpenMP pool (they multiply)."""
        return self.threading in ("pthreads", "own pool")

    def threads(self):
        """The BLAS's own thread count: 1 sequential; torch's for one sharing torch's OpenMP pool; else its own
        setting (None when a pthreads build offers no way to ask)."""
        if self.threading == "sequential":
            return 1
        if self.threading in ("openmp", "shared with torch"):
            return torch.get_num_threads()
        return int(self._get()) if self._get is not None else None

    def set_threads(self, n):
        if self._set is not None:
            self._set(n)


def split_threads(total, blas, blas_threads=0):
    """Torch intra-op and BLAS threads whose product is `total`. A BLAS with its own pool gets the threads (matrix
    products are where the time goes) and torch keeps one; otherwise torch's pool is the only one and gets them all."""
    if blas.own_pool:
        b = blas_threads or total
        return max(1, total // b), b
    return total, blas_threads or total


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def mlp_module(features, hidden, classes):
    layers, prev = [], features
    for width in hidden:
        layers += [nn.Linear(prev, width), nn.ReLU()]
        prev = width
    layers.append(nn.Linear(prev, classes))
    return nn.Sequential(*layers)


def cnn_module(channels, height, width, conv, dense, classes):
    c1, c2 = conv
    flat = c2 * (height // 4) * (width // 4)
    return nn.Sequential(
        nn.Conv2d(channels, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(flat, dense), nn.ReLU(), nn.Linear(dense, classes))


class LstmModel(nn.Module):
    """McMahan et al. 2017's Shakespeare LSTM: embedding, stacked nn.LSTM, a dense head at every position."""

    def __init__(self, vocab, embedding, units, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, units, layers, batch_first=True)
        self.out = nn.Linear(units, vocab)

    def forward(self, ids):
        output, _ = self.lstm(self.embedding(ids))
        return self.out(output)


class DecoderBlock(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.fc, self.proj = nn.Linear(width, mlp), nn.Linear(mlp, width)

    def forward(self, h, causal):
        a = self.ln1(h)
        h = h + self.attn(a, a, a, attn_mask=causal, need_weights=False)[0]
        return h + self.proj(F.gelu(self.fc(self.ln2(h))))


class DecoderModel(nn.Module):
    """The causal pre-LayerNorm decoder FedSim's transformer kind trains (same sizes)."""

    def __init__(self, vocab, context, width, layers, heads, mlp):
        super().__init__()
        self.token, self.position = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList([DecoderBlock(width, heads, mlp) for _ in range(layers)])
        self.ln_f, self.out = nn.LayerNorm(width), nn.Linear(width, vocab)

    def forward(self, ids):
        t = ids.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=ids.device).triu(1)
        h = self.token(ids) + self.position(torch.arange(t, device=ids.device))
        for block in self.blocks:
            h = block(h, causal)
        return self.out(self.ln_f(h))


def next_token_loss(logits, x, y):
    """Mean cross-entropy of every position's next token (the label after the last position)."""
    targets = torch.cat([x[:, 1:], y[:, None]], 1)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def flat_params(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def load_flat(model, flat):
    offset = 0
    with torch.no_grad():
        for p in model.parameters():
            n = p.numel()
            p.copy_(flat[offset:offset + n].view_as(p))
            offset += n


class Pool:
    """A seeded pool of random samples on the host; clients draw their own (overlapping) index sets from it."""

    def __init__(self, rows, shape, classes, seed, tokens=False):
        g = torch.Generator().manual_seed(seed)
        # Token ids for a language model (shape = (context,)), standard-normal values otherwise.
        self.x = torch.randint(0, classes, (rows,) + tuple(shape), generator=g) if tokens else torch.randn((rows,) + tuple(shape), generator=g)
        self.y = torch.randint(0, classes, (rows,), generator=g)
        self.rows = rows
        self.loss = (lambda logits, x, y: next_token_loss(logits, x, y)) if tokens else (lambda logits, x, y: F.cross_entropy(logits, y))

    def client_indices(self, client, count, seed):
        g = torch.Generator().manual_seed(seed * 1_000_003 + client)
        return torch.randint(0, self.rows, (count,), generator=g)


def train_client(model, global_flat, pool, indices, batch, epochs, lr, device, seed):
    """One client's local training, the ordinary way. Returns (delta on the host, steps, examples)."""
    load_flat(model, global_flat)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    steps = 0
    for _ in range(epochs):
        order = indices[torch.randperm(len(indices), generator=g)]
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            x = pool.x[rows].to(device, non_blocking=True)
            y = pool.y[rows].to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = pool.loss(model(x), x, y)
            loss.backward()
            opt.step()
            steps += 1
    delta = (flat_params(model) - global_flat).cpu()  # clients hand their update back as host arrays
    return delta, steps, len(indices)


def sequential_workload(make_model, pool, clients, steps, batch, lr, device, seed):
    model = make_model().to(device)
    global_flat = flat_params(model).clone()
    total = 0
    for c in range(clients):
        idx = pool.client_indices(c, steps * batch, seed)
        _, s, _ = train_client(model, global_flat, pool, idx, batch, 1, lr, device, seed + c)
        total += s
    sync(device)
    return total


def batched_mlp_workload(pool, clients, steps, batch, features, hidden, classes, lr, device, seed):
    """All clients at once: stacked weights [C, in, out], one bmm per layer per step, plain SGD."""
    dims = [features] + hidden + [classes]
    g = torch.Generator().manual_seed(seed)
    ws, bs = [], []
    for i in range(len(dims) - 1):
        bound = 1.0 / dims[i] ** 0.5
        w = (torch.rand(dims[i], dims[i + 1], generator=g) * 2 - 1) * bound
        b = (torch.rand(dims[i + 1], generator=g) * 2 - 1) * bound
        ws.append(w.expand(clients, -1, -1).clone().to(device).requires_grad_())
        bs.append(b.expand(clients, -1).clone().to(device).requires_grad_())
    idx = torch.stack([pool.client_indices(c, steps * batch, seed) for c in range(clients)])  # [C, steps*B]
    for t in range(steps):
        rows = idx[:, t * batch:(t + 1) * batch]
        x = pool.x[rows].reshape(clients, batch, -1).to(device, non_blocking=True)
        y = pool.y[rows].reshape(-1).to(device, non_blocking=True)
        h = x
        for i in range(len(ws)):
            h = torch.baddbmm(bs[i].unsqueeze(1), h, ws[i])
            if i < len(ws) - 1:
                h = F.relu(h)
        # Sum of per-client mean losses: each client's gradient equals its own mean-loss gradient.
        loss = F.cross_entropy(h.reshape(clients * batch, -1), y, reduction="sum") / batch
        grads = torch.autograd.grad(loss, ws + bs)
        with torch.no_grad():
            for p, gr in zip(ws + bs, grads):
                p.sub_(lr * gr)
    deltas = torch.cat([p.detach().reshape(clients, -1) for p in ws + bs], dim=1).cpu()
    sync(device)
    return clients * steps if deltas.numel() else 0


# The functional API: torch.func on torch 2, functorch on torch 1.13 (the same functions under their older home).
try:
    from torch.func import functional_call, grad, vmap
    FUNCTIONAL_API = "torch.func"
except ImportError:  # torch < 2.0
    import functorch
    from functorch import grad, vmap
    FUNCTIONAL_API = "functorch"


def module_forward(model):
    """forward(params, x) of an nn.Module, params a tuple in named_parameters() order."""
    if FUNCTIONAL_API == "torch.func":
        names = [n for n, _ in model.named_parameters()]
        return lambda params, x: functional_call(model, dict(zip(names, params)), (x,))
    forward, _ = functorch.make_functional(model)
    return forward


def lstm_forward(model):
    """LstmModel's forward written out (nn.LSTM's gate order i, f, g, o; zero initial state), reading the module's own
    parameters by name: vmap has no batching rule for the fused LSTM kernel, so a hand-batched LSTM is written this way."""
    names = [n for n, _ in model.named_parameters()]
    layers = model.lstm.num_layers

    def forward(params, ids):
        p = dict(zip(names, params))
        h = F.embedding(ids, p["embedding.weight"])
        for layer in range(layers):
            w_hh = p[f"lstm.weight_hh_l{layer}"]
            pre = F.linear(h, p[f"lstm.weight_ih_l{layer}"], p[f"lstm.bias_ih_l{layer}"] + p[f"lstm.bias_hh_l{layer}"])
            hidden, cell, outputs = None, None, []
            for t in range(pre.shape[-2]):
                gates = pre[..., t, :] if hidden is None else pre[..., t, :] + hidden @ w_hh.t()
                i, f, g, o = gates.chunk(4, -1)
                candidate = torch.sigmoid(i) * torch.tanh(g)
                cell = candidate if cell is None else torch.sigmoid(f) * cell + candidate
                hidden = torch.sigmoid(o) * torch.tanh(cell)
                outputs.append(hidden)
            h = torch.stack(outputs, -2)
        return F.linear(h, p["out.weight"], p["out.bias"])
    return forward


def decoder_forward(model):
    """DecoderModel's forward written out with plain matmuls (what nn.MultiheadAttention computes, without dropout),
    reading the module's own parameters by name."""
    names = [n for n, _ in model.named_parameters()]
    blocks, heads = len(model.blocks), model.blocks[0].attn.num_heads
    width = model.token.weight.shape[1]
    d = width // heads

    def forward(params, ids):
        p = dict(zip(names, params))
        b, t = ids.shape
        causal = torch.ones(t, t, dtype=torch.bool, device=ids.device).triu(1)
        h = F.embedding(ids, p["token.weight"]) + p["position.weight"][:t]
        for k in range(blocks):
            q_ = f"blocks.{k}."
            a = F.layer_norm(h, (width,), p[q_ + "ln1.weight"], p[q_ + "ln1.bias"])
            q, key, v = F.linear(a, p[q_ + "attn.in_proj_weight"], p[q_ + "attn.in_proj_bias"]).chunk(3, -1)
            q, key, v = (z.reshape(b, t, heads, d).transpose(1, 2) for z in (q, key, v))
            scores = (q @ key.transpose(-1, -2)) / d ** 0.5
            mixed = scores.masked_fill(causal, float("-inf")).softmax(-1) @ v
            h = h + F.linear(mixed.transpose(1, 2).reshape(b, t, width), p[q_ + "attn.out_proj.weight"], p[q_ + "attn.out_proj.bias"])
            m = F.layer_norm(h, (width,), p[q_ + "ln2.weight"], p[q_ + "ln2.bias"])
            h = h + F.linear(F.gelu(F.linear(m, p[q_ + "fc.weight"], p[q_ + "fc.bias"])), p[q_ + "proj.weight"], p[q_ + "proj.bias"])
        return F.linear(F.layer_norm(h, (width,), p["ln_f.weight"], p["ln_f.bias"]), p["out.weight"], p["out.bias"])
    return forward


def client_rows(pool, client, count, seed):
    """The rows a client trains on, in the order train_client visits them in one epoch (same generator, same seed)."""
    idx = pool.client_indices(client, count, seed)
    return idx[torch.randperm(count, generator=torch.Generator().manual_seed(seed + client))]


def vmap_workload(model, forward, pool, clients, steps, batch, lr, device, seed):
    """Every client at once: the weights stacked [C, ...], one vmap(grad(loss)) call per step, plain SGD. The best a
    PyTorch user writes by hand. Returns (device-steps, deltas [C, parameters] on the host)."""
    start = tuple(p.detach() for p in model.parameters())
    params = tuple(p.unsqueeze(0).expand(clients, *p.shape).clone() for p in start)
    step = vmap(grad(lambda ps, x, y: pool.loss(forward(ps, x), x, y)))
    rows = torch.stack([client_rows(pool, c, steps * batch, seed) for c in range(clients)])
    for t in range(steps):
        r = rows[:, t * batch:(t + 1) * batch]
        x, y = pool.x[r].to(device, non_blocking=True), pool.y[r].to(device, non_blocking=True)
        for p, g in zip(params, step(params, x, y)):
            p.sub_(g, alpha=lr)
    deltas = torch.cat([(p - s).reshape(clients, -1) for p, s in zip(params, start)], 1).cpu()
    sync(device)
    return clients * steps, deltas


def vmap_timing(name, model, forward, pool, c, s, b, lr, device, seed):
    """The vmap variant's figures, or the error that stopped it (reported, not hidden)."""
    try:
        return run_training(name, lambda: vmap_workload(model, forward, pool, c, s, b, lr, device, seed)[0],
                            lambda: vmap_workload(model, forward, pool, c, min(s, 2), b, lr, device, seed)[0], c, s, b, device, "vmap") | {"api": FUNCTIONAL_API}
    except Exception as error:  # noqa: BLE001 - any failure of the functional API is the figure's absence, said why
        return {"workload": name, "mode": "vmap", "api": FUNCTIONAL_API, "error": f"{type(error).__name__}: {error}"}


def check_vmap(model, forward, pool, clients, steps, batch, lr, device, seed):
    """Largest |vmap delta - loop delta| over the largest |loop delta|, over the clients: both start from the model's
    weights and see the same batches in the same order."""
    _, deltas = vmap_workload(model, forward, pool, clients, steps, batch, lr, device, seed)
    start = flat_params(model).clone()
    worst = 0.0
    for c in range(clients):
        idx = pool.client_indices(c, steps * batch, seed)
        loop, _, _ = train_client(model, start, pool, idx, batch, 1, lr, device, seed + c)
        worst = max(worst, ((deltas[c] - loop).abs().max() / loop.abs().max()).item())
    load_flat(model, start)
    return worst


def timed(fn, device):
    sync(device)
    start = time.perf_counter()
    result = fn()
    sync(device)
    return result, time.perf_counter() - start


def run_training(name, fn_full, fn_warm, clients, steps, batch, device, mode):
    fn_warm()  # warm-up: kernels, allocator and caches at the same shapes
    device_steps, seconds = timed(fn_full, device)
    return {
        "workload": name, "mode": mode, "clients": clients, "steps": steps, "batch": batch,
        "device_steps": device_steps, "seconds": seconds,
        "device_steps_per_second": device_steps / seconds if seconds > 0 else 0.0,
    }


def run_round(args, device):
    clients, samples, batch, epochs = args.round_clients, args.round_samples, args.round_batch, args.round_epochs
    features, classes, hidden = args.round_features, args.round_classes, parse_ints(args.round_hidden)
    pool = Pool(clients * samples, (features,), classes, args.seed)
    test = Pool(max(args.round_eval, 1), (features,), classes, args.seed + 1)
    model = mlp_module(features, hidden, classes).to(device)
    global_flat = flat_params(model).clone()

    def one_round(flat):
        total = torch.zeros_like(flat, device="cpu")
        examples, steps = 0, 0
        for c in range(clients):
            idx = torch.arange(c * samples, (c + 1) * samples)  # disjoint IID shards of equal size
            delta, s, n = train_client(model, flat, pool, idx, batch, epochs, args.lr, device, args.seed + c)
            total += delta * n
            examples += n
            steps += s
        new_flat = flat + (total / examples).to(device)  # FedAvg: example-weighted mean update
        if args.round_eval > 0:
            load_flat(model, new_flat)
            with torch.no_grad():
                for start in range(0, test.rows, 1024):
                    x = test.x[start:start + 1024].to(device)
                    F.cross_entropy(model(x), test.y[start:start + 1024].to(device)).item()
        return new_flat, steps

    warm_flat, _ = one_round(global_flat)  # warm-up round
    (_, steps), seconds = timed(lambda: one_round(warm_flat), device)
    return {
        "workload": "round", "mode": "sequential", "clients": clients, "samples_per_client": samples, "batch": batch,
        "epochs": epochs, "features": features, "classes": classes, "hidden": hidden, "eval_samples": args.round_eval,
        "device_steps": steps, "seconds": seconds,
        "device_steps_per_second": steps / seconds if seconds > 0 else 0.0,
    }


def training_workloads(args, workloads):
    """The requested training workloads: how to build the model, its functional forward, its data and its sizes."""
    specs = {}
    if "mlp" in workloads:
        hidden = parse_ints(args.mlp_hidden)
        specs["mlp"] = dict(make=lambda: mlp_module(args.mlp_features, hidden, args.mlp_classes), forward=module_forward,
                            pool=Pool(min(16384, args.mlp_clients * args.mlp_steps * args.mlp_batch), (args.mlp_features,), args.mlp_classes, args.seed),
                            clients=args.mlp_clients, steps=args.mlp_steps, batch=args.mlp_batch)
    if "cnn" in workloads:
        ch, h, w = parse_ints(args.cnn_image)
        conv = parse_ints(args.cnn_channels)
        specs["cnn"] = dict(make=lambda: cnn_module(ch, h, w, conv, args.cnn_dense, args.cnn_classes), forward=module_forward,
                            pool=Pool(min(8192, args.cnn_clients * args.cnn_steps * args.cnn_batch), (ch, h, w), args.cnn_classes, args.seed),
                            clients=args.cnn_clients, steps=args.cnn_steps, batch=args.cnn_batch)
    language_models = {
        "lstm": (lambda: LstmModel(args.vocab, 8, 256, 2), lstm_forward),
        "transformer": (lambda: DecoderModel(args.vocab, args.context, 128, 2, 4, 512), decoder_forward),
    }
    for name, (make, forward) in language_models.items():
        if name in workloads:
            c, s, b = getattr(args, f"{name}_clients"), getattr(args, f"{name}_steps"), getattr(args, f"{name}_batch")
            specs[name] = dict(make=make, forward=forward, pool=Pool(min(8192, c * s * b), (args.context,), args.vocab, args.seed, tokens=True),
                               clients=c, steps=s, batch=b)
    return specs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--workloads", default="mlp,cnn,round", help="comma list of mlp, cnn, lstm, transformer, round")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batched", action="store_true",
                   help="also run every training workload batched with vmap(grad(...)), and the MLP with hand-stacked bmm")
    p.add_argument("--check", action="store_true",
                   help="only check that the vmap updates equal the per-client loop's (3 clients, 3 steps); exit 1 past --check-tolerance")
    p.add_argument("--check-tolerance", type=float, default=1e-3, help="largest |vmap - loop| / max |loop delta| accepted by --check")
    p.add_argument("--threads", type=int, default=0,
                   help="total compute threads, torch intra-op x BLAS (0 = os.cpu_count()); fedsim bench passes its own total")
    p.add_argument("--blas-threads", type=int, default=0, help="BLAS threads within --threads (0 = choose: see split_threads)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--mlp-clients", type=int, default=256)
    p.add_argument("--mlp-steps", type=int, default=20)
    p.add_argument("--mlp-batch", type=int, default=64)
    p.add_argument("--mlp-features", type=int, default=784)
    p.add_argument("--mlp-hidden", default="200,200")
    p.add_argument("--mlp-classes", type=int, default=10)
    p.add_argument("--cnn-clients", type=int, default=32)
    p.add_argument("--cnn-steps", type=int, default=20)
    p.add_argument("--cnn-batch", type=int, default=64)
    p.add_argument("--cnn-image", default="1,28,28", help="channels,height,width")
    p.add_argument("--cnn-channels", default="32,64")
    p.add_argument("--cnn-dense", type=int, default=512)
    p.add_argument("--cnn-classes", type=int, default=62)
    p.add_argument("--lstm-clients", type=int, default=8)
    p.add_argument("--lstm-steps", type=int, default=4)
    p.add_argument("--lstm-batch", type=int, default=10)
    p.add_argument("--transformer-clients", type=int, default=8)
    p.add_argument("--transformer-steps", type=int, default=4)
    p.add_argument("--transformer-batch", type=int, default=10)
    p.add_argument("--vocab", type=int, default=96, help="language models: tokens")
    p.add_argument("--context", type=int, default=80, help="language models: positions per sample")
    p.add_argument("--round-clients", type=int, default=100)
    p.add_argument("--round-samples", type=int, default=600, help="training samples per client")
    p.add_argument("--round-batch", type=int, default=10)
    p.add_argument("--round-epochs", type=int, default=1)
    p.add_argument("--round-features", type=int, default=20)
    p.add_argument("--round-classes", type=int, default=2)
    p.add_argument("--round-hidden", default="64")
    p.add_argument("--round-eval", type=int, default=0, help="test samples evaluated after aggregation")
    args = p.parse_args(argv)

    total_threads = args.threads or os.cpu_count() or 1
    blas = Blas()
    torch_threads, blas_threads = split_threads(total_threads, blas, args.blas_threads)
    torch.set_num_threads(torch_threads)
    blas.set_threads(blas_threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("baseline.py: --device cuda but torch sees no CUDA device", file=sys.stderr)
        return 2
    device = torch.device(args.device)
    torch.manual_seed(args.seed)  # module initialisation only; results are timing, not accuracy
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in workloads if w not in ("mlp", "cnn", "lstm", "transformer", "round")]
    if unknown:
        print(f"baseline.py: unknown workload(s) {unknown}; use mlp, cnn, lstm, transformer, round", file=sys.stderr)
        return 2

    results = {}
    checks = {}
    for name, work in training_workloads(args, workloads).items():
        c, s, b = work["clients"], work["steps"], work["batch"]
        if args.check:
            # A few clients, a few steps: the vmap updates against the loop's, same weights and batches.
            model = work["make"]().to(device)
            worst = check_vmap(model, work["forward"](model), work["pool"], min(c, 3), min(s, 3), b, args.lr, device, args.seed)
            checks[name] = {"max_relative_difference": worst, "tolerance": args.check_tolerance, "ok": worst <= args.check_tolerance}
            continue
        make, pool = work["make"], work["pool"]
        results[name] = run_training(
            name, lambda: sequential_workload(make, pool, c, s, b, args.lr, device, args.seed),
            lambda: sequential_workload(make, pool, 1, min(s, 2), b, args.lr, device, args.seed), c, s, b, device, "sequential")
        if args.batched:
            model = make().to(device)
            results[f"{name}_vmap"] = vmap_timing(name, model, work["forward"](model), pool, c, s, b, args.lr, device, args.seed)
        if args.batched and name == "mlp":
            hidden = parse_ints(args.mlp_hidden)
            results["mlp_batched"] = run_training(
                "mlp", lambda: batched_mlp_workload(pool, c, s, b, args.mlp_features, hidden, args.mlp_classes, args.lr, device, args.seed),
                lambda: batched_mlp_workload(pool, c, min(s, 2), b, args.mlp_features, hidden, args.mlp_classes, args.lr, device, args.seed),
                c, s, b, device, "batched-bmm")
    if args.check:
        print(json.dumps({"torch_version": torch.__version__, "api": FUNCTIONAL_API, "device": str(device), "check": checks}))
        return 0 if all(v["ok"] for v in checks.values()) else 1
    if "round" in workloads:
        results["round"] = run_round(args, device)

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    report = {
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "device_kind": device.type,
        "threads": torch.get_num_threads(),
        "threads_total": total_threads,
        "blas": {
            "library": blas.library, "path": blas.path, "interface": blas.interface, "mapped": blas.paths, "threading": blas.threading,
            "threads": blas.threads(), "torch_build": build_blas_info(),
        },
        "blas_info": blas.library,
        "peak_rss_bytes": peak_rss,
        "cuda_max_allocated_bytes": torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None,
        "functional_api": FUNCTIONAL_API,
        "workloads": results,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"torch {report['torch_version']} on {report['device']}: {report['threads']} torch thread(s) x "
              f"{report['blas']['threads']} BLAS thread(s), {blas.library} [{blas.threading}] at {blas.path}")
        for key, r in results.items():
            if "error" in r:
                print(f"{key:17s} {r['mode']:12s} did not run: {r['error']}")
                continue
            print(f"{key:17s} {r['mode']:12s} {r['device_steps']:8d} device-steps in {r['seconds']:8.3f} s"
                  f" = {r['device_steps_per_second']:10.1f} device-steps/s")
        print(f"peak RSS {peak_rss / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
