using System.Globalization;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

public static partial class LearningRateSweep
{
    /// <summary>
    /// The grid trials of the final round (<see cref="SweepOptions.Finalists"/>): the best by final validation loss among
    /// those that finished the last rung, in that order. A replica of finalist f with extra seed s is trial
    /// <c>grid + f x FinalistSeeds + s</c>.
    /// </summary>
    internal static TrialResult[] FinalistsOf(IReadOnlyList<TrialResult> grid, SweepOptions options) =>
        [.. Recommendation.Ranked(grid).Where(t => t.RungReached == options.Rungs - 1 && t.Status == TrialStatus.Completed).Take(options.Finalists)];

    /// <summary>The seed of trial <paramref name="index"/> (grid cells and finalists' replicas alike).</summary>
    private static ulong TrialSeed(SweepOptions options, int index) => options.Seed * 0x9E3779B97F4A7C15UL + (ulong)index + 1;

    /// <summary>
    /// Trains every finalist again from <see cref="SweepOptions.FinalistSeeds"/> more seeds, each for the whole budget in
    /// one phase (journaled, restored and sharded like a rung, as the rung after the last).
    /// </summary>
    private static TrialResult[] RunFinalRound<TModel>(TrialResult[] grid, ReadOnlySpan<float> initialParameters, Dataset<TModel> training,
        Dataset<TModel> validation, SweepOptions options, double[] evaluations, float initialLoss, SweepMonitor monitor, SweepJournal? journal,
        CancellationToken cancellationToken)
        where TModel : ISgdModel<TModel>
    {
        TrialResult[] finalists = FinalistsOf(grid, options);
        if (finalists.Length == 0)
        {
            return [];
        }
        var replicas = new Trial<TModel>[finalists.Length * options.FinalistSeeds];
        try
        {
            for (int i = 0; i < replicas.Length; i++)
            {
                TrialResult finalist = finalists[i / options.FinalistSeeds];
                int index = grid.Length + i;
                replicas[i] = new Trial<TModel>(index, finalist.LearningRate, finalist.BatchSize, TrialSeed(options, index),
                    initialParameters, training, validation, options, evaluations, initialLoss);
            }
            cancellationToken.ThrowIfCancellationRequested();
            monitor.StartFinalRound(replicas.Length);
            var phase = new Phase<TModel>(replicas, monitor, journal, options, cancellationToken);
            using var pool = new WorkerPool(Math.Max(1, Math.Min(options.Threads, replicas.Length)));
            phase.Begin(options.Rungs, 1.0);
            pool.Run(phase);
            cancellationToken.ThrowIfCancellationRequested();
            if (phase.Waiting.Count > 0)
            {
                throw new SweepShardPendingException(options.Shard!.Value, options.Rungs, [.. phase.Waiting.Order()], journal!.Folder);
            }
            return [.. replicas.Select(t => t.Result(options.LabelRules))];
        }
        finally
        {
            foreach (Trial<TModel>? replica in replicas)
            {
                replica?.Dispose();
            }
        }
    }

    /// <summary>The final round's replicas from a journal, after the grid's rungs were replayed into <paramref name="grid"/>.</summary>
    private static TrialResult[] JournaledFinalRound(SweepJournal journal, TrialResult[] grid, SweepOptions options, IReadOnlyList<string> journalFolders)
    {
        TrialResult[] finalists = FinalistsOf(grid, options);
        var replicas = new TrialResult[finalists.Length * options.FinalistSeeds];
        for (int i = 0; i < replicas.Length; i++)
        {
            TrialResult finalist = finalists[i / options.FinalistSeeds];
            int index = grid.Length + i;
            TrialResult replica = journal.Find(index, options.Rungs)?.Trial ?? throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"the journals in {string.Join(", ", journalFolders)} lack trial {index} (finalist learning rate {finalist.LearningRate:G4}, batch {finalist.BatchSize}, another seed) of the final round; run the shard that owns it again."));
            if (replica.LearningRate != finalist.LearningRate || replica.BatchSize != finalist.BatchSize)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"the journals in {string.Join(", ", journalFolders)} hold trial {index} of the final round at learning rate {replica.LearningRate:G4}, batch {replica.BatchSize}, but the replayed rungs make it a replica of learning rate {finalist.LearningRate:G4}, batch {finalist.BatchSize}."));
            }
            replicas[i] = replica;
        }
        return replicas;
    }
}
