#!/usr/bin/env python3
"""HpcSgd against PyTorch + OpenBLAS, interleaved in one run: this process times PyTorch's steps itself and asks a
long-lived HpcSgd process (HpcSgd.Benchmarks 'serve') for its samples in turn, round by round, so a slow minute of a
shared VM falls on both sides of every ratio. Each HpcSgd sample comes with an FMA-probe sample taken just before it
in the same process; both sides' GFLOP/s are given as fractions of that round's probe. A second probe sample, the
kernels' register tile on operands in L1, shows the rounds in which something else on the core took its load ports
(the tile then falls below the FMA probe); the ratio over the rounds where it kept UNLOADED of the probe's rate is
reported beside the median. Reported: medians over rounds of the paired ratios, per cell, per mode ('default': the
widest vectors; 'avx512off': DOTNET_EnableAVX512=0 for the HpcSgd process, i.e. 256-bit vectors and 16 registers, an
AVX2 CPU's budget). PyTorch gets the same vector width as HpcSgd in each mode (--torch-kernels matched, the
default): OpenBLAS's AVX-512 kernels (SkylakeX) beside the default mode on a CPU with AVX-512, its AVX2 kernels
(Haswell) beside avx512off, as on an AVX2 CPU. OpenBLAS picks its kernels once, when it loads, so each mode then runs
in a child process of this script with OPENBLAS_CORETYPE set. --torch-kernels detected leaves OpenBLAS's own choice
for this CPU in both modes (older OpenBLAS releases take CPUs newer than themselves for AVX2 ones).
Fashion-MNIST's pixels are bytes, and HpcSgd gathers the rows of byte-valued features from a byte copy; PyTorch
likewise gathers each batch from a uint8 copy of the images and widens it (--torch-rows bytes, the default: the same
floats, a quarter of the bytes moved); --torch-rows float gathers from the float tensor.
With --loader, each side moves its batches' rows on a second thread while one thread computes: HpcSgd's sessions
gather ahead (TrainingOptions.GatherAhead, the 'Ahead:' runner), PyTorch's steps take batches that a loader thread
index_selects ahead into a bounded queue (as a DataLoader worker would, without the inter-process copies), as many
batches ahead as HpcSgd keeps (twice the L2). Arithmetic stays on one thread each (OpenBLAS and torch on one thread).
  /usr/bin/python3 benchmarks/pytorch/versus.py --out DIR [--modes default,avx512off] [--rounds 11] [--seconds 0.6] [--warm 0.15] [--loader] [--smoke] [--torch-kernels matched|detected] [--torch-rows bytes|float]
Writes DIR/versus.csv, DIR/versus-epoch.csv and DIR/versus.md."""
import argparse, csv, os, queue, statistics, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import step_bench  # noqa: E402  (sets OPENBLAS_NUM_THREADS=1 before torch loads)
import torch  # noqa: E402

CELLS = [("W4", b) for b in (1, 8, 32, 64, 128, 512, 2048)] + [("W3", b) for b in (64, 512, 2048)]
# A round counts as "unloaded" when the L1 tile kept this share of the FMA probe's rate.
UNLOADED = 0.95
FLOPS_PER_SAMPLE = {"W3": 4.0 * 784 * 10, "W4": 4.0 * 784 * 128 + 6.0 * 128 * 10}
# Steps in one epoch of the quality check: 60,000 training samples, batch 64, the last partial batch dropped.
EPOCH_STEPS = 60000 // 64
MODES = {"default": {}, "avx512off": {"DOTNET_EnableAVX512": "0"}}


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return []


def torch_env(mode, kernels):
    """The environment that gives PyTorch's OpenBLAS the vector width HpcSgd has in this mode ('matched'), or nothing
    ('detected': OpenBLAS's own choice)."""
    if kernels == "detected":
        return {}
    if mode == "avx512off":
        return {"OPENBLAS_CORETYPE": "Haswell"}
    return {"OPENBLAS_CORETYPE": "SkylakeX"} if "avx512f" in cpu_flags() else {}


def l2_bytes():
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index2/size") as f:
            text = f.read().strip()
        return int(text[:-1]) * 1024 if text.endswith("K") else int(text)
    except (OSError, ValueError):
        return 1 << 20


def ahead_depth(batch):
    """HpcSgd's TrainingSession.GatherAheadDepth for a 784-float row and a one-float target: twice the L2 in batches."""
    return max(2, min(32, 2 * l2_bytes() // (batch * 785 * 4) + 1))


class Loader:
    """Rows of the coming batches index_selected on a daemon thread into a bounded queue; next() takes the oldest.
    The thread blocks while the queue is full, so it takes no core while the other side samples."""

    def __init__(self, x, y, batches, count=None):
        self.queue = queue.Queue(maxsize=ahead_depth(batches.batch))

        def run():
            made = 0
            while count is None or made < count:
                idx = batches.next()
                self.queue.put((x.index_select(0, idx), y.index_select(0, idx)))
                made += 1

        threading.Thread(target=run, daemon=True).start()

    def next(self):
        return self.queue.get()


class ByteRows:
    """Images whose pixels are bytes / 255, kept as uint8: index_select gathers a quarter of the bytes, then widens
    them to the very floats of the float tensor (checked once)."""

    def __init__(self, x):
        self.bytes = (x * 255.0).round().to(torch.uint8)
        self.shape = x.shape
        if not torch.equal(self.bytes.float() / 255.0, x):
            raise ValueError("the features are not bytes / 255")

    def index_select(self, dim, idx):
        return self.bytes.index_select(dim, idx).float().div_(255.0)


class TorchCell:
    """One workload at one batch size, warmed up; sample() times whole steps for about the given seconds."""

    _data = {}
    _bytes = {}

    def __init__(self, name, batch, loader=False, rows="bytes"):
        if name not in TorchCell._data:
            TorchCell._data[name] = step_bench.workload(name)
        x, y, _, loss_fn, lr = TorchCell._data[name]
        if rows == "bytes":
            if name not in TorchCell._bytes:
                TorchCell._bytes[name] = ByteRows(x)
            x = TorchCell._bytes[name]
        model = step_bench.mlp() if name == "W4" else torch.nn.Linear(784, 10)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        batches = step_bench.Batches(x.shape[0], batch, seed=5)
        if loader:
            rows = Loader(x, y, batches)

            def step():
                xb, yb = rows.next()
                opt.zero_grad(set_to_none=True)
                loss_fn(model(xb), yb).backward()
                opt.step()
        else:
            def step():
                idx = batches.next()
                opt.zero_grad(set_to_none=True)
                loss_fn(model(x.index_select(0, idx)), y.index_select(0, idx)).backward()
                opt.step()

        self.step = step
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 0.3 or n < 5:
            step()
            n += 1
        self.steps_per_second = n / (time.perf_counter() - start)

    def sample(self, seconds, warm=0.0):
        for _ in range(int(self.steps_per_second * warm)):
            self.step()
        steps = max(1, int(self.steps_per_second * seconds))
        start = time.perf_counter_ns()
        for _ in range(steps):
            self.step()
        return (time.perf_counter_ns() - start) / 1000.0 / steps


def torch_epoch(name, seed, train, test, loader=False, rows="bytes"):
    """One epoch of step_bench's quality check (lr 0.1, batch 64) with one seed: seconds, test accuracy."""
    x, y = train
    x = ByteRows(x) if rows == "bytes" else x
    xt, yt = test
    torch.manual_seed(seed)
    model = step_bench.mlp() if name == "W4" else torch.nn.Linear(784, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = step_bench.Batches(x.shape[0], 64, seed=5 + seed)
    steps = x.shape[0] // 64
    start = time.perf_counter()
    # The loader starts with the clock, as HpcSgd's helper starts with its session's run.
    rows = Loader(x, y, batches, steps) if loader else None
    for _ in range(steps):
        if rows is None:
            idx = batches.next()
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        else:
            xb, yb = rows.next()
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (model(xt).argmax(1) == yt).float().mean().item()
    return seconds, accuracy


class Server:
    def __init__(self, dll, env):
        self.process = subprocess.Popen(["dotnet", dll, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, env={**os.environ, **env})
        if self.read() != "ready":
            raise RuntimeError("the HpcSgd sample server did not start")

    def read(self):
        line = self.process.stdout.readline().strip()
        if not line or line.startswith("error"):
            raise RuntimeError(f"HpcSgd sample server: {line or 'exited'}")
        return line

    def ask(self, request):
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self):
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=60)


def quartiles(values):
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[1], q[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--modes", default="default,avx512off")
    parser.add_argument("--rounds", type=int, default=11)
    # Each side idles while the other samples, and a vCPU that idled starts slow (the VM's neighbours had the core):
    # long samples dilute that start (measured in benchmarks/README.md).
    parser.add_argument("--seconds", type=float, default=0.6, help="length of one sample of each side")
    parser.add_argument("--warm", type=float, default=0.15,
                        help="untimed steps of the same cell before each sample, each side: a vCPU that idled while the other side sampled runs slower for a while")
    parser.add_argument("--epochs", type=int, default=5, help="paired quality-check epochs (seeds) per mode")
    parser.add_argument("--cells", default=None,
                        help="comma-separated cells such as W4/B64,W3/B512 (default: all); 'none' for the epochs only")
    parser.add_argument("--loader", action="store_true",
                        help="each side moves its rows on a second thread (HpcSgd GatherAhead, a PyTorch loader thread)")
    parser.add_argument("--smoke", action="store_true", help="two cells, two rounds, one epoch")
    parser.add_argument("--torch-kernels", choices=("matched", "detected"), default="matched",
                        help="PyTorch's OpenBLAS kernels: the vector width of each HpcSgd mode, or OpenBLAS's own choice")
    parser.add_argument("--torch-rows", choices=("bytes", "float"), default="bytes",
                        help="PyTorch gathers batches from a uint8 copy of the images and widens them, or from the float tensor")
    parser.add_argument("--dll", default="benchmarks/HpcSgd.Benchmarks/bin/Release/net10.0/HpcSgd.Benchmarks.dll")
    args = parser.parse_args()
    modes = args.modes.split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(MODES)}")
    wanted = {m: torch_env(m, args.torch_kernels) for m in modes}
    if any(os.environ.get(k) != v for env in wanted.values() for k, v in env.items()):
        run_children(args, modes, wanted)
        return
    torch.set_num_threads(1)
    if step_bench.blas_threads() not in (None, 1):
        raise SystemExit(f"OpenBLAS would use {step_bench.blas_threads()} threads: unset OPENBLAS_NUM_THREADS")
    cells = [("W4", 64), ("W3", 512)] if args.smoke else CELLS
    if args.cells is not None:
        cells = [] if args.cells == "none" else [(c.split("/B")[0], int(c.split("/B")[1])) for c in args.cells.split(",")]
    rounds, epochs = (2, 1) if args.smoke else (args.rounds, args.epochs)
    seconds = 0.1 if args.smoke else args.seconds
    warm = 0.0 if args.smoke else args.warm
    os.makedirs(args.out, exist_ok=True)
    train, test = step_bench.fashion(train=True), step_bench.fashion(train=False)
    rows, epoch_rows, machine = [], [], ""
    for mode in modes:
        server = Server(args.dll, MODES[mode])
        machine = server.ask("machine")
        print(f"== {mode}: HpcSgd on {machine}; PyTorch {torch.__version__}, 1 thread, "
              f"BLAS {', '.join(os.path.basename(p) for p in step_bench.blas_library())} on {step_bench.blas_threads()} thread(s), {step_bench.blas_kernels()} kernels", flush=True)
        torch_cells = {c: TorchCell(*c, loader=args.loader, rows=args.torch_rows) for c in cells}
        runner = "Ahead:" if args.loader else ""
        samples = {c: [] for c in cells}
        for _ in range(rounds):
            for cell in cells:
                name, batch = cell
                torch_us = torch_cells[cell].sample(seconds, warm)
                cs_us, probe, tile = map(float, server.ask(f"step {runner}{name}/B{batch} {seconds} {warm}").split())
                samples[cell].append((cs_us, torch_us, probe, tile))
        for cell in cells:
            name, batch = cell
            flops = FLOPS_PER_SAMPLE[name] * batch
            s = samples[cell]
            ratio = quartiles([t / c for c, t, _, _ in s])
            cs_fraction = quartiles([flops / (c * 1e3) / p for c, _, p, _ in s])
            torch_fraction = statistics.median([flops / (t * 1e3) / p for _, t, p, _ in s])
            # The kernels' register tile on operands in L1, sampled beside the FMA probe: below the probe when something
            # else on the core takes the load ports (a neighbour the FMA probe cannot see).
            unloaded = [t / c for c, t, p, tile in s if tile >= UNLOADED * p]
            row = dict(mode=mode, cell=f"{name}/B{batch}", hpcsgd_us=statistics.median(c for c, _, _, _ in s),
                       torch_us=statistics.median(t for _, t, _, _ in s), ratio=ratio[1], ratio_q1=ratio[0], ratio_q3=ratio[2],
                       hpcsgd_peak=cs_fraction[1], hpcsgd_peak_q1=cs_fraction[0], hpcsgd_peak_q3=cs_fraction[2],
                       torch_peak=torch_fraction, probe_gflops=statistics.median(p for _, _, p, _ in s),
                       tile_of_probe=statistics.median(tile / p for _, _, p, tile in s),
                       hpcsgd_of_tile=statistics.median(flops / (c * 1e3) / tile for c, _, _, tile in s),
                       unloaded_rounds=len(unloaded), unloaded_ratio=statistics.median(unloaded) if unloaded else float("nan"),
                       rounds=len(s), torch_kernels=step_bench.blas_kernels(), torch_rows=args.torch_rows)
            rows.append(row)
            print(f"{row['cell']}: HpcSgd {row['hpcsgd_us']:.1f} us, PyTorch {row['torch_us']:.1f} us, "
                  f"{row['ratio']:.2f}x [{row['ratio_q1']:.2f}, {row['ratio_q3']:.2f}]; of peak: HpcSgd "
                  f"{100 * row['hpcsgd_peak']:.0f}% [{100 * row['hpcsgd_peak_q1']:.0f}, {100 * row['hpcsgd_peak_q3']:.0f}], "
                  f"PyTorch {100 * row['torch_peak']:.0f}%; L1 tile {100 * row['tile_of_probe']:.0f}% of the probe, HpcSgd "
                  f"{100 * row['hpcsgd_of_tile']:.0f}% of the tile; {row['unloaded_rounds']} unloaded rounds: {row['unloaded_ratio']:.2f}x",
                  flush=True)
        for name in ("W4",) if args.smoke else ("W3", "W4"):
            for seed in range(epochs):
                t_seconds, t_accuracy = torch_epoch(name, seed, train, test, args.loader, args.torch_rows)
                c_seconds, c_accuracy, probe = map(float, server.ask(f"epoch {name} {seed}{' ahead' if args.loader else ''}").split())
                gflop = FLOPS_PER_SAMPLE[name] * 64 * EPOCH_STEPS / 1e9
                epoch_rows.append(dict(mode=mode, workload=name, seed=seed, hpcsgd_seconds=c_seconds, torch_seconds=t_seconds,
                                       hpcsgd_accuracy=c_accuracy, torch_accuracy=t_accuracy, torch_kernels=step_bench.blas_kernels(),
                                       probe_gflops=probe, hpcsgd_peak=gflop / c_seconds / probe, torch_peak=gflop / t_seconds / probe))
            e = [r for r in epoch_rows if r["mode"] == mode and r["workload"] == name]
            print(f"{name} one epoch: HpcSgd {statistics.median(r['hpcsgd_seconds'] for r in e):.3f} s, PyTorch "
                  f"{statistics.median(r['torch_seconds'] for r in e):.3f} s, "
                  f"{statistics.median(r['torch_seconds'] / r['hpcsgd_seconds'] for r in e):.2f}x; of peak: HpcSgd "
                  f"{epoch_peak(e, 'hpcsgd_peak')}, PyTorch {epoch_peak(e, 'torch_peak')}; test accuracy "
                  f"{statistics.mean(r['hpcsgd_accuracy'] for r in e):.4f} vs {statistics.mean(r['torch_accuracy'] for r in e):.4f}",
                  flush=True)
        server.close()
    write_csv(os.path.join(args.out, "versus.csv"), rows)
    write_csv(os.path.join(args.out, "versus-epoch.csv"), epoch_rows)
    write_markdown(os.path.join(args.out, "versus.md"), machine, rows, epoch_rows, args.loader)


def run_children(args, modes, wanted):
    """Runs each mode in a child process of this script whose environment picks that mode's OpenBLAS kernels, then
    writes the children's rows together."""
    rows, epoch_rows, machine = [], [], ""
    for mode in modes:
        part = os.path.join(args.out, f".{mode}")
        command = [sys.executable, os.path.abspath(__file__), "--out", part, "--modes", mode, "--torch-kernels", "detected"]
        for name, value in vars(args).items():
            if name not in ("out", "modes", "torch_kernels") and value not in (None, False):
                command += [f"--{name.replace('_', '-')}"] + ([] if value is True else [str(value)])
        subprocess.run(command, check=True, env={**os.environ, **wanted[mode]})
        rows += read_csv(os.path.join(part, "versus.csv"))
        epoch_rows += read_csv(os.path.join(part, "versus-epoch.csv"))
        with open(os.path.join(part, "versus.md")) as f:
            machine = f.readline().split(" (modes:")[0].removeprefix("HpcSgd on ")
    write_csv(os.path.join(args.out, "versus.csv"), rows)
    write_csv(os.path.join(args.out, "versus-epoch.csv"), epoch_rows)
    write_markdown(os.path.join(args.out, "versus.md"), machine, rows, epoch_rows, args.loader)


def read_csv(path):
    if not os.path.exists(path):
        return []

    def value(text):
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text

    with open(path) as f:
        return [{k: value(v) for k, v in row.items()} for row in csv.DictReader(f)]


def write_csv(path, rows):
    if not rows:
        return
    with open(path, "w") as f:
        f.write(",".join(rows[0].keys()) + "\n")
        for r in rows:
            f.write(",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in r.values()) + "\n")


def epoch_peak(epochs, key):
    """The median paired fraction of the FMA peak over the seeds' epochs, with its range; blank for runs before it was sampled."""
    values = [float(r[key]) for r in epochs if r.get(key) not in (None, "")]
    if not values:
        return ""
    return f"{100 * statistics.median(values):.0f}% [{100 * min(values):.0f}, {100 * max(values):.0f}]"


def write_markdown(path, machine, rows, epoch_rows, loader):
    threads = ("arithmetic on 1 thread each, rows moved ahead on a second thread each (HpcSgd GatherAhead, a PyTorch "
               f"loader thread {ahead_depth(64)} batches of 64 ahead)") if loader else "1 thread each"
    lines = [f"HpcSgd on {machine.split(';')[0]} (modes: {', '.join(dict.fromkeys(r['mode'] for r in rows + epoch_rows))}); PyTorch {torch.__version__} + {', '.join(step_bench.blas_library())} "
             f"(OpenBLAS threads: {step_bench.blas_threads()}; its kernels per mode in the tables), {threads}; PyTorch gathers "
             f"its batches from {'a uint8 copy of the images, widened' if rows and rows[0].get('torch_rows') == 'bytes' else 'the float tensor'}.", "",
             "| mode | PyTorch's OpenBLAS kernels | cell | HpcSgd us/step | PyTorch us/step | PyTorch / HpcSgd [Q1, Q3] | HpcSgd % of FMA peak [Q1, Q3] | PyTorch % of peak "
             "| L1 tile % of FMA peak | HpcSgd % of L1 tile | rounds, unloaded: ratio |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['torch_kernels']} | {r['cell']} | {r['hpcsgd_us']:.1f} | {r['torch_us']:.1f} | {r['ratio']:.2f}x "
                     f"[{r['ratio_q1']:.2f}, {r['ratio_q3']:.2f}] | {100 * r['hpcsgd_peak']:.0f}% "
                     f"[{100 * r['hpcsgd_peak_q1']:.0f}, {100 * r['hpcsgd_peak_q3']:.0f}] | {100 * r['torch_peak']:.0f}% | "
                     f"{100 * r['tile_of_probe']:.0f}% | {100 * r['hpcsgd_of_tile']:.0f}% | {r['rounds']}, {r['unloaded_rounds']}: "
                     f"{r['unloaded_ratio']:.2f}x |")
    lines += ["", "| mode | PyTorch's OpenBLAS kernels | one epoch, lr 0.1, B 64 | HpcSgd s | PyTorch s | PyTorch / HpcSgd | HpcSgd % of FMA peak "
              "[min, max] | PyTorch % of peak | HpcSgd accuracy | PyTorch accuracy |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for mode in dict.fromkeys(r["mode"] for r in epoch_rows):
        for name in dict.fromkeys(r["workload"] for r in epoch_rows):
            e = [r for r in epoch_rows if r["mode"] == mode and r["workload"] == name]
            lines.append(f"| {mode} | {e[0]['torch_kernels']} | {name} ({len(e)} seeds) | {statistics.median(r['hpcsgd_seconds'] for r in e):.3f} | "
                         f"{statistics.median(r['torch_seconds'] for r in e):.3f} | "
                         f"{statistics.median(r['torch_seconds'] / r['hpcsgd_seconds'] for r in e):.2f}x | "
                         f"{epoch_peak(e, 'hpcsgd_peak')} | {epoch_peak(e, 'torch_peak')} | "
                         f"{statistics.mean(r['hpcsgd_accuracy'] for r in e):.4f} | {statistics.mean(r['torch_accuracy'] for r in e):.4f} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
