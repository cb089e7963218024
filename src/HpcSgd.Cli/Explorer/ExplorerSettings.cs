using HpcSgd.Tuning;

namespace HpcSgd.Cli.Explorer;

/// <summary>Which parts of the explorer to run.</summary>
[Flags]
internal enum ExplorerParts
{
    Sweep = 1,
    RangeTest = 2,
    Noise = 4,
    All = Sweep | RangeTest | Noise,
}

/// <summary>
/// Where the data comes from: the embedded default (classic example and digits) or a CSV file, with a model compiled
/// into hpcsgd (<see cref="Model"/>) or one compiled at run time for the table (<see cref="Table"/>, <see cref="ModelShape"/>).
/// </summary>
internal sealed record DataChoice(string? CsvPath, string? Target, string? Task, string? Model, double ValidationFraction, int ClassicSamples,
    Tables.TableOptions? Table = null, ModelChoice? ModelShape = null, string? Dataset = null, string? DatasetDirectory = null);

/// <summary>The explorer's settings from the command line; null grid entries take per-dataset defaults.</summary>
internal sealed record ExplorerSettings(
    ExplorerParts Parts,
    DataChoice Data,
    float? LearningRateMin,
    float? LearningRateMax,
    int? LearningRateCount,
    int[]? BatchSizes,
    TrainingBudget? Budget,
    int? Rungs,
    int Threads,
    int Evaluations,
    int RangeTestSeeds,
    int NoiseDraws,
    ulong Seed,
    string OutputFolder,
    int RollBacks = 0,
    bool Resume = false,
    SweepShard? Shard = null,
    IReadOnlyList<string>? CommandLine = null,
    int? Finalists = null);

/// <summary>The grid and budget one experiment runs with, after defaults.</summary>
/// <param name="LearningRates">The grid's learning rates.</param>
/// <param name="BatchSizes">The grid's batch sizes.</param>
/// <param name="Budget">The budget per trial.</param>
/// <param name="Rungs">Successive-halving rungs.</param>
/// <param name="Finalists">The best trials trained again from two more seeds each before the recommendation (<see cref="SweepOptions.Finalists"/>).</param>
internal sealed record ExperimentPlan(float[] LearningRates, int[] BatchSizes, TrainingBudget Budget, int Rungs, int Finalists = 0)
{
    /// <summary>Fills what the user left open with the defaults for <paramref name="experiment"/>.</summary>
    public static ExperimentPlan For(Experiment experiment, ExplorerSettings s, ExperimentPlan defaults) => For(experiment.TrainingCount, s, defaults);

    /// <summary>Fills what the user left open with the defaults, for <paramref name="trainingCount"/> training samples.</summary>
    public static ExperimentPlan For(int trainingCount, ExplorerSettings s, ExperimentPlan defaults)
    {
        float min = s.LearningRateMin ?? defaults.LearningRates[0];
        float max = s.LearningRateMax ?? defaults.LearningRates[^1];
        int count = s.LearningRateCount ?? defaults.LearningRates.Length;
        if (!(min > 0 && max > min && float.IsFinite(max)))
        {
            throw new ArgumentException($"--lr-min {min} and --lr-max {max}: the learning-rate range needs 0 < min < max.", "lr-min");
        }
        if (count < 2)
        {
            throw new ArgumentException($"--lr-count is {count}; a grid needs at least 2 learning rates.", "lr-count");
        }
        float[] rates = s.LearningRateMin is null && s.LearningRateMax is null && s.LearningRateCount is null
            ? defaults.LearningRates
            : SweepOptions.LogSpaced(min, max, count);
        int[] batches = s.BatchSizes ?? [.. defaults.BatchSizes.Where(b => b <= trainingCount)];
        foreach (int b in batches)
        {
            if (b < 1 || b > trainingCount)
            {
                throw new ArgumentException($"--batch-sizes has {b}; batch sizes must be from 1 to the {trainingCount} training samples.", "batch-sizes");
            }
        }
        int rungs = s.Rungs ?? defaults.Rungs;
        if (rungs < 1)
        {
            throw new ArgumentException($"--rungs is {rungs}; use 1 (no early stopping) or more.", "rungs");
        }
        int finalists = s.Finalists ?? defaults.Finalists;
        if (finalists < 0)
        {
            throw new ArgumentException($"--finalists is {finalists}; use 0 (recommend the best single trial) or more.", "finalists");
        }
        return new ExperimentPlan(rates, batches, s.Budget ?? defaults.Budget, rungs, finalists);
    }
}
