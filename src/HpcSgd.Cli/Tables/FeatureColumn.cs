using System.Globalization;
using System.Text.Json.Serialization;

namespace HpcSgd.Cli.Tables;

/// <summary>
/// How one CSV column becomes features: a number as it is, or one-hot over <see cref="Categories"/>; <see cref="Fill"/>
/// is what a missing cell gets under --missing mean. Saved with a trained model, so new rows are encoded the same way.
/// </summary>
internal sealed class FeatureColumn
{
    private Dictionary<string, int>? index;

    public required string Name { get; init; }

    /// <summary>One-hot categories in feature order, or null for a numeric column.</summary>
    public string[]? Categories { get; init; }

    /// <summary>The value a missing cell gets under --missing mean: the column's mean or most common category.</summary>
    public required string Fill { get; init; }

    [JsonIgnore]
    public int Width => Categories?.Length ?? 1;

    [JsonIgnore]
    public IEnumerable<string> FeatureNames => Categories is null ? [Name] : Categories.Select(c => $"{Name}={c}");

    public static FeatureColumn Numeric(string name, string mean) => new() { Name = name, Fill = mean };

    public static FeatureColumn OneHot(string name, string[] categories, string mostCommon) => new() { Name = name, Categories = categories, Fill = mostCommon };

    /// <summary>Appends the cell's features; returns false (and appends zeros) for a category not among <see cref="Categories"/>.</summary>
    public bool Append(ReadOnlySpan<char> cell, List<float> features)
    {
        if (Categories is null)
        {
            features.Add(float.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture));
            return true;
        }
        index ??= Categories.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        int hot = index.TryGetValue(cell.ToString(), out int i) ? i : -1;
        for (int c = 0; c < Categories.Length; c++)
        {
            features.Add(c == hot ? 1f : 0f);
        }
        return hot >= 0;
    }
}
