using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Diagnostics;

/// <summary>
/// A diagnostic as pipeline data: equatable, and turned into a real in-source <see cref="Location"/>
/// (which <c>#pragma</c> can suppress) only when reported.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, SyntaxTree SyntaxTree, TextSpan Span, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, SyntaxNode node, params string[] arguments) =>
        new(descriptor, node.SyntaxTree, node.Span, new EquatableArray<string>(arguments));

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, SyntaxToken token, params string[] arguments) =>
        new(descriptor, token.SyntaxTree!, token.Span, new EquatableArray<string>(arguments));

    public Diagnostic ToDiagnostic()
    {
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i];
        }
        return Diagnostic.Create(Descriptor, Location.Create(SyntaxTree, Span), args);
    }
}
