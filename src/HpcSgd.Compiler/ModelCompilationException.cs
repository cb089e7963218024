namespace HpcSgd.Compiler;

/// <summary>The generator or the C# compiler refused a declaration; <see cref="Diagnostics"/> holds their messages with IDs (e.g. "HPCSGD004: ...").</summary>
public sealed class ModelCompilationException : Exception
{
    /// <summary>Creates the exception from the compiler's error lines.</summary>
    public ModelCompilationException(string modelName, IReadOnlyList<string> diagnostics)
        : base($"Model '{modelName}' did not compile: {string.Join("; ", diagnostics)}")
    {
        Diagnostics = diagnostics;
    }

    /// <summary>One line per error: ID, message.</summary>
    public IReadOnlyList<string> Diagnostics { get; }
}
