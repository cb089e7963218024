namespace HpcSgd.Cli.Tables;

/// <summary>What to do with a missing cell (empty, NA, NaN, ?, ...).</summary>
internal enum MissingValues
{
    /// <summary>Stop with an error naming the line and column.</summary>
    Refuse,

    /// <summary>Leave out every row with a missing cell in a column that is used.</summary>
    Drop,

    /// <summary>Fill a number with its column's mean, a category with its column's most common value; rows missing the target are left out.</summary>
    Mean,
}

/// <summary>How a CSV file becomes a table of features and targets.</summary>
/// <param name="Target">The column to predict.</param>
/// <param name="Task">"classification", "regression", or null to infer it from the target column.</param>
/// <param name="Exclude">Columns to leave out (ids, dates, ...).</param>
/// <param name="Missing">What to do with missing cells.</param>
/// <param name="MaxCategories">Most distinct values a text column may have to be one-hot encoded.</param>
internal sealed record TableOptions(string Target, string? Task = null, IReadOnlyList<string>? Exclude = null, MissingValues Missing = MissingValues.Refuse,
    int MaxCategories = 50)
{
    /// <summary>Whole-number targets with at most this many distinct values are read as classes when the task is inferred.</summary>
    public const int InferredClassLimit = 20;

    /// <summary>Most classes a classification target may have.</summary>
    public const int MaxClasses = 100;
}
