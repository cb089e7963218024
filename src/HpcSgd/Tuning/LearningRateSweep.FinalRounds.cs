using System.Globalization;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

public static partial class LearningRateSweep
{
    /// <summary>The seed of trial <paramref name="index"/> (grid cells and the final rounds' trials alike).</summary>
    private static ulong TrialSeed(SweepOptions options, int index) => options.Seed * 0x9E3779B97F4A7C15UL + (ulong)index + 1;

    /// <summary>
    /// The final rounds (<see cref="FinalRound"/>): the finalists' replicas, then the refined rates around the best mean,
    /// each round one phase of whole-budget trials, journaled, restored and sharded like a rung.
    /// </summary>
    private static TrialResult[] RunFinalRounds<TModel>(TrialResult[] grid, ReadOnlySpan<float> initialParameters, Dataset<TModel> training,
        Dataset<TModel> validation, SweepOptions options, double[] evaluations, float initialLoss, SweepMonitor monitor, SweepJournal? journal,
        CancellationToken cancellationToken)
        where TModel : ISgdModel<TModel>
    {
        List<(int Index, float Rate, int Batch)> replicas = ReplicaTrials(grid, options);
        TrialResult[] done = RunPhase(replicas, options.Rungs, initialParameters, training, validation, options, evaluations, initialLoss, monitor, journal, cancellationToken);
        if (options.RefineRate && RefinedTrials(grid, options, done) is { Count: > 0 } refined)
        {
            done = [.. done, .. RunPhase(refined, options.Rungs + 1, initialParameters, training, validation, options, evaluations, initialLoss, monitor, journal, cancellationToken)];
        }
        return done;
    }

    /// <summary>The finalists' round: each finalist again with every extra seed.</summary>
    private static List<(int Index, float Rate, int Batch)> ReplicaTrials(TrialResult[] grid, SweepOptions options)
    {
        TrialResult[] finalists = FinalRound.Finalists(grid, options);
        var trials = new List<(int Index, float Rate, int Batch)>();
        for (int f = 0; f < finalists.Length; f++)
        {
            for (int s = 0; s < options.FinalistSeeds; s++)
            {
                trials.Add((FinalRound.ReplicaIndex(grid.Length, options, f, s), finalists[f].LearningRate, finalists[f].BatchSize));
            }
        }
        return trials;
    }

    /// <summary>The refinement's trials around the best mean of the finalists' round.</summary>
    private static List<(int Index, float Rate, int Batch)> RefinedTrials(TrialResult[] grid, SweepOptions options, TrialResult[] replicas)
    {
        var trials = new List<(int Index, float Rate, int Batch)>();
        if (FinalRound.Summaries(grid, options, replicas) is not [FinalistSummary winner, ..])
        {
            return trials;
        }
        float[] rates = FinalRound.RatesAround(winner.LearningRate, options);
        for (int c = 0; c < rates.Length; c++)
        {
            for (int s = 0; s < FinalRound.RefinedSeeds(options); s++)
            {
                trials.Add((FinalRound.RefinedIndex(grid.Length, options, c, s), rates[c], winner.BatchSize));
            }
        }
        return trials;
    }

    private static TrialResult[] RunPhase<TModel>(List<(int Index, float Rate, int Batch)> planned, int rung, ReadOnlySpan<float> initialParameters,
        Dataset<TModel> training, Dataset<TModel> validation, SweepOptions options, double[] evaluations, float initialLoss, SweepMonitor monitor,
        SweepJournal? journal, CancellationToken cancellationToken)
        where TModel : ISgdModel<TModel>
    {
        if (planned.Count == 0)
        {
            return [];
        }
        var trials = new Trial<TModel>[planned.Count];
        try
        {
            for (int i = 0; i < trials.Length; i++)
            {
                (int index, float rate, int batch) = planned[i];
                trials[i] = new Trial<TModel>(index, rate, batch, TrialSeed(options, index), initialParameters, training, validation, options, evaluations, initialLoss);
            }
            cancellationToken.ThrowIfCancellationRequested();
            monitor.StartFinalRound(trials.Length);
            var phase = new Phase<TModel>(trials, monitor, journal, options, cancellationToken);
            using var pool = new WorkerPool(Math.Max(1, Math.Min(options.Threads, trials.Length)));
            phase.Begin(rung, 1.0);
            pool.Run(phase);
            cancellationToken.ThrowIfCancellationRequested();
            if (phase.Waiting.Count > 0)
            {
                throw new SweepShardPendingException(options.Shard!.Value, rung, [.. phase.Waiting.Order()], journal!.Folder);
            }
            return [.. trials.Select(t => t.Result(options.LabelRules))];
        }
        finally
        {
            foreach (Trial<TModel>? trial in trials)
            {
                trial?.Dispose();
            }
        }
    }

    /// <summary>The final rounds' trials from a journal, after the grid's rungs were replayed into <paramref name="grid"/>.</summary>
    private static TrialResult[] JournaledFinalRounds(SweepJournal journal, TrialResult[] grid, SweepOptions options, IReadOnlyList<string> journalFolders)
    {
        List<(int Index, float Rate, int Batch)> replicas = ReplicaTrials(grid, options);
        TrialResult[] done = Journaled(journal, replicas, options.Rungs, journalFolders);
        if (options.RefineRate)
        {
            done = [.. done, .. Journaled(journal, RefinedTrials(grid, options, done), options.Rungs + 1, journalFolders)];
        }
        return done;
    }

    private static TrialResult[] Journaled(SweepJournal journal, List<(int Index, float Rate, int Batch)> planned, int rung, IReadOnlyList<string> journalFolders)
    {
        var found = new TrialResult[planned.Count];
        for (int i = 0; i < found.Length; i++)
        {
            (int index, float rate, int batch) = planned[i];
            TrialResult trial = journal.Find(index, rung)?.Trial ?? throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"the journals in {string.Join(", ", journalFolders)} lack trial {index} (learning rate {rate:G4}, batch {batch}) of the final rounds; run the shard that owns it again."));
            if (trial.LearningRate != rate || trial.BatchSize != batch)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"the journals in {string.Join(", ", journalFolders)} hold trial {index} of the final rounds at learning rate {trial.LearningRate:G4}, batch {trial.BatchSize}, but the replayed sweep makes it learning rate {rate:G4}, batch {batch}."));
            }
            found[i] = trial;
        }
        return found;
    }
}
