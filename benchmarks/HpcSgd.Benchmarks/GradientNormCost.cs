using System.Diagnostics;
using System.Globalization;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Models;

namespace HpcSgd.Benchmarks;

/// <summary>
/// What the per-example gradient norms cost next to the gradient they come with: <c>norms-cost [ROUNDS]</c> alternates,
/// round by round, samples of LossAndGradient alone and of LossAndGradient followed by PerExampleGradientNorms on the
/// same batch (W3 and W4 at batch 64 and 512; the inputs' squared norms computed, or given as a session would gather
/// them from Dataset.InputSquaredNorms), and reports the median over rounds of the extra time as a fraction.
/// </summary>
public static class GradientNormCost
{
    public static int Run(int rounds)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{MachineProbe.CpuName()}; widest accelerated vectors: {PairedSteps.ProbeLanes} lanes");
        foreach ((string workload, int batch) in new[] { ("W3", 64), ("W3", 512), ("W4", 64), ("W4", 512) })
        {
            foreach (bool known in new[] { false, true })
            {
                double extra = workload == "W3" ? Measure<W3>(WorkloadCatalog.Get(workload), batch, rounds, known) : Measure<W4>(WorkloadCatalog.Get(workload), batch, rounds, known);
                Console.WriteLine(string.Create(inv, $"{workload}/B{batch}, input norms {(known ? "given" : "computed")}: norms add {100 * extra:F2}% to LossAndGradient (median of {rounds} paired rounds)"));
            }
        }
        return 0;
    }

    private static double Measure<TModel>(WorkloadData data, int batch, int rounds, bool known) where TModel : ISgdModel<TModel>
    {
        ModelDescription d = TModel.Description;
        float[] parameters = new Model<TModel>(seed: 1).Parameters.ToArray();
        ReadOnlySpan<float> inputs = data.Features.AsSpan(0, batch * d.InputCount);
        ReadOnlySpan<float> targets = data.Targets.AsSpan(0, batch * d.TargetWidth);
        var gradient = new float[d.ParameterCount];
        var workspace = new float[TModel.WorkspaceLength(batch)];
        var norms = new float[batch];
        float[] inputNorms = known ? [.. Enumerable.Range(0, batch).Select(b => System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(data.Features.AsSpan(b * d.InputCount, d.InputCount)))] : [];
        int repeats = Math.Max(1, 2_000_000 / (batch * d.ParameterCount / 100 + 1));
        double Sample(bool withNorms, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < repeats; i++)
            {
                TModel.LossAndGradient(parameters, x, y, gradient, workspace, batch);
                if (withNorms)
                {
                    TModel.PerExampleGradientNorms(parameters, x, y, workspace, inputNorms, norms, batch);
                }
            }
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Sample(true, inputs, targets);
        var ratios = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double plain = Sample(false, inputs, targets);
            double with = Sample(true, inputs, targets);
            ratios.Add(with / plain - 1);
        }
        ratios.Sort();
        return ratios[ratios.Count / 2];
    }
}
