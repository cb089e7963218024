using System.Diagnostics;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

/// <summary>The outcome of a sweep: every trial and the recommendation drawn from them.</summary>
/// <param name="Trials">One per grid cell, in <see cref="TrialResult.Index"/> order.</param>
/// <param name="Recommendation">The best pair, the stable region and the learning-rate scaling, in numbers and words.</param>
/// <param name="Options">The options the sweep ran with.</param>
/// <param name="InitialValidationLoss">Validation loss of the shared initial parameters.</param>
/// <param name="WallSeconds">Wall time of the whole sweep.</param>
public sealed record SweepResult(IReadOnlyList<TrialResult> Trials, Recommendation Recommendation, SweepOptions Options,
    float InitialValidationLoss, double WallSeconds)
{
    /// <summary>
    /// The final rounds' trials, indices past the grid's: each finalist trained again from more seeds
    /// (<see cref="SweepOptions.Finalists"/>), then the refined rates (<see cref="SweepOptions.RefineRate"/>); empty without them.
    /// </summary>
    public IReadOnlyList<TrialResult> FinalTrials { get; init; } = [];
}

/// <summary>
/// Trains one trial per (learning rate, batch size) cell from the same initial parameters and compares them on a
/// validation set under the same budget. Hopeless trials stop early by synchronous successive halving: every
/// running trial trains to a rung (a fraction of the budget), then only the best 1/eta by validation loss go on.
/// Unlike ASHA's asynchronous promotions, the rung decisions wait for the whole rung, so the result does not
/// depend on which thread ran what (with samples or steps budgets it is bit-for-bit repeatable); the price is some
/// idle time at the end of each rung. Diverged trials stop at once. Every buffer is allocated before the first
/// step; the steps themselves allocate nothing.
/// </summary>
public static partial class LearningRateSweep
{
    /// <summary>Runs the sweep on <paramref name="training"/>, judging trials on <paramref name="validation"/>.</summary>
    /// <param name="initialParameters">The parameters every trial starts from (not modified).</param>
    /// <param name="training">Training samples.</param>
    /// <param name="validation">Held-out samples for the rung decisions, curves and labels.</param>
    /// <param name="options">Grid, budget, rungs and threads.</param>
    /// <param name="monitor">Optional live counts for a progress display.</param>
    /// <param name="cancellationToken">Stops every trial at its next step; then <see cref="OperationCanceledException"/> is thrown.</param>
    public static SweepResult Run<TModel>(ReadOnlySpan<float> initialParameters, Dataset<TModel> training, Dataset<TModel> validation,
        SweepOptions options, SweepMonitor? monitor = null, CancellationToken cancellationToken = default)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(training.Count);
        if (initialParameters.Length != TModel.Description.ParameterCount)
        {
            throw new ArgumentException(
                $"initialParameters holds {initialParameters.Length} floats but {TModel.Description.Name} has {TModel.Description.ParameterCount}.", nameof(initialParameters));
        }
        long start = Stopwatch.GetTimestamp();
        monitor ??= new SweepMonitor();
        var initial = new Model<TModel>(initialParameters);
        float initialLoss = initial.EvaluateLoss(validation);
        double[] evaluations = options.EvaluationFractions();
        int batchCount = options.BatchSizes.Count;
        var trials = new Trial<TModel>[options.LearningRates.Count * batchCount];
        for (int l = 0; l < options.LearningRates.Count; l++)
        {
            for (int b = 0; b < batchCount; b++)
            {
                int index = l * batchCount + b;
                trials[index] = new Trial<TModel>(index, options.LearningRates[l], options.BatchSizes[b], TrialSeed(options, index),
                    initialParameters, training, validation, options, evaluations, initialLoss);
            }
        }
        monitor.Start(trials.Length);
        SweepJournal? journal = options.JournalFolder is { } folder
            ? SweepJournal.Open(folder, JournalHeader(initialParameters, training, validation, options, initialLoss), options.Shard)
            : null;
        TrialResult[] results, finalTrials;
        try
        {
            try
            {
                RunRungs(trials, options, monitor, journal, cancellationToken);
            }
            finally
            {
                foreach (Trial<TModel> trial in trials)
                {
                    trial.Dispose();
                }
            }
            results = [.. trials.Select(t => t.Result(options.LabelRules))];
            finalTrials = RunFinalRounds(results, initialParameters, training, validation, options, evaluations, initialLoss, monitor, journal, cancellationToken);
            journal?.DeleteCheckpoints();
        }
        finally
        {
            journal?.Dispose();
        }
        return new SweepResult(results, Recommendation.From(results, options, initialLoss, ChanceAccuracy(validation), finalTrials), options, initialLoss,
            Stopwatch.GetElapsedTime(start).TotalSeconds) { FinalTrials = finalTrials };
    }

    /// <summary>For a classifier, the accuracy of always answering the validation set's most common class; null for regression.</summary>
    internal static double? ChanceAccuracy<TModel>(Dataset<TModel> validation) where TModel : ISgdModel<TModel>
    {
        Loss loss = TModel.Description.Loss;
        if (loss == Loss.MeanSquaredError)
        {
            return null;
        }
        ReadOnlySpan<float> targets = validation.Targets;
        if (loss == Loss.BinaryCrossEntropy)
        {
            int positive = 0;
            foreach (float t in targets)
            {
                positive += t >= 0.5f ? 1 : 0;
            }
            return Math.Max(positive, targets.Length - positive) / (double)targets.Length;
        }
        var counts = new int[TModel.Description.OutputCount];
        foreach (float t in targets)
        {
            counts[(int)t]++;
        }
        return counts.Max() / (double)targets.Length;
    }

    private static void RunRungs<TModel>(Trial<TModel>[] trials, SweepOptions options, SweepMonitor monitor, SweepJournal? journal,
        CancellationToken cancellationToken)
        where TModel : ISgdModel<TModel>
    {
        double[] rungs = options.RungFractions();
        var phase = new Phase<TModel>(trials, monitor, journal, options, cancellationToken);
        using var pool = new WorkerPool(Math.Max(1, Math.Min(options.Threads, trials.Length)));
        for (int rung = 0; rung < rungs.Length; rung++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            monitor.StartRung(rung);
            phase.Begin(rung, rungs[rung]);
            pool.Run(phase);
            cancellationToken.ThrowIfCancellationRequested();
            if (phase.Waiting.Count > 0)
            {
                throw new SweepShardPendingException(options.Shard!.Value, rung, [.. phase.Waiting.Order()], journal!.Folder);
            }
            if (rung == rungs.Length - 1)
            {
                break;
            }
            // Keep the best 1/eta of the trials still running, by validation loss at this rung; ties by grid order.
            Trial<TModel>[] running = [.. trials.Where(t => t.IsRunning).OrderBy(t => t.LastValidationLoss).ThenBy(t => t.Index)];
            int keep = Math.Max(1, (running.Length + options.ReductionFactor - 1) / options.ReductionFactor);
            for (int i = keep; i < running.Length; i++)
            {
                running[i].Stop();
            }
            monitor.TrialsStopped(Math.Max(0, running.Length - keep));
        }
    }

    /// <summary>
    /// One rung: the workers take the running trials in grid order from a shared counter. With a journal, a trial the
    /// journal has at this rung is restored from it instead of trained, one trained here is journaled (with a checkpoint
    /// when it goes on), and one of another shard that is not journaled yet is listed in <see cref="Waiting"/>.
    /// </summary>
    private sealed class Phase<TModel>(Trial<TModel>[] trials, SweepMonitor monitor, SweepJournal? journal, SweepOptions options,
        CancellationToken cancellationToken) : IParallelWork
        where TModel : ISgdModel<TModel>
    {
        private int next;
        private int rung;
        private double fraction;

        public System.Collections.Concurrent.ConcurrentBag<int> Waiting { get; private set; } = [];

        public void Begin(int rungIndex, double budgetFraction)
        {
            next = 0;
            rung = rungIndex;
            fraction = budgetFraction;
            Waiting = [];
        }

        public void Execute(int worker, int workers)
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next) - 1;
                if (i >= trials.Length)
                {
                    return;
                }
                Trial<TModel> trial = trials[i];
                if (!trial.IsRunning || cancellationToken.IsCancellationRequested)
                {
                    continue;
                }
                bool owned = options.Shard is not { } shard || shard.Owns(trial.Index);
                if (journal?.Find(trial.Index, rung) is { } entry)
                {
                    monitor.TrialStarted();
                    trial.Restore(entry, entry.Continues && owned ? journal.CheckpointPath(trial.Index, rung) : null);
                    monitor.TrialPaused(trial.LastValidationLoss, trial.LearningRate, trial.BatchSize, trial.Ended, trained: false);
                    continue;
                }
                else if (!owned)
                {
                    Waiting.Add(trial.Index);
                    continue;
                }
                else
                {
                    monitor.TrialStarted();
                    trial.RunTo(fraction, rung, cancellationToken);
                    if (journal is not null && !cancellationToken.IsCancellationRequested)
                    {
                        bool continues = trial.IsRunning && rung < options.Rungs - 1;
                        if (continues)
                        {
                            trial.SaveCheckpoint(journal.CheckpointPath(trial.Index, rung));
                        }
                        journal.Append(trial.Entry(rung, continues, options.LabelRules));
                    }
                }
                monitor.TrialPaused(trial.LastValidationLoss, trial.LearningRate, trial.BatchSize, trial.Ended);
            }
        }
    }
}
