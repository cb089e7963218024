using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using nietras.SeparatedValues;
using HpcSgd.Data;

namespace HpcSgd.Tuning;

/// <summary>A sweep as stored in JSON: the grid and budget as plain values, every trial with its curve, the recommendation.</summary>
public sealed record SweepFile(IReadOnlyList<float> LearningRates, IReadOnlyList<int> BatchSizes, BudgetKind BudgetKind, long BudgetAmount,
    int Rungs, int ReductionFactor, float InitialValidationLoss, double WallSeconds, IReadOnlyList<TrialResult> Trials, Recommendation Recommendation)
{
    /// <summary>The final rounds' trials (<see cref="SweepResult.FinalTrials"/>); empty without them.</summary>
    public IReadOnlyList<TrialResult> FinalTrials { get; init; } = [];

    /// <summary>The stored form of <paramref name="result"/>.</summary>
    public static SweepFile From(SweepResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        SweepOptions o = result.Options;
        return new SweepFile(o.LearningRates, o.BatchSizes, o.Budget.Kind, o.Budget.Amount, o.Rungs, o.ReductionFactor,
            result.InitialValidationLoss, result.WallSeconds, result.Trials, result.Recommendation) { FinalTrials = result.FinalTrials };
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(SweepFile))]
[JsonSerializable(typeof(RangeTestResult[]))]
[JsonSerializable(typeof(GradientVarianceStudy))]
[JsonSerializable(typeof(NoiseScaleEstimate[]))]
[JsonSerializable(typeof(BudgetedRatesFile))]
internal sealed partial class TuningJson : JsonSerializerContext;

/// <summary>
/// Writes and reads the explorer's results: JSON with everything (NaN and infinities written as "NaN" /
/// "Infinity"), and CSV tables (one row per trial; one row per curve point) for spreadsheets and pandas.
/// Files are written to a temporary name and moved into place, so a crash never leaves half a file.
/// </summary>
public static class ResultFiles
{
    private static readonly string[] TrialColumns =
    [
        "index", "learning_rate", "batch_size", "seed", "status", "label", "rung_reached", "final_validation_loss",
        "best_validation_loss", "final_accuracy", "steps", "samples_seen", "wall_seconds",
    ];

    /// <summary>Writes the sweep as JSON.</summary>
    public static void WriteJson(string path, SweepResult result) =>
        WriteAtomically(path, stream => JsonSerializer.Serialize(stream, SweepFile.From(result), TuningJson.Default.SweepFile));

    /// <summary>Reads a sweep written by <see cref="WriteJson(string, SweepResult)"/>.</summary>
    public static SweepFile ReadSweepJson(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, TuningJson.Default.SweepFile)
            ?? throw new InvalidDataException($"{path}: empty JSON document.");
    }

    /// <summary>Writes range-test results as JSON.</summary>
    public static void WriteJson(string path, IReadOnlyList<RangeTestResult> results) =>
        WriteAtomically(path, stream => JsonSerializer.Serialize(stream, results.ToArray(), TuningJson.Default.RangeTestResultArray));

    /// <summary>Writes budgeted rates as JSON: the rule's inputs, its rates, and the anchor trials' final losses.</summary>
    public static void WriteJson(string path, BudgetedRateResult result) =>
        WriteAtomically(path, stream => JsonSerializer.Serialize(stream, BudgetedRatesFile.From(result), TuningJson.Default.BudgetedRatesFile));

    /// <summary>Reads range-test results written by <see cref="WriteJson(string, IReadOnlyList{RangeTestResult})"/>.</summary>
    public static RangeTestResult[] ReadRangeTestJson(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, TuningJson.Default.RangeTestResultArray) ?? [];
    }

    /// <summary>Writes a gradient-variance study and noise-scale estimates as JSON (two files).</summary>
    public static void WriteJson(string variancePath, GradientVarianceStudy study, string noisePath, IReadOnlyList<NoiseScaleEstimate> estimates)
    {
        WriteAtomically(variancePath, stream => JsonSerializer.Serialize(stream, study, TuningJson.Default.GradientVarianceStudy));
        WriteAtomically(noisePath, stream => JsonSerializer.Serialize(stream, estimates.ToArray(), TuningJson.Default.NoiseScaleEstimateArray));
    }

    /// <summary>One row per trial: <c>index, learning_rate, batch_size, seed, status, label, rung_reached, final_validation_loss, ...</c>.</summary>
    public static void WriteTrialsCsv(string path, IReadOnlyList<TrialResult> trials) => WriteAtomically(path, stream =>
    {
        using var text = new StreamWriter(stream, leaveOpen: true);
        using SepWriter writer = Sep.New(',').Writer(o => o with { CultureInfo = CultureInfo.InvariantCulture }).To(text);
        foreach (TrialResult t in trials)
        {
            using SepWriter.Row row = writer.NewRow();
            row["index"].Format(t.Index);
            row["learning_rate"].Set(R(t.LearningRate));
            row["batch_size"].Format(t.BatchSize);
            row["seed"].Format(t.Seed);
            row["status"].Set(t.Status.ToString());
            row["label"].Set(t.Label.ToString());
            row["rung_reached"].Format(t.RungReached);
            row["final_validation_loss"].Set(R(t.FinalValidationLoss));
            row["best_validation_loss"].Set(R(t.BestValidationLoss));
            row["final_accuracy"].Set(t.FinalAccuracy is double a ? a.ToString("R", CultureInfo.InvariantCulture) : "");
            row["steps"].Format(t.Steps);
            row["samples_seen"].Format(t.SamplesSeen);
            row["wall_seconds"].Set(t.WallSeconds.ToString("R", CultureInfo.InvariantCulture));
        }
    });

    /// <summary>Reads a file written by <see cref="WriteTrialsCsv"/> (the curves are not in it: they come back empty).</summary>
    public static TrialResult[] ReadTrialsCsv(string path)
    {
        using SepReader reader = Sep.New(',').Reader(o => o with { CultureInfo = CultureInfo.InvariantCulture }).FromFile(path);
        foreach (string column in TrialColumns)
        {
            if (!reader.Header.ColNames.Contains(column))
            {
                throw new InvalidDataException($"{path}: no column '{column}'; not a trials file written by HpcSgd.");
            }
        }
        var trials = new List<TrialResult>();
        foreach (SepReader.Row row in reader)
        {
            string accuracy = row["final_accuracy"].ToString();
            trials.Add(new TrialResult(
                int.Parse(row["index"].Span, CultureInfo.InvariantCulture),
                float.Parse(row["learning_rate"].Span, CultureInfo.InvariantCulture),
                int.Parse(row["batch_size"].Span, CultureInfo.InvariantCulture),
                ulong.Parse(row["seed"].Span, CultureInfo.InvariantCulture),
                Enum.Parse<TrialStatus>(row["status"].Span),
                Enum.Parse<TrialLabel>(row["label"].Span),
                int.Parse(row["rung_reached"].Span, CultureInfo.InvariantCulture),
                float.Parse(row["final_validation_loss"].Span, CultureInfo.InvariantCulture),
                float.Parse(row["best_validation_loss"].Span, CultureInfo.InvariantCulture),
                accuracy.Length == 0 ? null : double.Parse(accuracy, CultureInfo.InvariantCulture),
                int.Parse(row["steps"].Span, CultureInfo.InvariantCulture),
                long.Parse(row["samples_seen"].Span, CultureInfo.InvariantCulture),
                double.Parse(row["wall_seconds"].Span, CultureInfo.InvariantCulture),
                []));
        }
        return [.. trials];
    }

    /// <summary>One row per curve point of every trial: <c>index, learning_rate, batch_size, step, samples_seen, seconds, training_loss, validation_loss</c>.</summary>
    public static void WriteCurvesCsv(string path, IReadOnlyList<TrialResult> trials) => WriteAtomically(path, stream =>
    {
        using var text = new StreamWriter(stream, leaveOpen: true);
        using SepWriter writer = Sep.New(',').Writer(o => o with { CultureInfo = CultureInfo.InvariantCulture }).To(text);
        foreach (TrialResult t in trials)
        {
            foreach (CurvePoint p in t.Curve)
            {
                using SepWriter.Row row = writer.NewRow();
                row["index"].Format(t.Index);
                row["learning_rate"].Set(R(t.LearningRate));
                row["batch_size"].Format(t.BatchSize);
                row["step"].Format(p.Step);
                row["samples_seen"].Format(p.SamplesSeen);
                row["seconds"].Set(p.Seconds.ToString("R", CultureInfo.InvariantCulture));
                row["training_loss"].Set(R(p.TrainingLoss));
                row["validation_loss"].Set(R(p.ValidationLoss));
            }
        }
    });

    /// <summary>One row per step of every range test: <c>batch_size, seed, step, learning_rate, loss, smoothed_loss</c>.</summary>
    public static void WriteRangeTestCsv(string path, IReadOnlyList<RangeTestResult> results) => WriteAtomically(path, stream =>
    {
        using var text = new StreamWriter(stream, leaveOpen: true);
        using SepWriter writer = Sep.New(',').Writer(o => o with { CultureInfo = CultureInfo.InvariantCulture }).To(text);
        foreach (RangeTestResult r in results)
        {
            for (int i = 0; i < r.LearningRates.Count; i++)
            {
                using SepWriter.Row row = writer.NewRow();
                row["batch_size"].Format(r.BatchSize);
                row["seed"].Format(r.Seed);
                row["step"].Format(i + 1);
                row["learning_rate"].Set(R(r.LearningRates[i]));
                row["loss"].Set(R(r.Losses[i]));
                row["smoothed_loss"].Set(R(r.SmoothedLosses[i]));
            }
        }
    });

    /// <summary>Round-trip text of a float ("NaN", "Infinity" for the special values).</summary>
    private static string R(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes through <paramref name="write"/> with <see cref="AtomicFile"/>: the old file or the new, never a part.</summary>
    public static void WriteAtomically(string path, Action<Stream> write) => AtomicFile.Write(path, write);
}

/// <summary>The JSON form of a <see cref="BudgetedRateResult"/> (the anchor sweep reduced to each rate's final validation loss).</summary>
public sealed record BudgetedRatesFile(int Epochs, int AnchorBatchSize, float AnchorRate, double NoiseScale, double MaximumRate,
    BudgetedRate[] Rates, float[] AnchorRates, float[] AnchorFinalValidationLosses)
{
    internal static BudgetedRatesFile From(BudgetedRateResult r) => new(r.Epochs, r.AnchorBatchSize, r.AnchorRate, r.NoiseScale, r.MaximumRate,
        [.. r.Rates], [.. r.AnchorSweep.Trials.Select(t => t.LearningRate)], [.. r.AnchorSweep.Trials.Select(t => t.FinalValidationLoss)]);
}
