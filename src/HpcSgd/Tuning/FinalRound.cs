namespace HpcSgd.Tuning;

/// <summary>
/// The plan of a sweep's final rounds, after its last rung: the finalists (<see cref="SweepOptions.Finalists"/>) trained
/// again from more seeds, then, with <see cref="SweepOptions.RefineRate"/>, the winner's batch size at rates half a
/// grid step either side of its rate. Pure functions of the trials' results, so a run and a merge of journals agree.
/// </summary>
/// <remarks>
/// Trial indices past the grid's: the replica of finalist f with extra seed s is <c>grid + f x FinalistSeeds + s</c>;
/// refined rate c with seed s is <c>grid + Finalists x FinalistSeeds + c x (FinalistSeeds + 1) + s</c>. The finalists'
/// round is journaled as the rung after the last, the refinement as the one after that.
/// </remarks>
internal static class FinalRound
{
    /// <summary>Rates tried around the winner.</summary>
    public const int RefinedRates = 2;

    /// <summary>The grid trials re-trained: the best by final validation loss among those that finished the last rung.</summary>
    public static TrialResult[] Finalists(IReadOnlyList<TrialResult> grid, SweepOptions options) =>
        [.. Recommendation.Ranked(grid).Where(t => t.RungReached == options.Rungs - 1 && t.Status == TrialStatus.Completed).Take(options.Finalists)];

    /// <summary>Trial index of finalist <paramref name="finalist"/>'s replica with extra seed <paramref name="seed"/>.</summary>
    public static int ReplicaIndex(int gridCount, SweepOptions options, int finalist, int seed) => gridCount + finalist * options.FinalistSeeds + seed;

    /// <summary>Seeds per refined rate (none of them has a grid trial).</summary>
    public static int RefinedSeeds(SweepOptions options) => options.FinalistSeeds + 1;

    /// <summary>Trial index of refined rate <paramref name="candidate"/> with seed <paramref name="seed"/>.</summary>
    public static int RefinedIndex(int gridCount, SweepOptions options, int candidate, int seed) =>
        gridCount + options.Finalists * options.FinalistSeeds + candidate * RefinedSeeds(options) + seed;

    /// <summary>How many trial indices past the grid's the final rounds can use (<see cref="SweepOptions"/>' settings of the same names).</summary>
    public static long IndexCount(int finalists, int finalistSeeds, bool refineRate) =>
        (long)finalists * finalistSeeds + (refineRate ? RefinedRates * (finalistSeeds + 1L) : 0);

    /// <summary>
    /// The rates tried around <paramref name="rate"/>: the geometric midpoints to its neighbours in the grid, and half the
    /// neighbouring step beyond it at the grid's edge; none with a single rate.
    /// </summary>
    public static float[] RatesAround(float rate, SweepOptions options)
    {
        float[] rates = [.. options.LearningRates.Order()];
        int at = Array.IndexOf(rates, rate);
        if (rates.Length < 2 || at < 0)
        {
            return [];
        }
        double below = at > 0 ? rates[at - 1] : rate * (double)rate / rates[1];
        double above = at < rates.Length - 1 ? rates[at + 1] : rate * (double)rate / rates[^2];
        return [(float)Math.Sqrt(below * rate), (float)Math.Sqrt(above * rate)];
    }

    /// <summary>
    /// Every pair of the final rounds with the mean over its seeds, best mean first (ties: finalists by the grid's
    /// ranking, then the refined rates). <paramref name="finalTrials"/> holds the replicas and any refined trials.
    /// </summary>
    public static FinalistSummary[] Summaries(IReadOnlyList<TrialResult> grid, SweepOptions options, IReadOnlyList<TrialResult> finalTrials)
    {
        if (finalTrials.Count == 0)
        {
            return [];
        }
        var groups = new List<(TrialResult[] Seeds, float GridLoss)>();
        TrialResult[] finalists = Finalists(grid, options);
        for (int f = 0; f < finalists.Length; f++)
        {
            int first = ReplicaIndex(grid.Count, options, f, 0);
            groups.Add(([finalists[f], .. finalTrials.Where(t => t.Index >= first && t.Index < first + options.FinalistSeeds)], finalists[f].FinalValidationLoss));
        }
        for (int c = 0; c < RefinedRates; c++)
        {
            int first = RefinedIndex(grid.Count, options, c, 0);
            TrialResult[] seeds = [.. finalTrials.Where(t => t.Index >= first && t.Index < first + RefinedSeeds(options))];
            if (seeds.Length > 0)
            {
                groups.Add((seeds, float.NaN));
            }
        }
        return [.. groups.Select((g, order) => (Summary: Summarize(g.Seeds, g.GridLoss), order))
            .OrderBy(p => p.Summary.MeanValidationLoss).ThenBy(p => p.order).Select(p => p.Summary)];
    }

    private static FinalistSummary Summarize(TrialResult[] seeds, float gridLoss)
    {
        bool anyDiverged = seeds.Any(t => t.Status == TrialStatus.Diverged || !float.IsFinite(t.FinalValidationLoss));
        double? accuracy = !anyDiverged && seeds.All(t => t.FinalAccuracy is not null) ? seeds.Average(t => t.FinalAccuracy!.Value) : null;
        return new FinalistSummary(seeds[0].LearningRate, seeds[0].BatchSize, seeds.Length,
            anyDiverged ? double.PositiveInfinity : seeds.Average(t => (double)t.FinalValidationLoss),
            seeds.Where(t => float.IsFinite(t.FinalValidationLoss)).Select(t => t.FinalValidationLoss).DefaultIfEmpty(float.NaN).Min(),
            anyDiverged ? float.NaN : seeds.Max(t => t.FinalValidationLoss),
            accuracy, gridLoss);
    }
}
