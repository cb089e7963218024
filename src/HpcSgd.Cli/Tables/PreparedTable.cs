using System.Globalization;
using HpcSgd.Data;
using nietras.SeparatedValues;

namespace HpcSgd.Cli.Tables;

/// <summary>Cells filled under <see cref="MissingValues.Mean"/>: the column, how many, with what.</summary>
internal sealed record FilledColumn(string Name, int Cells, string Value);

/// <summary>
/// Any CSV table with a header, made ready to train on: the task inferred from the target column (or given), numeric
/// columns as they are, text columns one-hot encoded, missing cells refused, dropped or filled, and a record of every
/// such decision for the report. Two passes over the text: the first profiles each column, the second encodes.
/// Every problem is a <see cref="CsvFormatException"/> naming the file, line and column, or an ArgumentException naming the option.
/// </summary>
internal sealed class PreparedTable
{
    private PreparedTable(string source, string targetName, TargetKind kind, string kindReason, string[] featureNames, float[] features, float[] targets,
        string[] classNames, FeatureColumn[] columns, string[] excluded, int droppedRows, FilledColumn[] filled)
    {
        Source = source;
        TargetName = targetName;
        Kind = kind;
        KindReason = kindReason;
        FeatureNames = featureNames;
        Features = features;
        Targets = targets;
        ClassNames = classNames;
        Columns = columns;
        Excluded = excluded;
        DroppedRows = droppedRows;
        Filled = filled;
    }

    public string Source { get; }

    public string TargetName { get; }

    public TargetKind Kind { get; }

    /// <summary>Why <see cref="Kind"/>: "given by --task", or what the target column holds.</summary>
    public string KindReason { get; }

    /// <summary>One name per feature: a numeric column's name, or "column=category" for each one-hot feature.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Row-major, <see cref="Count"/> x <see cref="FeatureCount"/>, not standardised.</summary>
    public float[] Features { get; }

    /// <summary>The value (regression) or class index per row.</summary>
    public float[] Targets { get; }

    /// <summary>Class labels by index (classification); empty for regression.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>How each used column becomes features, in feature order.</summary>
    public IReadOnlyList<FeatureColumn> Columns { get; }

    /// <summary>The one-hot encoded columns.</summary>
    public IEnumerable<FeatureColumn> Encoded => Columns.Where(c => c.Categories is not null);

    public IReadOnlyList<string> Excluded { get; }

    public int DroppedRows { get; }

    public IReadOnlyList<FilledColumn> Filled { get; }

    public int Count => Targets.Length;

    public int FeatureCount => FeatureNames.Count;

    /// <summary>Reads and prepares <paramref name="path"/>.</summary>
    public static PreparedTable Load(string path, TableOptions options)
    {
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"--data {path} is a folder; give a CSV file.", "data");
        }
        if (!File.Exists(path))
        {
            throw new ArgumentException($"--data {path}: no such file.", "data");
        }
        return Parse(File.ReadAllText(path), path, options);
    }

    /// <summary>Prepares CSV <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    public static PreparedTable Parse(string text, string source, TableOptions options)
    {
        string[] names = CsvRows.Header(text, source);
        int target = Array.IndexOf(names, options.Target);
        if (target < 0)
        {
            throw new ArgumentException($"--target {MessageText.Show(options.Target)}: {source} has no such column; its columns are {List(names)}.", "target");
        }
        string[] excluded = [.. (options.Exclude ?? []).Distinct()];
        foreach (string name in excluded)
        {
            if (Array.IndexOf(names, name) < 0)
            {
                throw new ArgumentException($"--exclude {MessageText.Show(name)}: {source} has no such column; its columns are {List(names)}.", "exclude");
            }
            if (name == options.Target)
            {
                throw new ArgumentException($"--exclude {MessageText.Show(name)} names the target column.", "exclude");
            }
        }
        int[] used = [.. Enumerable.Range(0, names.Length).Where(c => c != target && !excluded.Contains(names[c]))];
        if (used.Length == 0)
        {
            throw new ArgumentException($"{source}: no feature column is left besides the target '{MessageText.Show(options.Target)}'.", "exclude");
        }

        // Pass 1: profile the target and the used columns.
        var profiles = names.Select((n, c) => new ColumnProfile(n, c, 1000)).ToArray();
        int rows = 0;
        CsvRows.ForEachRow(text, source, names.Length, (row, line) =>
        {
            rows++;
            profiles[target].Add(row[target].Span.Trim(), line);
            foreach (int c in used)
            {
                profiles[c].Add(row[c].Span.Trim(), line);
            }
        });
        if (rows == 0)
        {
            throw new CsvFormatException(source, 2, 0, "no data rows after the header.");
        }
        (TargetKind kind, string reason) = TaskOf(profiles[target], options.Task, source);
        string[] classes = kind == TargetKind.Classification ? Classes(profiles[target], source) : [];
        var encoders = used.Select(c => Encoder(profiles[c], options.MaxCategories, source)).ToArray();

        // Pass 2: encode, refusing, dropping or filling missing cells.
        var features = new List<float>(rows * encoders.Sum(e => e.Width));
        var targets = new List<float>(rows);
        var classIndex = ClassIndex(classes, profiles[target].AllNumbers);
        int dropped = 0;
        var filledCounts = new int[names.Length];
        CsvRows.ForEachRow(text, source, names.Length, (row, line) =>
        {
            ReadOnlySpan<char> targetCell = row[target].Span.Trim();
            bool missingTarget = ColumnProfile.IsMissing(targetCell);
            int firstMissing = -1;
            foreach (int c in used)
            {
                if (ColumnProfile.IsMissing(row[c].Span.Trim()))
                {
                    firstMissing = c;
                    break;
                }
            }
            if (options.Missing == MissingValues.Refuse && (missingTarget || firstMissing >= 0))
            {
                int column = missingTarget && (firstMissing < 0 || target < firstMissing) ? target : firstMissing;
                throw new CsvFormatException(source, line, column + 1,
                    $"missing value in column '{MessageText.Show(names[column])}'; fill it in, or use --missing drop (leave out such rows) or --missing mean (fill with the column's mean or most common value).");
            }
            if (missingTarget || (options.Missing == MissingValues.Drop && firstMissing >= 0))
            {
                dropped++;
                return;
            }
            for (int u = 0; u < used.Length; u++)
            {
                ReadOnlySpan<char> cell = row[used[u]].Span.Trim();
                if (ColumnProfile.IsMissing(cell))
                {
                    filledCounts[used[u]]++;
                    cell = encoders[u].Fill;
                }
                encoders[u].Append(cell, features);
            }
            targets.Add(kind == TargetKind.Classification ? classIndex(targetCell) : Number(targetCell));
        });
        if (targets.Count == 0)
        {
            throw new ArgumentException($"{source}: every one of its {rows} rows has a missing value, so --missing drop leaves nothing to train on.", "missing");
        }
        FilledColumn[] filled = [.. used.Where(c => filledCounts[c] > 0).Select(c => new FilledColumn(names[c], filledCounts[c], encoders[Array.IndexOf(used, c)].Fill))];
        return new PreparedTable(source, names[target], kind, reason, [.. encoders.SelectMany(e => e.FeatureNames)], [.. features], [.. targets],
            classes, encoders, excluded, dropped, filled);
    }

    /// <summary>The task: given (and checked against the column), or inferred, with the reason in words.</summary>
    private static (TargetKind Kind, string Reason) TaskOf(ColumnProfile p, string? task, string source)
    {
        string distinct = p.DistinctWords;
        if (p.Present == 0)
        {
            throw new CsvFormatException(source, p.FirstMissingLine, p.Index + 1, $"the target column '{MessageText.Show(p.Name)}' holds no values.");
        }
        if (task == "regression")
        {
            if (!p.AllNumbers)
            {
                throw new CsvFormatException(source, p.FirstText!.Value.Line, p.Index + 1,
                    $"--task regression needs numbers in the target column '{MessageText.Show(p.Name)}', found '{MessageText.Show(p.FirstText.Value.Text)}'; use --task classification for labels.");
            }
            return (TargetKind.Regression, "given by --task");
        }
        if (task == "classification")
        {
            if (p.AllNumbers && !p.AllWholeNumbers && (p.TooManyDistinct || p.Distinct > TableOptions.InferredClassLimit))
            {
                throw new ArgumentException(
                    $"--task classification: the target column '{MessageText.Show(p.Name)}' holds {distinct} distinct numbers with fractions, which looks like a quantity to predict, not classes; use --task regression (or leave --task out).", "task");
            }
            return (TargetKind.Classification, "given by --task");
        }
        if (!p.AllNumbers)
        {
            return (TargetKind.Classification, $"the target column '{MessageText.Show(p.Name)}' holds text labels ({distinct} distinct, e.g. '{MessageText.Show(p.FirstText!.Value.Text)}')");
        }
        if (p.AllWholeNumbers && !p.TooManyDistinct && p.Distinct <= TableOptions.InferredClassLimit)
        {
            return (TargetKind.Classification,
                $"the target column '{MessageText.Show(p.Name)}' holds {p.Distinct} distinct whole numbers (at most {TableOptions.InferredClassLimit} are read as classes; --task regression if they are amounts)");
        }
        return (TargetKind.Regression, p.AllWholeNumbers
            ? $"the target column '{MessageText.Show(p.Name)}' holds {distinct} distinct whole numbers (more than {TableOptions.InferredClassLimit} are read as a quantity; --task classification if they are classes)"
            : $"the target column '{MessageText.Show(p.Name)}' holds numbers with fractions ({distinct} distinct)");
    }

    private static string[] Classes(ColumnProfile p, string source)
    {
        if (p.TooManyDistinct || p.Distinct > TableOptions.MaxClasses)
        {
            throw new ArgumentException(
                $"the target column '{MessageText.Show(p.Name)}' has {p.DistinctWords} distinct values; classification takes at most {TableOptions.MaxClasses} classes (--task regression if it is a quantity).", "task");
        }
        string[] classes = p.AllNumbers
            ? [.. p.OrderedValues().GroupBy(v => float.Parse(v, CultureInfo.InvariantCulture)).Select(g => g.First())]
            : p.OrderedValues();
        if (classes.Length < 2)
        {
            throw new CsvFormatException(source, 2, p.Index + 1, $"the target column '{MessageText.Show(p.Name)}' holds one class only ('{MessageText.Show(classes[0])}'); nothing to tell apart.");
        }
        return classes;
    }

    private static Func<ReadOnlySpan<char>, float> ClassIndex(string[] classes, bool numeric)
    {
        if (numeric)
        {
            var byValue = classes.Select((c, i) => (Value: float.Parse(c, CultureInfo.InvariantCulture), i)).ToDictionary(x => x.Value, x => (float)x.i);
            return cell => byValue[Number(cell)];
        }
        var byText = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => (float)x.i, StringComparer.Ordinal);
        return cell => byText[cell.ToString()];
    }

    private static float Number(ReadOnlySpan<char> cell) => float.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static FeatureColumn Encoder(ColumnProfile p, int maxCategories, string source)
    {
        if (p.Present == 0)
        {
            throw new CsvFormatException(source, p.FirstMissingLine, p.Index + 1, $"column '{MessageText.Show(p.Name)}' holds no values; --exclude {MessageText.Show(p.Name)}.");
        }
        if (p.AllNumbers)
        {
            return FeatureColumn.Numeric(p.Name, ((float)p.Mean).ToString("R", CultureInfo.InvariantCulture));
        }
        if (p.TooManyDistinct || p.Counts.Count > maxCategories)
        {
            (string text, int line) = p.FirstText!.Value;
            throw new CsvFormatException(source, line, p.Index + 1,
                $"column '{MessageText.Show(p.Name)}' holds text ('{MessageText.Show(text)}') with {p.DistinctWords} distinct values, more than the {maxCategories} one-hot encoding takes; " +
                $"--exclude {MessageText.Show(p.Name)}, fix the cell if the column should hold numbers, or raise --max-categories.");
        }
        return FeatureColumn.OneHot(p.Name, p.OrderedValues(), p.MostCommon());
    }

    private static string List(string[] names) => string.Join(", ", names.Take(30).Select(n => $"'{MessageText.Show(n)}'")) + (names.Length > 30 ? $", ... ({names.Length} in all)" : "");
}
