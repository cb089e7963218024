using System.Globalization;
using System.Text.Json;
using HpcSgd.Compiler;
using HpcSgd.Data;

namespace HpcSgd.Cli.Tables;

/// <summary>A layer of the saved declaration (JSON).</summary>
internal sealed record SavedLayer(int Inputs, int Outputs, Activation Activation);

/// <summary>
/// Everything between a CSV row and the model's input and back, saved in the model file (section "PREP", JSON) by
/// <c>hpcsgd train --data</c>: the declaration to rebuild the model type, how each column becomes features, the
/// features' and a regression target's standardisation, and the class labels. <c>hpcsgd predict</c> applies it to new rows.
/// </summary>
internal sealed record TablePreprocessing(
    string ModelName,
    Loss Loss,
    IReadOnlyList<SavedLayer> Layers,
    string TargetName,
    TargetKind Kind,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<FeatureColumn> Columns,
    IReadOnlyList<float> FeatureMeans,
    IReadOnlyList<float> FeatureScales,
    float TargetMean,
    float TargetScale,
    MissingValues Missing)
{
    /// <summary>The model file section holding it.</summary>
    public const string SectionTag = "PREP";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public ModelDeclaration Declaration(IReadOnlyList<int> batchSizes) =>
        new(ModelName, Loss, [.. Layers.Select(l => new DenseLayer(l.Inputs, l.Outputs, l.Activation))], batchSizes);

    public static TablePreprocessing Of(PreparedTable table, ModelDeclaration declaration, Standardizer features, float targetMean, float targetScale, MissingValues missing) =>
        new(declaration.Name, declaration.Loss, [.. declaration.Layers.Select(l => new SavedLayer(l.Inputs, l.Outputs, l.Activation))], table.TargetName, table.Kind,
            table.ClassNames, table.Columns, features.Means, features.Scales, targetMean, targetScale, missing);

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads the section of <paramref name="path"/>; a file without it was not saved by <c>hpcsgd train --data</c>.</summary>
    public static TablePreprocessing Read(string path)
    {
        byte[] section = HpcSgd.Models.ModelFile.ReadSection(path, SectionTag)
            ?? throw new ArgumentException($"--model {path} holds no table preprocessing; it was not saved by 'hpcsgd train --data ... --save'.", "model");
        try
        {
            return JsonSerializer.Deserialize<TablePreprocessing>(section, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--model {path}: its table preprocessing is unreadable ({e.Message}).", "model");
        }
    }

    /// <summary>
    /// Encodes the rows of a CSV <paramref name="text"/> as the training rows were (standardised), each with its line
    /// number; the columns must include every feature column (the target and any others are ignored).
    /// </summary>
    public (float[] Features, int[] Lines, int UnknownCategories) Encode(string text, string source)
    {
        string[] names = CsvRows.Header(text, source);
        int[] positions = [.. Columns.Select(c => Array.IndexOf(names, c.Name))];
        int missingColumn = Array.IndexOf(positions, -1);
        if (missingColumn >= 0)
        {
            throw new CsvFormatException(source, 1, 0, $"no column named '{MessageText.Show(Columns[missingColumn].Name)}', which the model was trained on; the model needs {string.Join(", ", Columns.Select(c => $"'{c.Name}'"))}.");
        }
        var features = new List<float>();
        var lines = new List<int>();
        int unknown = 0;
        CsvRows.ForEachRow(text, source, names.Length, (row, line) =>
        {
            for (int f = 0; f < Columns.Count; f++)
            {
                ReadOnlySpan<char> cell = row[positions[f]].Span.Trim();
                if (ColumnProfile.IsMissing(cell))
                {
                    if (Missing != MissingValues.Mean)
                    {
                        throw new CsvFormatException(source, line, positions[f] + 1,
                            $"missing value in column '{MessageText.Show(Columns[f].Name)}'; a prediction needs every feature (the model was trained with --missing {Missing.ToString().ToLowerInvariant()}; train with --missing mean to fill cells).");
                    }
                    cell = Columns[f].Fill;
                }
                else if (Columns[f].Categories is null && !ColumnProfile.TryNumber(cell, out _))
                {
                    throw new CsvFormatException(source, line, positions[f] + 1, $"expected a number in column '{MessageText.Show(Columns[f].Name)}', found '{MessageText.Show(cell.ToString())}'.");
                }
                if (!Columns[f].Append(cell, features))
                {
                    unknown++;
                }
            }
            lines.Add(line);
        });
        if (lines.Count == 0)
        {
            throw new CsvFormatException(source, 2, 0, "no data rows after the header.");
        }
        float[] encoded = [.. features];
        int width = FeatureMeans.Count;
        for (int i = 0; i < encoded.Length; i++)
        {
            encoded[i] = (encoded[i] - FeatureMeans[i % width]) / FeatureScales[i % width];
        }
        return (encoded, [.. lines], unknown);
    }

    /// <summary>The header of the predictions file: the line of the input row, the prediction, and class probabilities.</summary>
    public string[] PredictionHeader() => Kind == TargetKind.Regression
        ? ["line", TargetName]
        : ["line", TargetName, .. ClassNames.Select(c => "p(" + c + ")")];

    /// <summary>One prediction row from the model's outputs for a sample (probabilities, or the standardised value).</summary>
    public string[] PredictionRow(int line, ReadOnlySpan<float> outputs)
    {
        var inv = CultureInfo.InvariantCulture;
        if (Kind == TargetKind.Regression)
        {
            return [line.ToString(inv), (outputs[0] * TargetScale + TargetMean).ToString("R", inv)];
        }
        float[] probabilities = Loss == Loss.BinaryCrossEntropy ? [1f - outputs[0], outputs[0]] : outputs.ToArray();
        int best = Array.IndexOf(probabilities, probabilities.Max());
        return [line.ToString(inv), ClassNames[best], .. probabilities.Select(p => p.ToString("R", inv))];
    }
}
