using System.Globalization;

namespace HpcSgd.Cli.Tables;

/// <summary>
/// What one CSV column holds, from a first pass over the file: missing cells, whether every other cell is a finite
/// number (and a whole one), its distinct values up to a cap, and where the first cell of each kind sits (for messages).
/// </summary>
internal sealed class ColumnProfile(string name, int index, int distinctCap)
{
    private readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    /// <summary>0-based position in the header.</summary>
    public int Index { get; } = index;

    public int Missing { get; private set; }

    public int FirstMissingLine { get; private set; }

    public bool AllNumbers { get; private set; } = true;

    public bool AllWholeNumbers { get; private set; } = true;

    /// <summary>The first cell that is not a number, and its line.</summary>
    public (string Text, int Line)? FirstText { get; private set; }

    public int Present { get; private set; }

    /// <summary>Mean of the numbers seen (numeric columns).</summary>
    public double Mean => numbers == 0 ? 0 : sum / numbers;

    /// <summary>Distinct cell texts seen, counted; stops growing past the cap (see <see cref="TooManyDistinct"/>).</summary>
    public IReadOnlyDictionary<string, int> Counts => counts;

    public bool TooManyDistinct { get; private set; }

    private double sum;
    private long numbers;

    /// <summary>Missing cells: empty, or NA, N/A, NaN, null, None or ? (any case).</summary>
    public static bool IsMissing(ReadOnlySpan<char> cell) =>
        cell.IsEmpty || cell is "?" || cell.Equals("NA", StringComparison.OrdinalIgnoreCase) || cell.Equals("N/A", StringComparison.OrdinalIgnoreCase)
        || cell.Equals("NaN", StringComparison.OrdinalIgnoreCase) || cell.Equals("null", StringComparison.OrdinalIgnoreCase)
        || cell.Equals("None", StringComparison.OrdinalIgnoreCase);

    public static bool TryNumber(ReadOnlySpan<char> cell, out float value) =>
        float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    public void Add(ReadOnlySpan<char> cell, int line)
    {
        if (IsMissing(cell))
        {
            if (Missing++ == 0)
            {
                FirstMissingLine = line;
            }
            return;
        }
        Present++;
        if (TryNumber(cell, out float value))
        {
            sum += value;
            numbers++;
            AllWholeNumbers &= value == MathF.Round(value);
        }
        else if (AllNumbers)
        {
            AllNumbers = false;
            FirstText = (cell.ToString(), line);
        }
        if (!TooManyDistinct)
        {
            string text = cell.ToString();
            if (counts.TryGetValue(text, out int n))
            {
                counts[text] = n + 1;
            }
            else if (counts.Count < distinctCap)
            {
                counts[text] = 1;
            }
            else
            {
                TooManyDistinct = true;
            }
        }
    }

    /// <summary>Distinct values (numbers by value: "2" and "2.0" are one), up to the cap.</summary>
    public int Distinct => AllNumbers ? counts.Keys.Select(k => float.Parse(k, CultureInfo.InvariantCulture)).Distinct().Count() : counts.Count;

    /// <summary>Distinct values, as text: exact below the cap, else "more than" the cap.</summary>
    public string DistinctWords => TooManyDistinct ? $"more than {counts.Count}" : Distinct.ToString(CultureInfo.InvariantCulture);

    /// <summary>The distinct values in their natural order: numeric order when all are numbers, else ordinal.</summary>
    public string[] OrderedValues() => AllNumbers
        ? [.. counts.Keys.OrderBy(k => double.Parse(k, CultureInfo.InvariantCulture)).ThenBy(k => k, StringComparer.Ordinal)]
        : [.. counts.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The most common value (ties: the first in natural order), for filling missing categories.</summary>
    public string MostCommon() => OrderedValues().OrderByDescending(v => counts[v]).First();
}
