using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using HpcSgd.Generators.Diagnostics;
using HpcSgd.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace HpcSgd.Generators.Parsing;

/// <summary>Turns one [SgdModel] declaration into a <see cref="ModelSpec"/> and the diagnostics for what is wrong with it.</summary>
internal static class ModelParser
{
    public const string SgdModelAttributeName = "HpcSgd.SgdModelAttribute";
    public const string DenseAttributeName = "HpcSgd.DenseAttribute";

    /// <summary>
    /// For a type with [Dense] layers: HPCSGD015 on its first layer when it has no [SgdModel] (the layers would be
    /// silently ignored); nothing otherwise, since the model's own parse reports on its layers.
    /// </summary>
    public static EquatableArray<DiagnosticInfo> ParseLayersWithoutModel(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        foreach (AttributeData attribute in context.TargetSymbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == SgdModelAttributeName)
            {
                return EquatableArray<DiagnosticInfo>.Empty;
            }
        }
        SyntaxNode? first = context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(cancellationToken);
        if (first is null)
        {
            return EquatableArray<DiagnosticInfo>.Empty;
        }
        return new EquatableArray<DiagnosticInfo>(new[] { DiagnosticInfo.Create(DiagnosticDescriptors.LayersWithoutModel, first, context.TargetSymbol.Name) });
    }

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        string typeName = type.Name;

        CheckTypeKind(type, syntax, diagnostics);

        AttributeData modelAttribute = context.Attributes[0];
        var modelAttributeSyntax = (AttributeSyntax?)modelAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
        SyntaxNode modelLocation = (SyntaxNode?)modelAttributeSyntax ?? syntax.Identifier.Parent!;

        LossKind loss = LossKind.MeanSquaredError;
        if (modelAttribute.ConstructorArguments.Length == 1 && modelAttribute.ConstructorArguments[0].Value is int lossValue)
        {
            if (Enum.IsDefined(typeof(LossKind), lossValue))
            {
                loss = (LossKind)lossValue;
            }
            else
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndefinedEnumValue,
                    FindArgument(modelAttributeSyntax, 0, "loss") ?? modelLocation,
                    "Loss", lossValue.ToString(), typeName, string.Join(", ", Enum.GetNames(typeof(LossKind)))));
            }
        }

        int[] batchSizes = ParseBatchSizes(modelAttribute, modelAttributeSyntax, modelLocation, typeName, diagnostics);
        List<LayerSpec> layers = ParseLayers(type, typeName, modelLocation, diagnostics, out SyntaxNode? lastLayerLocation, cancellationToken);
        if (lastLayerLocation is not null)
        {
            CheckLoss(loss, layers[layers.Count - 1], typeName, modelLocation, lastLayerLocation, diagnostics);
        }

        if (diagnostics.Count > 0)
        {
            return new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
        }

        var containing = new List<ContainingTypeSpec>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingTypeSpec(TypeKeyword(outer), outer.Name));
        }
        string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
        var model = new ModelSpec(ns, typeName, TypeKeyword(type), new EquatableArray<ContainingTypeSpec>(containing.ToArray()),
            loss, new EquatableArray<LayerSpec>(layers.ToArray()), new EquatableArray<int>(batchSizes));
        return new ParseResult(model, EquatableArray<DiagnosticInfo>.Empty);
    }

    private static void CheckTypeKind(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics)
    {
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TypeNotPartial, syntax.Identifier, type.Name));
        }
        if (type.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StaticType, syntax.Identifier, type.Name));
        }
        if (type.IsRefLikeType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RefStruct, syntax.Identifier, type.Name));
        }
        if (type.TypeParameters.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericType, syntax.Identifier, type.Name));
        }
        for (SyntaxNode? node = syntax.Parent; node is TypeDeclarationSyntax outer; node = node.Parent)
        {
            if (outer.TypeParameterList is { Parameters.Count: > 0 })
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedInGenericType, syntax.Identifier, type.Name, outer.Identifier.Text));
            }
            else if (!outer.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, outer.Identifier, outer.Identifier.Text, type.Name));
            }
        }
    }

    private static int[] ParseBatchSizes(AttributeData attribute, AttributeSyntax? attributeSyntax, SyntaxNode fallback, string typeName, List<DiagnosticInfo> diagnostics)
    {
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key != "BatchSizes" || named.Value.Kind != TypedConstantKind.Array || named.Value.IsNull)
            {
                continue;
            }
            int[] sizes = named.Value.Values.Select(v => v.Value is int i ? i : 0).ToArray();
            var seen = new HashSet<int>();
            for (int i = 0; i < sizes.Length; i++)
            {
                SyntaxNode location = FindBatchSizeElement(attributeSyntax, i, sizes.Length) ?? fallback;
                if (sizes[i] <= 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BatchSizeNotPositive, location, sizes[i].ToString(), typeName));
                }
                else if (!seen.Add(sizes[i]))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BatchSizeRepeated, location, sizes[i].ToString(), typeName));
                }
            }
            return sizes;
        }
        return Array.Empty<int>();
    }

    private static List<LayerSpec> ParseLayers(INamedTypeSymbol type, string typeName, SyntaxNode modelLocation, List<DiagnosticInfo> diagnostics, out SyntaxNode? lastLayerLocation, CancellationToken cancellationToken)
    {
        var layers = new List<LayerSpec>();
        lastLayerLocation = null;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != DenseAttributeName || attribute.ConstructorArguments.Length != 2)
            {
                continue;
            }
            var syntax = (AttributeSyntax?)attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            SyntaxNode location = (SyntaxNode?)syntax ?? modelLocation;
            int index = layers.Count;
            int inputs = attribute.ConstructorArguments[0].Value is int a ? a : 0;
            int outputs = attribute.ConstructorArguments[1].Value is int b ? b : 0;
            if (inputs <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerSizeNotPositive,
                    FindArgument(syntax, 0, "inputs") ?? location, index.ToString(), typeName, "inputs", inputs.ToString()));
            }
            if (outputs <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerSizeNotPositive,
                    FindArgument(syntax, 1, "outputs") ?? location, index.ToString(), typeName, "outputs", outputs.ToString()));
            }
            ActivationKind activation = ActivationKind.Identity;
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == "Activation" && named.Value.Value is int value)
                {
                    if (Enum.IsDefined(typeof(ActivationKind), value))
                    {
                        activation = (ActivationKind)value;
                    }
                    else
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndefinedEnumValue,
                            FindNamedArgument(syntax, "Activation") ?? location,
                            "Activation", value.ToString(), typeName, string.Join(", ", Enum.GetNames(typeof(ActivationKind)))));
                    }
                }
            }
            if (index > 0 && inputs > 0 && layers[index - 1].Outputs > 0 && inputs != layers[index - 1].Outputs)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersDoNotChain,
                    FindArgument(syntax, 0, "inputs") ?? location,
                    index.ToString(), typeName, inputs.ToString(), (index - 1).ToString(), layers[index - 1].Outputs.ToString()));
            }
            layers.Add(new LayerSpec(inputs, outputs, activation));
            lastLayerLocation = location;
        }
        if (layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayer, modelLocation, typeName));
        }
        return layers;
    }

    private static void CheckLoss(LossKind loss, LayerSpec last, string typeName, SyntaxNode modelLocation, SyntaxNode layerLocation, List<DiagnosticInfo> diagnostics)
    {
        if (last.Outputs > 0)
        {
            if (loss == LossKind.BinaryCrossEntropy && last.Outputs != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LossDoesNotFitOutputs, modelLocation,
                    "Loss.BinaryCrossEntropy", "exactly 1 output (the logit of class 1)", typeName, last.Outputs.ToString(),
                    "give the last layer 1 output, or use Loss.SoftmaxCrossEntropy for several classes"));
            }
            else if (loss == LossKind.SoftmaxCrossEntropy && last.Outputs < 2)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LossDoesNotFitOutputs, modelLocation,
                    "Loss.SoftmaxCrossEntropy", "at least 2 outputs (one per class)", typeName, last.Outputs.ToString(),
                    "give the last layer one output per class, or use Loss.BinaryCrossEntropy for two classes with 1 output"));
            }
        }
        if (loss != LossKind.MeanSquaredError && last.Activation != ActivationKind.Identity)
        {
            string folded = loss == LossKind.BinaryCrossEntropy ? "a sigmoid" : "a softmax";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationConflictsWithLoss, layerLocation,
                typeName, "Activation." + last.Activation, "Loss." + loss, folded));
        }
    }

    /// <summary>The positional or name-colon argument of a constructor parameter, for a precise diagnostic location.</summary>
    private static SyntaxNode? FindArgument(AttributeSyntax? syntax, int position, string parameterName)
    {
        if (syntax?.ArgumentList is not { } list)
        {
            return null;
        }
        foreach (AttributeArgumentSyntax argument in list.Arguments)
        {
            if (argument.NameColon?.Name.Identifier.Text == parameterName)
            {
                return argument;
            }
        }
        var positional = list.Arguments.Where(a => a.NameColon is null && a.NameEquals is null).ToList();
        return position < positional.Count ? positional[position] : null;
    }

    private static SyntaxNode? FindNamedArgument(AttributeSyntax? syntax, string propertyName) =>
        syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == propertyName);

    private static SyntaxNode? FindBatchSizeElement(AttributeSyntax? syntax, int index, int count)
    {
        ExpressionSyntax? value = (FindNamedArgument(syntax, "BatchSizes") as AttributeArgumentSyntax)?.Expression;
        IReadOnlyList<SyntaxNode>? elements = value switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } init } => init.Expressions,
            ImplicitArrayCreationExpressionSyntax { Initializer: { } init } => init.Expressions,
            CollectionExpressionSyntax collection => collection.Elements,
            _ => null,
        };
        return elements is not null && elements.Count == count ? elements[index] : value;
    }

    private static string TypeKeyword(INamedTypeSymbol type) => (type.IsRecord, type.TypeKind) switch
    {
        (true, TypeKind.Struct) => "record struct",
        (true, _) => "record",
        (false, TypeKind.Struct) => "struct",
        (false, TypeKind.Interface) => "interface",
        _ => "class",
    };
}
