using Microsoft.CodeAnalysis;

namespace HpcSgd.Generators.Diagnostics;

/// <summary>Every diagnostic the generator reports. IDs are in sequence and tracked in AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "HpcSgd";

    public static readonly DiagnosticDescriptor TypeNotPartial = Error(
        "HPCSGD001", "Model type must be partial",
        "The model type '{0}' must be declared partial so that HpcSgd can add its generated kernels; add the 'partial' modifier");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(
        "HPCSGD002", "Type enclosing a model must be partial",
        "'{0}' encloses the model type '{1}' and must be partial too; add the 'partial' modifier to '{0}'");

    public static readonly DiagnosticDescriptor GenericType = Error(
        "HPCSGD003", "Model type must not be generic",
        "The model type '{0}' is generic; kernels are specialized to one concrete shape, so declare the model on a non-generic type");

    public static readonly DiagnosticDescriptor NestedInGenericType = Error(
        "HPCSGD004", "Model type must not be nested in a generic type",
        "The model type '{0}' is nested in the generic type '{1}'; move the model out of the generic type");

    public static readonly DiagnosticDescriptor RefStruct = Error(
        "HPCSGD005", "Model type must not be a ref struct",
        "The model type '{0}' is a ref struct, which cannot implement the model interface; declare it as a class or a struct without 'ref'");

    public static readonly DiagnosticDescriptor StaticType = Error(
        "HPCSGD006", "Model type must not be static",
        "The model type '{0}' is static, which cannot implement the model interface; remove the 'static' modifier");

    public static readonly DiagnosticDescriptor NoLayer = Error(
        "HPCSGD007", "Model declares no layer",
        "The model '{0}' declares no layer; add at least one [Dense(inputs, outputs)] attribute");

    public static readonly DiagnosticDescriptor LayerSizeNotPositive = Error(
        "HPCSGD008", "Layer size must be positive",
        "Layer {0} of '{1}' declares {2} = {3}; every layer needs at least 1 input and 1 output");

    public static readonly DiagnosticDescriptor LayersDoNotChain = Error(
        "HPCSGD009", "Consecutive layers must chain",
        "Layer {0} of '{1}' takes {2} inputs but layer {3} before it produces {4} outputs; set the inputs of layer {0} to {4}");

    public static readonly DiagnosticDescriptor LossDoesNotFitOutputs = Error(
        "HPCSGD010", "Loss does not fit the output size",
        "{0} needs {1}, but the last layer of '{2}' has {3} outputs; {4}");

    public static readonly DiagnosticDescriptor BatchSizeNotPositive = Error(
        "HPCSGD011", "Batch size must be positive",
        "Batch size {0} declared for '{1}' is not positive; declare batch sizes of at least 1");

    public static readonly DiagnosticDescriptor BatchSizeRepeated = Error(
        "HPCSGD012", "Batch size declared twice",
        "Batch size {0} is declared more than once for '{1}'; remove the repeated value");

    public static readonly DiagnosticDescriptor ActivationConflictsWithLoss = Error(
        "HPCSGD013", "Last-layer activation conflicts with the loss",
        "The last layer of '{0}' has activation {1}, but {2} already applies {3} to the last layer; use Activation.Identity on the last layer");

    public static readonly DiagnosticDescriptor UndefinedEnumValue = Error(
        "HPCSGD014", "Value is not a defined member of its enum",
        "{0} value {1} on '{2}' is not a member of HpcSgd.{0}; use one of: {3}");

    public static readonly DiagnosticDescriptor LayersWithoutModel = Error(
        "HPCSGD015", "Layers on a type that is not a model",
        "'{0}' has [Dense] layers but no [SgdModel] attribute, so no kernels are generated for it; add [SgdModel(Loss...)] to the type or remove the layers");

    public static readonly DiagnosticDescriptor UnknownKernelTarget = Error(
        "HPCSGD016", "Unknown kernel target",
        "The build property HpcSgdKernelTargets is '{0}': '{1}' is not a kernel target; use a comma-separated list of {2}, or leave it empty for all");

    public static readonly DiagnosticDescriptor InvalidPlanTuning = Error(
        "HPCSGD018", "Invalid plan tuning",
        "The build property HpcSgdPlanTuning is '{0}': '{1}' is not a tuning; use ByteRowsAhead=N (0 to {2}), PacksA=on|off, PacksB=on|off, NarrowTile=RxV (1-12 rows x 1-4 vectors) or WeightPanels=on|off, or leave it empty for the planner's choices");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
