using System.Reflection;
using System.Runtime.Loader;
using HpcSgd.Models;

namespace HpcSgd.Compiler;

/// <summary>
/// A model type compiled at run time, loaded in a collectible context of its own. Run code against it with
/// <see cref="Accept{TResult}"/>; <see cref="Dispose"/> lets the runtime unload it once nothing refers to it any more.
/// </summary>
public sealed class CompiledModel : IDisposable
{
    private readonly AssemblyLoadContext context;

    internal CompiledModel(ModelDeclaration declaration, Type modelType, AssemblyLoadContext context, bool fromCache, TimeSpan compileTime, string? cachePath)
    {
        Declaration = declaration;
        ModelType = modelType;
        this.context = context;
        FromCache = fromCache;
        CompileTime = compileTime;
        CachePath = cachePath;
        Description = Accept(new DescriptionOf());
    }

    /// <summary>What was compiled.</summary>
    public ModelDeclaration Declaration { get; }

    /// <summary>The generated type; it implements <see cref="ISgdModel{TSelf}"/> of itself.</summary>
    public Type ModelType { get; }

    /// <summary>The model's description, as <c>TModel.Description</c> gives it.</summary>
    public ModelDescription Description { get; }

    /// <summary>True when the assembly came from the disk cache, false when it was generated and compiled now.</summary>
    public bool FromCache { get; }

    /// <summary>Wall time from the request to the loaded type (Roslyn's start-up included on a first compile).</summary>
    public TimeSpan CompileTime { get; }

    /// <summary>The cache entry holding the assembly, or null without a disk cache.</summary>
    public string? CachePath { get; }

    /// <summary>Calls <paramref name="visitor"/>'s <see cref="IModelVisitor{TResult}.Visit{TModel}"/> with the compiled type; its exceptions pass through unwrapped.</summary>
    public TResult Accept<TResult>(IModelVisitor<TResult> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        MethodInfo visit = typeof(IModelVisitor<TResult>).GetMethod(nameof(IModelVisitor<TResult>.Visit))!.MakeGenericMethod(ModelType);
        return (TResult)visit.Invoke(visitor, BindingFlags.DoNotWrapExceptions, null, null, null)!;
    }

    /// <summary>Starts unloading the model's context; sessions and datasets of the model must not be used afterwards.</summary>
    public void Dispose() => context.Unload();

    /// <inheritdoc/>
    public override string ToString() => $"{Description} ({(FromCache ? "from cache" : "compiled")} in {CompileTime.TotalSeconds:F2} s)";

    private sealed class DescriptionOf : IModelVisitor<ModelDescription>
    {
        public ModelDescription Visit<TModel>() where TModel : ISgdModel<TModel> => TModel.Description;
    }
}
