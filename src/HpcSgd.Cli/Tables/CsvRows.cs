using HpcSgd.Data;
using nietras.SeparatedValues;

namespace HpcSgd.Cli.Tables;

/// <summary>A CSV text's header and data rows through Sep (comma separated, quotes honoured), with their line numbers.</summary>
internal static class CsvRows
{
    public delegate void RowAction(SepReader.Row row, int line);

    /// <summary>The header's names, read by Sep (quotes honoured); empty or repeated names are refused with their column.</summary>
    public static string[] Header(string text, string source)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new CsvFormatException(source, 1, 0, "the file is empty; expected a header line naming the columns.");
        }
        using SepReader reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true }).FromText(text);
        if (!reader.MoveNext())
        {
            throw new CsvFormatException(source, 1, 0, "no header line.");
        }
        string[] names = CsvTable.HeaderNames(reader.Current, source);
        if (names.Length < 2)
        {
            throw new CsvFormatException(source, 1, 0, "the header names one column; expected the target and at least one feature, separated by commas.");
        }
        return names;
    }

    /// <summary>Every data row with as many fields as the header; blank lines are skipped.</summary>
    public static void ForEachRow(string text, string source, int columns, RowAction action)
    {
        using SepReader reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true }).FromText(text);
        bool header = true;
        foreach (SepReader.Row row in reader)
        {
            if (header)
            {
                header = false;
                continue;
            }
            int line = row.LineNumberFrom;
            if (row.ColCount == 1 && row[0].Span.Trim().IsEmpty)
            {
                continue;
            }
            if (row.ColCount != columns)
            {
                throw new CsvFormatException(source, line, 0, $"expected {columns} fields as in the header, found {row.ColCount}.");
            }
            action(row, line);
        }
    }
}
