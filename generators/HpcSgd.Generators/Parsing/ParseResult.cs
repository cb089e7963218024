using HpcSgd.Generators.Diagnostics;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Parsing;

/// <summary>The parser's output for one declaration: a model to emit (null when the declaration is invalid) and its diagnostics.</summary>
internal sealed record ParseResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics);
