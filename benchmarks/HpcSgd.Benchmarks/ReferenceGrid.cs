using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tuning;

namespace HpcSgd.Benchmarks;

/// <summary>
/// An exhaustive reference grid for issue #15's tabular targets: every (rate, batch size) cell trained for the same
/// number of epochs from each seed's initial parameters, plain SGD, no early stopping; the mean final validation loss
/// over seeds per cell (a diverged trial counts as infinite).
/// </summary>
internal sealed class ReferenceGrid
{
    private readonly Dictionary<(int Batch, float Rate), List<float>> losses = [];

    public ReferenceGrid(float[] rates, int[] batches, int epochs, int seeds, long samples)
    {
        Rates = rates;
        Batches = batches;
        Epochs = epochs;
        Seeds = seeds;
        Samples = samples;
    }

    public float[] Rates { get; }

    public int[] Batches { get; }

    public int Epochs { get; }

    public int Seeds { get; }

    /// <summary>Samples trained over the whole grid: the compute the targets compare against.</summary>
    public long Samples { get; private set; }

    /// <summary>The three public tables, with the model each runs (breast cancer and wine exported from scikit-learn, digits from the CLI).</summary>
    public static IEnumerable<(string Name, Func<TrainValidationSplit, TableRun> Bind)> Tables() =>
    [
        ("breast-cancer", split => TableRun.For<RangeBreastCancer>(split)),
        ("wine", split => TableRun.For<RangeWine>(split)),
        ("digits", split => TableRun.For<RangeDigits>(split)),
    ];

    public static TrainValidationSplit Load(string folder, string name) =>
        TrainValidationSplit.Create(CsvTable.Load(Path.Combine(folder, name + ".csv"), "label", TargetKind.Classification), validationFraction: 0.2, seed: 1);

    public static ReferenceGrid Run<TModel>(Dataset<TModel> train, Dataset<TModel> validation, float[] rates, int[] batches, int epochs, int seeds)
        where TModel : ISgdModel<TModel>
    {
        var grid = new ReferenceGrid(rates, batches, epochs, seeds, 0);
        for (ulong seed = 1; seed <= (ulong)seeds; seed++)
        {
            SweepResult sweep = LearningRateSweep.Run(new Model<TModel>(seed: seed).Parameters, train, validation, new SweepOptions
            {
                LearningRates = rates,
                BatchSizes = batches,
                Budget = TrainingBudget.Samples((long)epochs * train.Count),
                Rungs = 1,
                Evaluations = 4,
                Seed = seed,
            });
            foreach (TrialResult t in sweep.Trials)
            {
                float loss = t.Status == TrialStatus.Diverged || !float.IsFinite(t.FinalValidationLoss) ? float.PositiveInfinity : t.FinalValidationLoss;
                (grid.losses.TryGetValue((t.BatchSize, t.LearningRate), out var list) ? list : grid.losses[(t.BatchSize, t.LearningRate)] = []).Add(loss);
            }
            grid.Samples += (long)rates.Length * batches.Length * epochs * train.Count;
        }
        return grid;
    }

    public double MeanLoss(int batch, float rate) => losses[(batch, rate)].Average();

    public float BestRate(int batch) => Rates.OrderBy(r => MeanLoss(batch, r)).First();

    public double BestLoss => Batches.Min(b => MeanLoss(b, BestRate(b)));

    /// <summary>Issue #15's tolerance: within 5% of the best loss, or best + 0.01 where the best is ~0 (below 0.02).</summary>
    public static bool Close(double loss, double best) => loss <= (best < 0.02 ? best + 0.01 : best * 1.05);

    /// <summary>Rates whose mean loss is <see cref="Close"/> to the batch size's best: a flat optimum has no single best rate.</summary>
    public (float Low, float High) NearBest(int batch)
    {
        double best = MeanLoss(batch, BestRate(batch));
        float[] near = [.. Rates.Where(r => Close(MeanLoss(batch, r), best))];
        return (near.Min(), near.Max());
    }

    /// <summary>Least-squares slope of log(best rate) on log(batch) over batch sizes whose best rate is inside the grid.</summary>
    public double? Exponent(IEnumerable<int> batches)
    {
        (double X, double Y)[] points = [.. batches.Select(b => (b, BestRate(b))).Where(p => p.Item2 != Rates[0] && p.Item2 != Rates[^1])
            .Select(p => (Math.Log(p.b), Math.Log(p.Item2)))];
        return Slope(points);
    }

    public static double? Slope((double X, double Y)[] points)
    {
        if (points.Length < 2)
        {
            return null;
        }
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? null : points.Sum(p => (p.X - mx) * (p.Y - my)) / sxx;
    }
}

/// <summary>One table bound to its model type: what a benchmark needs without naming the type.</summary>
internal abstract class TableRun
{
    public abstract int TrainingCount { get; }

    public abstract string ModelName { get; }

    public static TableRun For<TModel>(TrainValidationSplit split) where TModel : ISgdModel<TModel> => new Bound<TModel>(split);

    public abstract ReferenceGrid Grid(float[] rates, int[] batches, int epochs, int seeds);

    public abstract IReadOnlyList<RangeTestResult> RangeTests(int batch, int seeds);

    public abstract BudgetedRateResult BudgetedRates(int epochs, int[] batches, ulong seed);

    /// <summary>The explorer's sweep for a table (9 rates 1e-3..10, batches 4..128 up to half the rows, 3 rungs) at a budget of <paramref name="epochs"/>.</summary>
    public abstract SweepResult ExplorerSweep(int epochs, int finalists);

    /// <summary>Mean final validation loss of (rate, batch) trained for <paramref name="epochs"/> from each of <paramref name="seeds"/> seeds.</summary>
    public abstract double Train(float rate, int batch, int epochs, int seeds);

    /// <summary>The explorer's noise estimate (per-example norms of batches of <paramref name="bigBatch"/>, <paramref name="draws"/> draws) and the exact B_simple, at the parameters after <paramref name="epochs"/> of (rate, batch).</summary>
    public abstract (NoiseScaleEstimate Estimate, double Exact) NoiseScale(float rate, int batch, double epochs, int bigBatch, int draws);

    private sealed class Bound<TModel>(TrainValidationSplit split) : TableRun where TModel : ISgdModel<TModel>
    {
        private readonly Dataset<TModel> train = new(split.TrainFeatures, split.TrainTargets);
        private readonly Dataset<TModel> validation = new(split.ValidationFeatures, split.ValidationTargets);

        public override int TrainingCount => train.Count;

        public override string ModelName => typeof(TModel).Name;

        private static float[] Initial(ulong seed) => new Model<TModel>(seed: seed).Parameters.ToArray();

        public override ReferenceGrid Grid(float[] rates, int[] batches, int epochs, int seeds) => ReferenceGrid.Run(train, validation, rates, batches, epochs, seeds);

        public override IReadOnlyList<RangeTestResult> RangeTests(int batch, int seeds) =>
            LearningRateRangeTest.Repeat(Initial(1), train, new RangeTestOptions { BatchSize = batch }, [.. Enumerable.Range(1, seeds).Select(i => (ulong)i)], [batch]);

        public override BudgetedRateResult BudgetedRates(int epochs, int[] batches, ulong seed) =>
            Tuning.BudgetedRates.Suggest(Initial(seed), train, validation, new BudgetedRateOptions { Epochs = epochs, BatchSizes = batches, Seed = seed });

        public override SweepResult ExplorerSweep(int epochs, int finalists) =>
            LearningRateSweep.Run(Initial(1), train, validation, new SweepOptions
            {
                LearningRates = SweepOptions.LogSpaced(0.001f, 10f, 9),
                BatchSizes = [.. new[] { 4, 8, 16, 32, 64, 128 }.Where(b => b <= train.Count / 2)],
                Budget = TrainingBudget.Samples((long)epochs * train.Count),
                Rungs = 3,
                Finalists = finalists,
                RefineRate = finalists > 0,
            });

        public override double Train(float rate, int batch, int epochs, int seeds)
        {
            double sum = 0;
            for (ulong seed = 1; seed <= (ulong)seeds; seed++)
            {
                var model = new Model<TModel>(seed: seed);
                var result = Training.Trainer.Train(model, train, new Training.TrainingOptions { LearningRate = rate, BatchSize = batch, Epochs = epochs, Seed = seed });
                float loss = model.EvaluateLoss(validation);
                sum += result.Status == Training.TrainingStatus.Completed && float.IsFinite(loss) ? loss : double.PositiveInfinity;
            }
            return sum / seeds;
        }

        public override (NoiseScaleEstimate Estimate, double Exact) NoiseScale(float rate, int batch, double epochs, int bigBatch, int draws)
        {
            var model = new Model<TModel>(seed: 1);
            int steps = (int)(epochs * train.Count / batch);
            if (steps > 0)
            {
                Training.Trainer.Train(model, train, new Training.TrainingOptions { LearningRate = rate, BatchSize = batch, Steps = steps, Seed = 1 });
            }
            NoiseScaleEstimate estimate = GradientNoise.EstimateNoiseScaleFromPerExampleNorms(model.Parameters, train, bigBatch, draws, seed: 7);
            // The whole set as the batch: its gradient is the true one and its per-example norms the population's.
            NoiseScaleEstimate whole = GradientNoise.EstimateNoiseScaleFromPerExampleNorms(model.Parameters, train, train.Count, draws: 1, seed: 7);
            double exact = whole.TraceSigma / whole.GradientSquaredNorm;
            return (estimate, exact);
        }
    }
}
