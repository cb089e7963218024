using System.Globalization;
using System.Text;
using System.Text.Json;
using HpcSgd.Benchmarks.Workloads;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Joins one run's results (BenchmarkDotNet's full JSON report, the PyTorch script's JSON, the machine probe and the
/// quality check, all in one folder) into suite.md, a table of ratios per (workload, batch) cell, and one PNG chart
/// of samples/s against batch size per workload.
/// </summary>
public static class SuiteReport
{
    private static readonly string[] Methods = ["Specialized", "General", "Scalar", "Primitives"];

    public static int Write(string folder)
    {
        string bdnPath = Path.Combine(folder, "bdn.json");
        if (!File.Exists(bdnPath))
        {
            Console.Error.WriteLine($"'{bdnPath}' not found: run the step benchmarks first (benchmarks/run-suite does).");
            return 1;
        }
        var csharp = ReadBenchmarkDotNet(bdnPath);
        if (!csharp.Keys.Any(k => k.Item2 == "Specialized"))
        {
            Console.Error.WriteLine($"'{bdnPath}' holds no HpcSgd result: the step benchmarks failed (see BenchmarkDotNet's log).");
            return 1;
        }
        var torch = ReadPyTorch(Path.Combine(folder, "pytorch.json"), out string torchInfo, out List<TorchQuality> torchQuality);
        MachineProbe.Limits? machine = File.Exists(Path.Combine(folder, "machine.json"))
            ? JsonSerializer.Deserialize<MachineProbe.Limits>(File.ReadAllText(Path.Combine(folder, "machine.json")))
            : null;
        MachineProbe.Limits? machineAtEnd = File.Exists(Path.Combine(folder, "machine-end.json"))
            ? JsonSerializer.Deserialize<MachineProbe.Limits>(File.ReadAllText(Path.Combine(folder, "machine-end.json")))
            : null;
        QualityCheck.Result[] quality = File.Exists(Path.Combine(folder, "quality.json"))
            ? JsonSerializer.Deserialize<QualityCheck.Result[]>(File.ReadAllText(Path.Combine(folder, "quality.json"))) ?? []
            : [];

        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# Benchmark suite: one SGD step per operation, single thread");
        md.AppendLine();
        if (machine is not null)
        {
            md.AppendLine(inv, $"Machine: {machine.Cpu}; measured FMA peak {machine.PeakGflops:F1} GFLOP/s per core; read bandwidth {machine.L2ReadGBs:F0} GB/s (256 KiB, L2), {machine.L3ReadGBs:F0} GB/s (8 MiB, L3), {machine.MemoryReadGBs:F1} GB/s (512 MiB, memory).");
            if (machineAtEnd is not null)
            {
                // A virtual machine's speed drifts: the same probe after the benchmarks shows by how much during this run.
                md.AppendLine();
                md.AppendLine(inv, $"The FMA peak measured again after the step benchmarks: {machineAtEnd.PeakGflops:F1} GFLOP/s ({100 * machineAtEnd.PeakGflops / machine.PeakGflops:F0}% of the first measurement); % of peak below is against the first.");
            }
        }
        md.AppendLine(inv, $"PyTorch: {torchInfo}.");
        md.AppendLine();
        md.AppendLine("Times are BenchmarkDotNet medians (PyTorch: median of timed steps). Ratios are the baseline's time per step over HpcSgd's: above 1, HpcSgd is faster.");
        md.AppendLine("GFLOP/s counts 2 per multiply-add over forward, weight gradient and the input gradient of every layer but the first.");
        md.AppendLine();
        md.AppendLine("Data GB/s (W1, W2): training bytes read per second (features and target of each sample), as a share of the read bandwidth of the level the data set fits in (W1: L3, W2: memory).");
        md.AppendLine();
        md.AppendLine("| cell | HpcSgd us/step | samples/s | GFLOP/s (% peak) | data GB/s (% read bw) | alloc B/step | vs general | vs scalar C# | vs TensorPrimitives | vs PyTorch |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Cell cell in StepBenchmarks.Cells())
        {
            if (!csharp.TryGetValue((cell.ToString(), "Specialized"), out (double Us, long Bytes) hpc))
            {
                continue;
            }
            double samples = cell.Batch / (hpc.Us * 1e-6);
            double gflops = WorkloadCatalog.FlopsPerSample(cell.Workload) * samples / 1e9;
            string flops = cell.Workload is "W3" or "W4"
                ? machine is null ? $"{gflops:F1}" : $"{gflops:F1} ({100 * gflops / machine.PeakGflops:F0}%)"
                : "";
            string bandwidth = "";
            if (cell.Workload is "W1" or "W2" or "W1n100")
            {
                double gbs = samples * (cell.Workload == "W2" ? 65 : 2) * sizeof(float) / 1e9;
                double limit = machine is null ? 0 : cell.Workload == "W2" ? machine.MemoryReadGBs : machine.L3ReadGBs;
                bandwidth = limit > 0 && cell.Workload != "W1n100" ? $"{gbs:F2} ({100 * gbs / limit:F0}%)" : $"{gbs:F2}";
            }
            md.AppendLine(inv, $"| {cell} | {hpc.Us:F2} | {samples:N0} | {flops} | {bandwidth} | {hpc.Bytes} | {Ratio(csharp, cell, "General", hpc.Us)} | {Ratio(csharp, cell, "Scalar", hpc.Us)} | {Ratio(csharp, cell, "Primitives", hpc.Us)} | {(torch.TryGetValue(cell.ToString(), out double t) ? Format(t / hpc.Us) : "")} |");
        }
        md.AppendLine();

        string threadsPath = Path.Combine(folder, "bdn-threads.json");
        if (File.Exists(threadsPath))
        {
            var threads = ReadBenchmarkDotNet(threadsPath);
            md.AppendLine("## Two cores: TrainingOptions.Threads = 2 against one thread (same run)");
            md.AppendLine();
            if (machine is { TwoThreadPeakGflops: > 0 })
            {
                md.AppendLine(inv, $"The FMA probe on two threads at once ran {machine.TwoThreadPeakGflops / machine.PeakGflops:F2}x its one-thread rate ({machine.TwoThreadPeakGflops:F1} GFLOP/s): the most a compute-bound step can gain from the second core here.");
                md.AppendLine();
            }
            md.AppendLine("| cell | 1 thread us/step | 2 threads us/step | speed-up | alloc B/step (2 threads, calling thread) |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (Cell cell in ThreadScalingBenchmarks.Cells())
            {
                if (threads.TryGetValue((cell.ToString(), "OneThread"), out (double Us, long Bytes) one) && threads.TryGetValue((cell.ToString(), "TwoThreads"), out (double Us, long Bytes) two))
                {
                    md.AppendLine(inv, $"| {cell} | {one.Us:F1} | {two.Us:F1} | {Format(one.Us / two.Us)} | {two.Bytes} |");
                }
            }
            md.AppendLine();
        }

        md.AppendLine($"## Quality check: 1 epoch, learning rate 0.1, batch 64, Fashion-MNIST test accuracy ({QualityCheck.Seeds} seeds)");
        md.AppendLine();
        md.AppendLine("Accuracy is the mean over the seeds (range in brackets); epoch time the median. The first epoch of the process "
            + "also compiles the kernels (HpcSgd: JIT of the generated code; PyTorch: its own warm-up) and is shown apart.");
        md.AppendLine();
        md.AppendLine("| workload | HpcSgd accuracy | HpcSgd epoch s (first) | PyTorch accuracy | PyTorch epoch s (first) | epoch time ratio |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (QualityCheck.Result q in quality)
        {
            (string _, double torchSeconds, double torchFirst, double torchAccuracy, string torchRange) =
                torchQuality.FirstOrDefault(x => x.Workload == q.Workload);
            bool hasTorch = torchSeconds > 0;
            md.AppendLine(inv, $"| {q.Workload} | {q.TestAccuracy:F4} ({q.Accuracies.Min():F3}..{q.Accuracies.Max():F3}) | {q.EpochSeconds:F3} ({q.FirstEpochSeconds:F3}) | "
                + $"{(hasTorch ? torchAccuracy.ToString("F4", inv) + " " + torchRange : "")} | "
                + $"{(hasTorch ? $"{torchSeconds.ToString("F3", inv)} ({torchFirst.ToString("F3", inv)})" : "")} | {(hasTorch ? Format(torchSeconds / q.EpochSeconds) : "")} |");
        }
        md.AppendLine();
        md.AppendLine("Charts: " + string.Join(", ", WorkloadCatalog.Names.Select(w => $"[{w}](samples-per-second-{w}.png)")));
        File.WriteAllText(Path.Combine(folder, "suite.md"), md.ToString());

        foreach (string workload in WorkloadCatalog.Names)
        {
            Chart(folder, workload, csharp, torch);
        }
        Console.WriteLine($"wrote {Path.Combine(folder, "suite.md")}");
        return 0;
    }

    private static string Ratio(Dictionary<(string, string), (double Us, long Bytes)> results, Cell cell, string method, double hpcUs) =>
        results.TryGetValue((cell.ToString(), method), out (double Us, long Bytes) other) ? Format(other.Us / hpcUs) : "";

    private static string Format(double ratio) => ratio >= 100 ? ratio.ToString("N0", CultureInfo.InvariantCulture) : ratio.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>(cell, method) to (median microseconds, allocated bytes per operation).</summary>
    private static Dictionary<(string, string), (double, long)> ReadBenchmarkDotNet(string path)
    {
        var results = new Dictionary<(string, string), (double, long)>();
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (JsonElement b in doc.RootElement.GetProperty("Benchmarks").EnumerateArray())
        {
            string method = b.GetProperty("Method").GetString()!;
            string cell = b.GetProperty("Parameters").GetString()!.Replace("Case=", "", StringComparison.Ordinal);
            if (!b.TryGetProperty("Statistics", out JsonElement stats) || stats.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            double median = stats.GetProperty("Median").GetDouble() / 1000.0;
            long bytes = b.TryGetProperty("Memory", out JsonElement memory) ? memory.GetProperty("BytesAllocatedPerOperation").GetInt64() : -1;
            results[(cell, method)] = (median, bytes);
        }
        return results;
    }

    private readonly record struct TorchQuality(string Workload, double Seconds, double FirstSeconds, double Accuracy, string Range);

    private static Dictionary<string, double> ReadPyTorch(string path, out string info, out List<TorchQuality> quality)
    {
        var results = new Dictionary<string, double>();
        quality = [];
        if (!File.Exists(path))
        {
            info = "not run (install python3-torch and libopenblas0-pthread, then run benchmarks/run-suite)";
            return results;
        }
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = doc.RootElement;
        string libraries = string.Join(", ", root.GetProperty("blas_libraries").EnumerateArray().Select(e => e.GetString()));
        info = $"torch {root.GetProperty("torch").GetString()}, {root.GetProperty("threads").GetInt32()} thread, eager, torch.optim.SGD; BLAS loaded: {(libraries.Length > 0 ? libraries : "none found")}";
        foreach (JsonElement c in root.GetProperty("cells").EnumerateArray())
        {
            results[$"{c.GetProperty("workload").GetString()}/B{c.GetProperty("batch").GetInt32()}"] = c.GetProperty("median_us").GetDouble();
        }
        foreach (JsonElement q in root.GetProperty("quality").EnumerateArray())
        {
            double[] accuracies = q.TryGetProperty("accuracies", out JsonElement all) ? [.. all.EnumerateArray().Select(a => a.GetDouble())] : [];
            string range = accuracies.Length > 1 ? string.Create(CultureInfo.InvariantCulture, $"({accuracies.Min():F3}..{accuracies.Max():F3})") : "";
            double seconds = q.GetProperty("epoch_seconds").GetDouble();
            double first = q.TryGetProperty("first_epoch_seconds", out JsonElement f) ? f.GetDouble() : seconds;
            quality.Add(new TorchQuality(q.GetProperty("workload").GetString()!, seconds, first, q.GetProperty("test_accuracy").GetDouble(), range));
        }
        return results;
    }

    private static void Chart(string folder, string workload, Dictionary<(string, string), (double Us, long Bytes)> csharp, Dictionary<string, double> torch)
    {
        var plot = new ScottPlot.Plot();
        int[] batches = StepBenchmarks.Cells().Where(c => c.Workload == workload).Select(c => c.Batch).ToArray();
        var series = Methods.Select(m => (Name: m, Us: batches.Select(b => csharp.TryGetValue(($"{workload}/B{b}", m), out var r) ? r.Us : double.NaN).ToArray()))
            .Append((Name: "PyTorch", Us: batches.Select(b => torch.TryGetValue($"{workload}/B{b}", out double t) ? t : double.NaN).ToArray()));
        foreach ((string name, double[] us) in series)
        {
            double[] xs = batches.Where((_, i) => !double.IsNaN(us[i])).Select(b => Math.Log2(b)).ToArray();
            double[] ys = batches.Where((_, i) => !double.IsNaN(us[i])).Select((b, i) => 0.0).ToArray();
            int k = 0;
            for (int i = 0; i < batches.Length; i++)
            {
                if (!double.IsNaN(us[i]))
                {
                    ys[k++] = Math.Log10(batches[i] / (us[i] * 1e-6));
                }
            }
            if (xs.Length > 0)
            {
                var scatter = plot.Add.Scatter(xs, ys);
                scatter.LegendText = name switch
                {
                    "Specialized" => "HpcSgd",
                    "General" => "HpcSgd general path",
                    "Scalar" => "scalar C#",
                    "Primitives" => "TensorPrimitives",
                    _ => name,
                };
            }
        }
        plot.Title($"{workload}: training throughput, single thread");
        plot.XLabel("log2(batch size)");
        plot.YLabel("log10(samples per second)");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(folder, $"samples-per-second-{workload}.png"), 800, 500);
    }
}
