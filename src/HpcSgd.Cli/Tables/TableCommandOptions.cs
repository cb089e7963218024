using System.CommandLine;
using System.Globalization;
using HpcSgd.Cli.Explorer;

namespace HpcSgd.Cli.Tables;

/// <summary>
/// The options that turn a CSV table into a model, shared by the explorer and <c>train</c>: what to predict and from what
/// (--target, --task, --exclude, --missing, --max-categories), the model (--hidden, --activation) and where compiled
/// models are kept (--model-cache). One instance per command.
/// </summary>
internal sealed class TableCommandOptions
{
    public readonly Option<string?> Target = new("--target") { Description = "Name of the target column in --data." };
    public readonly Option<string?> Task = new("--task") { Description = "classification or regression (default: inferred from the target column; the report says why)." };
    public readonly Option<string?> Hidden = new("--hidden") { Description = "Hidden layer widths, comma separated (e.g. 64,32): an MLP instead of linear, logistic or softmax regression." };
    public readonly Option<string> Activation = new("--activation") { Description = "Activation of the hidden layers: relu, tanh, sigmoid or leakyrelu.", DefaultValueFactory = _ => "relu" };
    public readonly Option<string?> Exclude = new("--exclude") { Description = "Columns of --data to leave out, comma separated (ids, dates, ...)." };
    public readonly Option<string> Missing = new("--missing") { Description = "Missing cells (empty, NA, NaN, ?): refuse (an error naming line and column), drop (leave out the row) or mean (fill with the column's mean or most common value).", DefaultValueFactory = _ => "refuse" };
    public readonly Option<int> MaxCategories = new("--max-categories") { Description = "Most distinct values a text column may have to be one-hot encoded.", DefaultValueFactory = _ => 50 };
    public readonly Option<string?> ModelCache = new("--model-cache") { Description = "Folder of compiled models (default: HPCSGD_CACHE, else the user's cache folder)." };
    public readonly Option<double> Validation = new("--validation-fraction") { Description = "Share of the CSV rows held out for validation.", DefaultValueFactory = _ => 0.2 };

    public TableCommandOptions()
    {
        Task.AcceptOnlyFromAmong("classification", "regression");
        Activation.AcceptOnlyFromAmong("relu", "tanh", "sigmoid", "leakyrelu");
        Missing.AcceptOnlyFromAmong("refuse", "drop", "mean");
    }

    public IEnumerable<Option> All => [Target, Task, Hidden, Activation, Exclude, Missing, MaxCategories, ModelCache, Validation];

    /// <summary>True when an option that shapes the table's own model was given.</summary>
    public bool ShapesTheModel(ParseResult r) => r.GetValue(Hidden) is not null || r.GetValue(Exclude) is not null;

    public TableOptions Table(ParseResult r)
    {
        int categories = r.GetValue(MaxCategories);
        if (categories < 2)
        {
            throw new ArgumentException($"--max-categories is {categories}; it must be at least 2.", "max-categories");
        }
        string[] excluded = r.GetValue(Exclude) is { } text ? [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)] : [];
        return new TableOptions(r.GetValue(Target) ?? "", r.GetValue(Task), excluded, Enum.Parse<MissingValues>(r.GetValue(Missing)!, ignoreCase: true), categories);
    }

    public ModelChoice Model(ParseResult r) => new(ParseHidden(r.GetValue(Hidden)), ParseActivation(r.GetValue(Activation)!), r.GetValue(ModelCache));

    public double ValidationFraction(ParseResult r)
    {
        double fraction = r.GetValue(Validation);
        return fraction > 0 && fraction < 1 ? fraction
            : throw new ArgumentException($"--validation-fraction is {fraction}; it must be between 0 and 1.", "validation-fraction");
    }

    internal static int[] ParseHidden(string? text)
    {
        if (text is null)
        {
            return [];
        }
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1 || widths[i] > 65_536)
            {
                throw new ArgumentException($"--hidden has '{parts[i]}'; give layer widths from 1 to 65536, comma separated (e.g. 64,32).", "hidden");
            }
        }
        return widths;
    }

    private static Activation ParseActivation(string text) => text switch
    {
        "relu" => HpcSgd.Activation.ReLU,
        "tanh" => HpcSgd.Activation.Tanh,
        "sigmoid" => HpcSgd.Activation.Sigmoid,
        _ => HpcSgd.Activation.LeakyReLU,
    };
}
