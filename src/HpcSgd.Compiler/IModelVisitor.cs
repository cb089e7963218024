using HpcSgd.Models;

namespace HpcSgd.Compiler;

/// <summary>
/// Code that runs with a compiled model as its static type argument: <see cref="CompiledModel.Accept{TResult}"/> calls
/// <see cref="Visit{TModel}"/> once through reflection, and everything inside it is ordinary generic code
/// (<c>Dataset&lt;TModel&gt;</c>, <c>TrainingSession&lt;TModel&gt;</c>, spans), as fast as with a model declared at build time.
/// </summary>
public interface IModelVisitor<out TResult>
{
    /// <summary>Runs with <typeparamref name="TModel"/> the compiled model type.</summary>
    TResult Visit<TModel>() where TModel : ISgdModel<TModel>;
}
