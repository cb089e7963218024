using System.Globalization;
using HpcSgd.Data;
using HpcSgd.Models;

namespace HpcSgd.Tuning;

/// <summary>
/// A shard finished what it could: a rung needs trials of other shards that are not journaled yet. Run the shard again
/// (with the same journal folder) once they are, or merge the journals when every shard is done.
/// </summary>
public sealed class SweepShardPendingException(SweepShard shard, int rung, IReadOnlyList<int> waitingFor, string journalFolder)
    : Exception(string.Create(CultureInfo.InvariantCulture,
        $"shard {shard} journaled its trials through rung {rung + 1}; the sweep goes on when the other shards have journaled {waitingFor.Count} more trial(s) of that rung (in {journalFolder})."))
{
    /// <summary>The shard that ran.</summary>
    public SweepShard Shard { get; } = shard;

    /// <summary>The rung (0-based) whose results are incomplete.</summary>
    public int Rung { get; } = rung;

    /// <summary>Trial indices of other shards still missing at <see cref="Rung"/>.</summary>
    public IReadOnlyList<int> WaitingFor { get; } = waitingFor;
}

public static partial class LearningRateSweep
{
    /// <summary>
    /// Builds a sweep's result from its journals alone (no model or data needed): the folders of the shards' journals
    /// (or one shared folder). The successive-halving promotions are replayed from the journaled losses, so the result
    /// is the one a single run would give, trial for trial.
    /// </summary>
    /// <exception cref="InvalidDataException">A journal is damaged, they belong to different sweeps, or a trial the sweep needs has not been journaled.</exception>
    public static SweepResult Merge(IReadOnlyList<string> journalFolders)
    {
        ArgumentNullException.ThrowIfNull(journalFolders);
        using SweepJournal journal = SweepJournal.Read(journalFolders);
        SweepJournalHeader header = journal.Header;
        SweepOptions options = header.Options.ToOptions();
        int evaluations = options.EvaluationFractions().Length;
        int batchCount = options.BatchSizes.Count;
        var state = new SweepJournalEntry?[options.LearningRates.Count * batchCount];
        var stopped = new bool[state.Length];
        bool Running(int i) => !stopped[i] && (state[i] is not { } e || (e.Trial.Status != TrialStatus.Diverged && e.Trial.Curve.Count - 1 < evaluations));
        for (int rung = 0; rung < options.Rungs; rung++)
        {
            for (int i = 0; i < state.Length; i++)
            {
                if (Running(i))
                {
                    state[i] = journal.Find(i, rung) ?? throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"the journals in {string.Join(", ", journalFolders)} lack trial {i} (learning rate {options.LearningRates[i / batchCount]:G4}, batch {options.BatchSizes[i % batchCount]}) at rung {rung + 1}; run the shard that owns it again."));
                }
            }
            if (rung == options.Rungs - 1)
            {
                break;
            }
            int[] running = [.. Enumerable.Range(0, state.Length).Where(Running).OrderBy(i => state[i]!.LastValidationLoss).ThenBy(i => i)];
            int keep = Math.Max(1, (running.Length + options.ReductionFactor - 1) / options.ReductionFactor);
            for (int k = keep; k < running.Length; k++)
            {
                stopped[running[k]] = true;
            }
        }
        TrialResult[] results = [.. state.Select((e, i) => stopped[i] ? e!.Trial with { Status = TrialStatus.Stopped } : e!.Trial)];
        TrialResult[] finalTrials = JournaledFinalRounds(journal, results, options, journalFolders);
        return new SweepResult(results, Recommendation.From(results, options, header.InitialValidationLoss, header.ChanceAccuracy, finalTrials), options,
            header.InitialValidationLoss, results.Sum(t => t.WallSeconds) + finalTrials.Sum(t => t.WallSeconds)) { FinalTrials = finalTrials };
    }

    /// <summary>What the journal records to recognise its sweep: the model, the data, the starting point and every option that steers a trial.</summary>
    private static SweepJournalHeader JournalHeader<TModel>(ReadOnlySpan<float> initialParameters, Dataset<TModel> training, Dataset<TModel> validation,
        SweepOptions options, float initialLoss)
        where TModel : ISgdModel<TModel>
    {
        var inv = CultureInfo.InvariantCulture;
        var parameters = new System.IO.Hashing.XxHash3();
        parameters.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(initialParameters));
        CurveLabelRules rules = options.LabelRules;
        string[] signature =
        [
            $"Shape={TModel.Description.ShapeSignature}",
            string.Create(inv, $"Training={training.Count}:{training.ContentHash:x16}"),
            string.Create(inv, $"Validation={validation.Count}:{validation.ContentHash:x16}"),
            $"InitialParameters={parameters.GetCurrentHashAsUInt64():x16}",
            "LearningRates=" + string.Join(",", options.LearningRates.Select(r => r.ToString("R", inv))),
            "BatchSizes=" + string.Join(",", options.BatchSizes.Select(b => b.ToString(inv))),
            string.Create(inv, $"Budget={options.Budget.Kind}:{options.Budget.Amount}"),
            string.Create(inv, $"Evaluations={options.Evaluations}"),
            string.Create(inv, $"Rungs={options.Rungs}"),
            string.Create(inv, $"ReductionFactor={options.ReductionFactor}"),
            string.Create(inv, $"Seed={options.Seed}"),
            string.Create(inv, $"Momentum={options.Momentum:R}"),
            string.Create(inv, $"WeightDecay={options.WeightDecay:R}"),
            string.Create(inv, $"DivergenceFactor={options.DivergenceFactor:R}"),
            string.Create(inv, $"RollBacks={options.RollBacks}"),
            string.Create(inv, $"LabelRules={rules.StillImprovingDrop:R},{rules.BarelyMovedFraction:R},{rules.OscillationSpread:R},{rules.ReboundFactor:R}"),
            string.Create(inv, $"Finalists={options.Finalists}x{options.FinalistSeeds}{(options.RefineRate ? ",refined" : "")}"),
        ];
        return new SweepJournalHeader(SweepJournal.Version, TModel.Description.Name, signature, initialLoss, ChanceAccuracy(validation),
            SweepJournalOptions.From(options));
    }
}
