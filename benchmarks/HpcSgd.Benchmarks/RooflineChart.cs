using System.Globalization;
using HpcSgd.Benchmarks.Workloads;

namespace HpcSgd.Benchmarks;

/// <summary>
/// <c>roofline DIR</c>: from DIR/versus.csv (benchmarks/pytorch/versus.py), one chart per mode, DIR/roofline-MODE.png:
/// GFLOP/s against batch size for HpcSgd and PyTorch on W3 and W4, under the median FMA-probe peak of that mode and,
/// for W3, the bound its gathered bytes per sample set at the machine's memory read bandwidth (DIR/machine.json).
/// </summary>
public static class RooflineChart
{
    private sealed record Row(string Mode, string Workload, int Batch, double HpcSgdUs, double TorchUs, double ProbeGflops);

    public static int Write(string folder)
    {
        string csv = Path.Combine(folder, "versus.csv");
        if (!File.Exists(csv))
        {
            Console.Error.WriteLine($"'{csv}' not found: run benchmarks/pytorch/versus.py --out {folder} first.");
            return 1;
        }
        Row[] rows = Read(csv);
        string machinePath = Path.Combine(folder, "machine.json");
        double? memoryGBs = File.Exists(machinePath)
            ? System.Text.Json.JsonSerializer.Deserialize<MachineProbe.Limits>(File.ReadAllText(machinePath))?.MemoryReadGBs
            : null;
        foreach (string mode in rows.Select(r => r.Mode).Distinct())
        {
            Row[] modeRows = rows.Where(r => r.Mode == mode).ToArray();
            var plot = new ScottPlot.Plot();
            double peak = Median(modeRows.Select(r => r.ProbeGflops));
            var peakLine = plot.Add.HorizontalLine(peak);
            peakLine.LegendText = string.Create(CultureInfo.InvariantCulture, $"FMA peak, paired probe ({peak:F0} GFLOP/s)");
            if (memoryGBs is double bandwidth)
            {
                // W3 reads each sample's 784 floats from a data set larger than the caches: 4 * 784 bytes per 4 * 784 * 10 FLOP.
                double w3Bound = bandwidth * 1e9 / (4.0 * 784) * WorkloadCatalog.FlopsPerSample("W3") / 1e9;
                if (w3Bound < 2 * peak)
                {
                    var bound = plot.Add.HorizontalLine(w3Bound);
                    bound.LegendText = string.Create(CultureInfo.InvariantCulture, $"W3 memory bound ({bandwidth:F0} GB/s)");
                }
            }
            foreach (string workload in new[] { "W4", "W3" })
            {
                Row[] w = modeRows.Where(r => r.Workload == workload).OrderBy(r => r.Batch).ToArray();
                if (w.Length == 0)
                {
                    continue;
                }
                double[] xs = w.Select(r => Math.Log2(r.Batch)).ToArray();
                double flops = WorkloadCatalog.FlopsPerSample(workload);
                var ours = plot.Add.Scatter(xs, w.Select(r => flops * r.Batch / (r.HpcSgdUs * 1e3)).ToArray());
                ours.LegendText = $"HpcSgd {workload}";
                var theirs = plot.Add.Scatter(xs, w.Select(r => flops * r.Batch / (r.TorchUs * 1e3)).ToArray());
                theirs.LegendText = $"PyTorch {workload}";
                theirs.LinePattern = ScottPlot.LinePattern.Dashed;
            }
            plot.Title(mode == "avx512off" ? "Single thread, DOTNET_EnableAVX512=0 (256-bit, 16 registers)" : "Single thread, widest vectors");
            plot.XLabel("log2(batch size)");
            plot.YLabel("GFLOP/s (step time, median of rounds)");
            plot.Axes.SetLimitsY(0, peak * 1.6);
            plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
            string path = Path.Combine(folder, $"roofline-{mode}.png");
            plot.SavePng(path, 800, 500);
            Console.WriteLine($"wrote {path}");
        }
        return 0;
    }

    private static Row[] Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        string[] header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is int i and >= 0 ? i : throw new InvalidDataException($"{path}: no column '{name}'");
        int mode = Column("mode"), cell = Column("cell"), ours = Column("hpcsgd_us"), theirs = Column("torch_us"), probe = Column("probe_gflops");
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).Select(f =>
        {
            string[] parts = f[cell].Split("/B");
            return new Row(f[mode], parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(f[ours], CultureInfo.InvariantCulture),
                double.Parse(f[theirs], CultureInfo.InvariantCulture), double.Parse(f[probe], CultureInfo.InvariantCulture));
        }).ToArray();
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
