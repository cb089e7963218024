using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// At a declared batch size, the specialized kernels and the general path (the same shape declared without batch
/// sizes) do the same arithmetic in the same order, so they agree bit for bit.
/// </summary>
[Trait("Category", "Kernels")]
public class SpecializedVersusGeneralTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(5)]
    public void SoftmaxModel_SpecializedEqualsGeneral(int batch) => AssertSame<SoftmaxModel, SoftmaxModelGeneral>(batch);

    [Fact]
    public void DeepSoftmax_SpecializedEqualsGeneral() => AssertSame<DeepSoftmax, DeepSoftmaxGeneral>(12);

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(300)]
    public void TiledMlp_SpecializedEqualsGeneral(int batch) => AssertSame<TiledMlp, TiledMlpGeneral>(batch);

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(300)]
    public void FashionMlp_SpecializedEqualsGeneral(int batch) => AssertSame<FashionMlp, FashionMlpGeneral>(batch);

    /// <summary>Four sizes sharing one set of kernels (the size a type argument), each leaving other leftover rows.</summary>
    [Theory]
    [InlineData(13)]
    [InlineData(29)]
    [InlineData(64)]
    [InlineData(200)]
    public void SharedBatches_EachSharedSizeEqualsGeneral(int batch) => AssertSame<SharedBatches, SharedBatchesGeneral>(batch);

    private static void AssertSame<TSpecialized, TGeneral>(int batch)
        where TSpecialized : ISgdModel<TSpecialized> where TGeneral : ISgdModel<TGeneral>
    {
        Assert.Contains(batch, TSpecialized.Description.DeclaredBatchSizes);
        Assert.Empty(TGeneral.Description.DeclaredBatchSizes);
        Assert.Equal(TSpecialized.Description.ShapeSignature, TGeneral.Description.ShapeSignature);

        float[] parameters = TestData.Parameters(TSpecialized.Description, seed: 3);
        (float[] inputs, float[] targets) = TestData.Batch(TSpecialized.Description, batch, seed: 4);
        var specializedGradient = new float[parameters.Length];
        var generalGradient = new float[parameters.Length];

        float specializedLoss = TSpecialized.LossAndGradient(parameters, inputs, targets, specializedGradient, new float[TSpecialized.WorkspaceLength(batch)], batch);
        float generalLoss = TGeneral.LossAndGradient(parameters, inputs, targets, generalGradient, new float[TGeneral.WorkspaceLength(batch)], batch);

        Assert.Equal(generalLoss, specializedLoss);
        Assert.Equal(generalGradient, specializedGradient);
    }
}
