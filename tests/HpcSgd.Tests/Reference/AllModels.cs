using HpcSgd.Models;
using HpcSgd.Tests.Models;

namespace HpcSgd.Tests.Reference;

/// <summary>A check to run against one declared model type.</summary>
internal interface IModelCheck
{
    void Run<TModel>() where TModel : ISgdModel<TModel>;
}

/// <summary>Every model declared in the test project, so each check covers every loss, activation and layout.</summary>
internal static class AllModels
{
    public static readonly string[] Names =
    [
        nameof(SeedRegression), nameof(WideRegression), nameof(SingleOutputRegression), nameof(LogisticModel),
        nameof(SoftmaxModel), nameof(SoftmaxTenClasses), nameof(SoftmaxManyClasses), nameof(DeepSoftmax),
        nameof(Outer.NestedRegression), nameof(TiledMlp),
        nameof(BinaryMlp), nameof(BinaryDeep), nameof(SoftmaxMixed), nameof(ReLUOutput), nameof(SigmoidOutput), nameof(SharedBatches),
    ];

    /// <summary>Models too large for the finite-difference check; the reference comparisons still cover them.</summary>
    public static readonly string[] LargeNames = [nameof(FashionMlp)];

    public static ModelDescription Describe(string name) => name switch
    {
        nameof(SeedRegression) => SeedRegression.Description,
        nameof(WideRegression) => WideRegression.Description,
        nameof(SingleOutputRegression) => SingleOutputRegression.Description,
        nameof(LogisticModel) => LogisticModel.Description,
        nameof(SoftmaxModel) => SoftmaxModel.Description,
        nameof(SoftmaxTenClasses) => SoftmaxTenClasses.Description,
        nameof(SoftmaxManyClasses) => SoftmaxManyClasses.Description,
        nameof(DeepSoftmax) => DeepSoftmax.Description,
        nameof(Outer.NestedRegression) => Outer.NestedRegression.Description,
        nameof(TiledMlp) => TiledMlp.Description,
        nameof(BinaryMlp) => BinaryMlp.Description,
        nameof(BinaryDeep) => BinaryDeep.Description,
        nameof(SoftmaxMixed) => SoftmaxMixed.Description,
        nameof(ReLUOutput) => ReLUOutput.Description,
        nameof(SigmoidOutput) => SigmoidOutput.Description,
        nameof(FashionMlp) => FashionMlp.Description,
        nameof(SharedBatches) => SharedBatches.Description,
        _ => throw new ArgumentException(name),
    };

    public static void Run(string name, IModelCheck check)
    {
        switch (name)
        {
            case nameof(SeedRegression): check.Run<SeedRegression>(); break;
            case nameof(WideRegression): check.Run<WideRegression>(); break;
            case nameof(SingleOutputRegression): check.Run<SingleOutputRegression>(); break;
            case nameof(LogisticModel): check.Run<LogisticModel>(); break;
            case nameof(SoftmaxModel): check.Run<SoftmaxModel>(); break;
            case nameof(SoftmaxTenClasses): check.Run<SoftmaxTenClasses>(); break;
            case nameof(SoftmaxManyClasses): check.Run<SoftmaxManyClasses>(); break;
            case nameof(DeepSoftmax): check.Run<DeepSoftmax>(); break;
            case nameof(Outer.NestedRegression): check.Run<Outer.NestedRegression>(); break;
            case nameof(TiledMlp): check.Run<TiledMlp>(); break;
            case nameof(BinaryMlp): check.Run<BinaryMlp>(); break;
            case nameof(BinaryDeep): check.Run<BinaryDeep>(); break;
            case nameof(SoftmaxMixed): check.Run<SoftmaxMixed>(); break;
            case nameof(ReLUOutput): check.Run<ReLUOutput>(); break;
            case nameof(SigmoidOutput): check.Run<SigmoidOutput>(); break;
            case nameof(FashionMlp): check.Run<FashionMlp>(); break;
            case nameof(SharedBatches): check.Run<SharedBatches>(); break;
            default: throw new ArgumentException(name);
        }
    }

    public static TheoryData<string> Theory()
    {
        var data = new TheoryData<string>();
        foreach (string name in Names)
        {
            data.Add(name);
        }
        return data;
    }

    /// <summary>Each model (and the large ones) with batch sizes 1, 7, each declared size (specialized kernels) and 1000.</summary>
    public static TheoryData<string, int> WithBatchSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Names.Concat(LargeNames))
        {
            foreach (int batch in new[] { 1, 7 }.Concat(Describe(name).DeclaredBatchSizes).Append(1000).Distinct())
            {
                data.Add(name, batch);
            }
        }
        return data;
    }
}
