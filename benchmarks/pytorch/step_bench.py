#!/usr/bin/env python3
"""PyTorch baseline for HpcSgd's benchmark suite: the workloads of ../shared/WORKLOADS.md, one SGD step
(draw a batch from a shuffled epoch order, forward, loss, backward, torch.optim.SGD step) per measurement,
eager mode, single thread. Writes JSON: per (workload, batch) the median microseconds per step; the BLAS
library PyTorch actually loaded; and the W3/W4 quality check (1 epoch, lr 0.1, batch 64, test accuracy and
epoch wall time). Run with Debian's python3-torch and libopenblas0-pthread: /usr/bin/python3 step_bench.py."""
import argparse, ctypes, gzip, json, os, statistics, struct, sys, time


def _threads_argument():
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


# torch.set_num_threads does not reach Debian's OpenBLAS (a pthreads build): without this its GEMMs use every core,
# and a "single-thread" baseline ran on two (measured in benchmarks/README.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads_argument())
os.environ.setdefault("OMP_NUM_THREADS", _threads_argument())

import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F

FASHION = "/usr/share/datasets/fashion-mnist"
BATCHES = [1, 8, 32, 128, 512, 2048]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = data[3]
    dims = struct.unpack(">" + "i" * rank, data[4:4 + 4 * rank])
    body = data[4 + 4 * rank:]
    count = 1
    for d in dims:
        count *= d
    if len(body) != count:
        raise ValueError(f"{path}: header declares {count} bytes, found {len(body)}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def fashion(train):
    prefix = "train" if train else "t10k"
    x = read_idx(f"{FASHION}/{prefix}-images-idx3-ubyte.gz").reshape(-1, 784).float() / 255.0
    y = read_idx(f"{FASHION}/{prefix}-labels-idx1-ubyte.gz").long()
    return x, y


def workload(name):
    g = torch.Generator().manual_seed(1)
    if name in ("W1n100", "W1"):
        n = 100 if name == "W1n100" else 1_000_000
        x = torch.rand(n, 1, generator=g)
        y = 3 * x + 2 + torch.rand(n, 1, generator=g)
        return x, y, nn.Linear(1, 1), F.mse_loss, 0.01
    if name == "W2":
        n = 1_000_000
        w = torch.randn(64, 1, generator=g)
        x = torch.randn(n, 64, generator=g)
        y = x @ w + 0.1 * torch.randn(n, 1, generator=g)
        return x, y, nn.Linear(64, 1), F.mse_loss, 0.01
    x, y = fashion(train=True)
    if name == "W3":
        return x, y, nn.Linear(784, 10), F.cross_entropy, 0.1
    return x, y, mlp(), F.cross_entropy, 0.1


def mlp():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    for layer in (model[0], model[2]):
        nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")  # He-uniform, as WORKLOADS.md asks
        nn.init.zeros_(layer.bias)
    return model


class Batches:
    """Batches drawn without replacement from a shuffled epoch order, as HpcSgd's ShuffledEpochs."""

    def __init__(self, n, batch, seed):
        self.n, self.batch, self.pos = n, batch, n
        self.g = torch.Generator().manual_seed(seed)
        self.order = None

    def next(self):
        if self.pos + self.batch > self.n:
            self.order = torch.randperm(self.n, generator=self.g)
            self.pos = 0
        idx = self.order[self.pos:self.pos + self.batch]
        self.pos += self.batch
        return idx


def time_cell(name, batch, seconds, min_steps):
    x, y, model, loss_fn, lr = workload(name)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    batches = Batches(x.shape[0], batch, seed=5)

    def step():
        idx = batches.next()
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < min_steps or time.perf_counter() < deadline:
        start = time.perf_counter_ns()
        step()
        times.append(time.perf_counter_ns() - start)
        if len(times) >= 200_000:
            break
    return statistics.median(times) / 1000.0, len(times)


def quality(name, seeds=5):
    """One epoch at lr 0.1, batch 64, repeated over seeds: test accuracies and each epoch's wall time."""
    x, y = fashion(train=True)
    xt, yt = fashion(train=False)
    accuracies, times = [], []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = mlp() if name == "W4" else nn.Linear(784, 10)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        batches = Batches(x.shape[0], 64, seed=5 + seed)
        start = time.perf_counter()
        for _ in range(x.shape[0] // 64):
            idx = batches.next()
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx)).backward()
            opt.step()
        times.append(time.perf_counter() - start)
        with torch.no_grad():
            accuracies.append((model(xt).argmax(1) == yt).float().mean().item())
    return {"workload": name, "epoch_seconds": statistics.median(times), "first_epoch_seconds": times[0],
            "test_accuracy": statistics.mean(accuracies), "accuracies": accuracies}


def blas_library():
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path).lower():
                found.add(os.path.realpath(path))
    return sorted(found)


def blas_threads():
    """Threads the loaded OpenBLAS will use (openblas_get_num_threads), or None if it is not OpenBLAS."""
    for path in blas_library():
        if "openblas" in os.path.basename(path):
            return ctypes.CDLL(path).openblas_get_num_threads()
    return None


def blas_kernels():
    """The kernel set the loaded OpenBLAS picked for this CPU (openblas_get_corename, e.g. Haswell, SkylakeX; the
    OPENBLAS_CORETYPE variable overrides it), or None if it is not OpenBLAS."""
    for path in blas_library():
        if "openblas" in os.path.basename(path):
            name = ctypes.CDLL(path).openblas_get_corename
            name.restype = ctypes.c_char_p
            return name().decode()
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=1.5, help="measuring time per cell")
    parser.add_argument("--smoke", action="store_true", help="two cells, a few steps: checks the script runs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quality-only", action="store_true",
                        help="rerun only the quality check and replace it in an existing --out file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.quality_only:
        with open(args.out) as f:
            out = json.load(f)
        out["quality"] = [quality("W3"), quality("W4")]
        print(json.dumps(out["quality"], indent=2))
        with open(args.out, "w") as f:
            json.dump(out, f, indent=2)
        return

    cells = [("W1n100", 8), ("W3", 32)] if args.smoke else [
        (w, b) for w in ("W1n100", "W1", "W2", "W3", "W4") for b in sorted(BATCHES + ([64] if w in ("W3", "W4") else []))
        if not (w == "W1n100" and b > 100)]
    results = []
    for name, batch in cells:
        median_us, steps = time_cell(name, batch, 0.05 if args.smoke else args.seconds, 5 if args.smoke else 20)
        results.append({"workload": name, "batch": batch, "median_us": median_us, "steps": steps})
        print(f"{name}/B{batch}: {median_us:.1f} us/step over {steps} steps", flush=True)
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_libraries": blas_library(),
        "blas_threads": blas_threads(),
        "blas_kernels": blas_kernels(),
        "blas_info": torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in torch.__config__.show() else "unknown",
        "cells": results,
        "quality": [] if args.smoke else [quality("W3"), quality("W4")],
    }
    print("BLAS loaded:", ", ".join(out["blas_libraries"]) or "none found")
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
