using System.Globalization;
using nietras.SeparatedValues;

namespace HpcSgd.Data;

/// <summary>What the target column of a CSV file holds.</summary>
public enum TargetKind
{
    /// <summary>A number to predict.</summary>
    Regression = 0,

    /// <summary>A class label (any text); labels are mapped to class indices 0..k-1 and the mapping is kept.</summary>
    Classification = 1,
}

/// <summary>A CSV file is malformed; the message names the file, line and column and what was expected there.</summary>
public sealed class CsvFormatException(string source, int line, int column, string message)
    : FormatException(column > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{source}:{line}:{column}: {message}")
        : string.Create(CultureInfo.InvariantCulture, $"{source}:{line}: {message}"))
{
    /// <summary>The file (or the name given to the text).</summary>
    public string FilePath { get; } = source;

    /// <summary>1-based line number.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column number (0 when the problem is the whole line).</summary>
    public int Column { get; } = column;
}

/// <summary>
/// A numeric table read from CSV with a header line: every column but the target is a feature and must hold a
/// finite number in every row; the target is a number (regression) or a label (classification). Nothing is
/// dropped or coerced: an empty field, a non-number, NaN, an infinity or a short row is a
/// <see cref="CsvFormatException"/> naming file, line and column. Read with Sep (comma separated, quotes honoured,
/// invariant culture).
/// </summary>
public sealed class CsvTable
{
    private CsvTable(string source, string[] featureNames, string targetName, TargetKind kind, float[] features, float[] targets, string[] classNames)
    {
        Source = source;
        FeatureNames = featureNames;
        TargetName = targetName;
        Kind = kind;
        Features = features;
        Targets = targets;
        ClassNames = classNames;
    }

    /// <summary>The file the table came from.</summary>
    public string Source { get; }

    /// <summary>Feature columns, in file order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The target column.</summary>
    public string TargetName { get; }

    /// <summary>Regression or classification.</summary>
    public TargetKind Kind { get; }

    /// <summary>Features, row-major: <see cref="Count"/> x <see cref="FeatureCount"/>.</summary>
    public float[] Features { get; }

    /// <summary>One target per row: the value, or the class index (see <see cref="ClassNames"/>).</summary>
    public float[] Targets { get; }

    /// <summary>For classification: the label text of each class index (numeric labels in numeric order, others in ordinal order); empty for regression.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Rows.</summary>
    public int Count => Targets.Length;

    /// <summary>Feature columns.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>Class labels as integers (classification only).</summary>
    public int[] Labels() => Kind == TargetKind.Classification
        ? [.. Targets.Select(t => (int)t)]
        : throw new InvalidOperationException($"{TargetName} is a regression target; it has no class labels.");

    /// <summary>Reads <paramref name="path"/>; <paramref name="targetColumn"/> names the target in the header.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="CsvFormatException">The file is not a numeric table with that target.</exception>
    public static CsvTable Load(string path, string targetColumn, TargetKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        return Parse(File.ReadAllText(path), path, targetColumn, kind);
    }

    /// <summary>Reads CSV <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    public static CsvTable Parse(string text, string source, string targetColumn, TargetKind kind)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(targetColumn);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new CsvFormatException(source, 1, 0, "the file is empty; expected a header line naming the columns.");
        }
        // The header is read as a row (quotes and line breaks inside them honoured) and checked here: Sep's own header
        // check throws on a repeated name with a message that names no column.
        using SepReader reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true, CultureInfo = CultureInfo.InvariantCulture })
            .FromText(text);
        if (!reader.MoveNext())
        {
            throw new CsvFormatException(source, 1, 0, "the file is empty; expected a header line naming the columns.");
        }
        string[] names = HeaderNames(reader.Current, source);
        int target = Array.IndexOf(names, targetColumn);
        if (target < 0)
        {
            string header = string.Join(", ", names.Take(20).Select(n => $"'{MessageText.Show(n)}'")) + (names.Length > 20 ? $" and {names.Length - 20} more" : "");
            throw new CsvFormatException(source, 1, 0, $"no column named '{MessageText.Show(targetColumn)}'; the header has {header}.");
        }
        if (names.Length < 2)
        {
            throw new CsvFormatException(source, 1, 0, "the header names only the target; expected at least one feature column.");
        }

        var features = new List<float>();
        var targets = new List<float>();
        var labels = new List<string>();
        while (reader.MoveNext())
        {
            SepReader.Row row = reader.Current;
            int line = row.LineNumberFrom;
            if (row.ColCount == 1 && row[0].Span.IsWhiteSpace())
            {
                continue; // a blank line (e.g. the one many editors leave at the end) holds no row
            }
            if (row.ColCount != names.Length)
            {
                throw new CsvFormatException(source, line, 0, $"expected {names.Length} fields as in the header, found {row.ColCount}.");
            }
            for (int c = 0; c < names.Length; c++)
            {
                ReadOnlySpan<char> field = row[c].Span.Trim();
                if (c == target && kind == TargetKind.Classification)
                {
                    if (field.IsEmpty)
                    {
                        throw new CsvFormatException(source, line, c + 1, $"empty label in target column '{MessageText.Show(names[c])}'.");
                    }
                    labels.Add(field.ToString());
                    continue;
                }
                if (field.IsEmpty)
                {
                    throw new CsvFormatException(source, line, c + 1, $"empty field in column '{MessageText.Show(names[c])}'; expected a number (missing values are not filled in).");
                }
                if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                {
                    throw new CsvFormatException(source, line, c + 1, $"expected a finite number in column '{MessageText.Show(names[c])}', found '{MessageText.Show(field.ToString())}'.");
                }
                (c == target ? targets : features).Add(value);
            }
        }
        if (features.Count == 0)
        {
            throw new CsvFormatException(source, 2, 0, "no data rows after the header.");
        }

        string[] classNames = [];
        if (kind == TargetKind.Classification)
        {
            classNames = OrderLabels(labels.Distinct());
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < classNames.Length; i++)
            {
                index[classNames[i]] = i;
            }
            targets = [.. labels.Select(l => (float)index[l])];
        }
        string[] featureNames = [.. names.Where((_, c) => c != target)];
        return new CsvTable(source, featureNames, names[target], kind, [.. features], [.. targets], classNames);
    }

    /// <summary>The header row's names, trimmed; an empty or repeated name is an error naming its column.</summary>
    internal static string[] HeaderNames(SepReader.Row header, string source)
    {
        var names = new string[header.ColCount];
        for (int c = 0; c < names.Length; c++)
        {
            names[c] = header[c].Span.Trim().ToString();
            if (names[c].Length == 0)
            {
                throw new CsvFormatException(source, 1, c + 1, "empty column name in the header.");
            }
            if (Array.IndexOf(names, names[c], 0, c) >= 0)
            {
                throw new CsvFormatException(source, 1, c + 1, $"column name '{MessageText.Show(names[c])}' appears twice in the header.");
            }
        }
        return names;
    }

    /// <summary>Numeric labels in numeric order (so "2" comes before "10"), otherwise ordinal text order.</summary>
    private static string[] OrderLabels(IEnumerable<string> labels)
    {
        string[] distinct = [.. labels];
        bool numeric = distinct.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return numeric
            ? [.. distinct.OrderBy(l => double.Parse(l, CultureInfo.InvariantCulture)).ThenBy(l => l, StringComparer.Ordinal)]
            : [.. distinct.Order(StringComparer.Ordinal)];
    }
}
