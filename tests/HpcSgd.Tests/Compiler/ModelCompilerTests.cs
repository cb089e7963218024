using HpcSgd.Compiler;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Compiler;

/// <summary>Compiles the test models' declarations once per test class, into a cache folder of its own.</summary>
public sealed class CompiledTestModels : IDisposable
{
    public CompiledTestModels()
    {
        CacheDirectory = Path.Combine(Path.GetTempPath(), "hpcsgd-compiler-tests-" + Guid.NewGuid().ToString("N"));
        Compiler = new ModelCompiler(CacheDirectory);
        DeepSoftmax = Compiler.Compile(new ModelDeclaration("DeepSoftmax", Loss.SoftmaxCrossEntropy,
            [new DenseLayer(9, 17, Activation.Tanh), new DenseLayer(17, 6, Activation.ReLU), new DenseLayer(6, 3)], [12]));
        TenClasses = Compiler.Compile(new ModelDeclaration("SoftmaxTenClasses", Loss.SoftmaxCrossEntropy, [new DenseLayer(70, 10)], [1, 8, 19]));
    }

    public string CacheDirectory { get; }

    public ModelCompiler Compiler { get; }

    public CompiledModel DeepSoftmax { get; }

    public CompiledModel TenClasses { get; }

    public void Dispose()
    {
        DeepSoftmax.Dispose();
        TenClasses.Dispose();
        Directory.Delete(CacheDirectory, recursive: true);
    }
}

/// <summary>
/// A model compiled at run time is the model declared at build time: the same generator, the same kernels for this
/// machine's instruction set, so training gives the same bits; and the disk cache survives races and damage.
/// </summary>
public class ModelCompilerTests(CompiledTestModels compiled) : IClassFixture<CompiledTestModels>
{
    [Theory]
    [InlineData(12)] // declared
    [InlineData(7)] // the general path
    public void RunTimeCompiledMlp_TrainsBitForBit_AsTheDeclaredOne(int batch)
    {
        var training = new Training(Features(300, 9, seed: 1), Labels(300, 3, seed: 2), batch, steps: 60);
        float[] declared = training.Visit<DeepSoftmax>();
        float[] runTime = compiled.DeepSoftmax.Accept(training);
        Assert.Equal(BitsOf(declared), BitsOf(runTime));
        Assert.NotEqual(BitsOf(new Model<DeepSoftmax>(seed: 7).Parameters.ToArray()), BitsOf(declared));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(19)]
    [InlineData(64)]
    public void RunTimeCompiledSoftmax_TrainsBitForBit_AsTheDeclaredOne(int batch)
    {
        var training = new Training(Features(400, 70, seed: 3), Labels(400, 10, seed: 4), batch, steps: 40);
        Assert.Equal(BitsOf(training.Visit<SoftmaxTenClasses>()), BitsOf(compiled.TenClasses.Accept(training)));
    }

    [Fact]
    public void CompiledModel_DescribesTheDeclaredShape_AndSaysHowItWasMade()
    {
        ModelDescription d = compiled.DeepSoftmax.Description;
        Assert.Equal(DeepSoftmax.Description.ShapeSignature, d.ShapeSignature);
        Assert.Equal(DeepSoftmax.Description.ShapeHash, d.ShapeHash);
        Assert.Equal([12], d.DeclaredBatchSizes);
        Assert.False(compiled.DeepSoftmax.FromCache);
        Assert.True(File.Exists(compiled.DeepSoftmax.CachePath));
    }

    [Fact]
    public void SecondCompile_ComesFromTheCache_AndADamagedEntryIsRebuilt()
    {
        var declaration = compiled.TenClasses.Declaration;
        using (CompiledModel again = compiled.Compiler.Compile(declaration))
        {
            Assert.True(again.FromCache);
            Assert.Equal(compiled.TenClasses.CachePath, again.CachePath);
        }
        string path = compiled.TenClasses.CachePath!;
        byte[] entry = File.ReadAllBytes(path);
        entry[entry.Length / 2] ^= 0x5A;
        File.WriteAllBytes(path, entry);
        using (CompiledModel rebuilt = compiled.Compiler.Compile(declaration))
        {
            Assert.False(rebuilt.FromCache);
            var training = new Training(Features(100, 70, seed: 5), Labels(100, 10, seed: 6), 8, steps: 5);
            Assert.Equal(BitsOf(training.Visit<SoftmaxTenClasses>()), BitsOf(rebuilt.Accept(training)));
        }
        File.WriteAllBytes(path, entry[..100]);
        using (CompiledModel rebuilt = compiled.Compiler.Compile(declaration))
        {
            Assert.False(rebuilt.FromCache);
        }
        using CompiledModel repaired = compiled.Compiler.Compile(declaration);
        Assert.True(repaired.FromCache);
    }

    [Fact]
    public async Task TwoCompilersBuildingOneEntryAtOnce_BothSucceed_AndLeaveOneWholeEntry()
    {
        string directory = Path.Combine(compiled.CacheDirectory, "race");
        var declaration = new ModelDeclaration("Race", Loss.BinaryCrossEntropy, [new DenseLayer(5, 1)], [4]);
        CompiledModel[] models = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => new ModelCompiler(directory).Compile(declaration))));
        try
        {
            Assert.All(models, m => Assert.Equal("loss=BinaryCrossEntropy;dense(5,1,Identity,OutputMajor)", m.Description.ShapeSignature));
            Assert.Single(Directory.GetFiles(directory));
            using CompiledModel third = new ModelCompiler(directory).Compile(declaration);
            Assert.True(third.FromCache);
        }
        finally
        {
            foreach (CompiledModel m in models)
            {
                m.Dispose();
            }
        }
    }

    [Fact]
    public void DeclarationTheGeneratorRefuses_IsAnErrorWithItsDiagnosticId()
    {
        var declaration = new ModelDeclaration("Bad", Loss.BinaryCrossEntropy, [new DenseLayer(4, 3)], []);
        var error = Assert.Throws<ModelCompilationException>(() => new ModelCompiler(useCache: false).Compile(declaration));
        Assert.Contains(error.Diagnostics, d => d.StartsWith("HPCSGD010:", StringComparison.Ordinal));
        Assert.Contains("Bad", error.Message);
    }

    [Theory]
    [InlineData("1Model", "not a C# type name")]
    [InlineData("My Model", "not a C# type name")]
    public void DeclarationWithABadName_IsRefusedByArgument(string name, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new ModelDeclaration(name, Loss.MeanSquaredError, [new DenseLayer(1, 1)], []));
        Assert.Equal("name", error.ParamName);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void DeclarationWithLayersThatDoNotChain_IsRefusedNamingTheLayers()
    {
        var error = Assert.Throws<ArgumentException>(() => new ModelDeclaration("M", Loss.MeanSquaredError, [new DenseLayer(3, 4), new DenseLayer(5, 1)], []));
        Assert.Contains("layers[1] takes 5 inputs but layers[0] produces 4", error.Message);
    }

    [Fact]
    public void Declaration_WritesTheAttributesAUserPastes()
    {
        var declaration = new ModelDeclaration("Churn", Loss.BinaryCrossEntropy, [new DenseLayer(30, 16, Activation.ReLU), new DenseLayer(16, 1)], [64, 8, 64]);
        Assert.Equal(
            "[HpcSgd.SgdModel(HpcSgd.Loss.BinaryCrossEntropy, BatchSizes = [8, 64])]\n" +
            "[HpcSgd.Dense(30, 16, Activation = HpcSgd.Activation.ReLU)]\n" +
            "[HpcSgd.Dense(16, 1)]\n" +
            "public partial class Churn { }\n", declaration.ToCSharp());
    }

    /// <summary>
    /// Byte-valued inputs (k / 255), a first layer in dot form (the forward pass reads byte rows), a middle layer whose
    /// weight gradient reads x^T across its rows (PacksA applies) and whose 64-float rows fall into a quarter of the L1
    /// sets (PacksB applies on AVX2); 40 and 64 columns leave partial panels for 3-vector tiles. Every tuning changes
    /// some kernel's IL and no bit of training.
    /// </summary>
    [Theory]
    [InlineData("ByteRowsAhead=0")]
    [InlineData("ByteRowsAhead=3, PacksA=on")]
    [InlineData("PacksA=off; ByteRowsAhead=64")]
    [InlineData("NarrowTile=4x3")]
    [InlineData("NarrowTile=5x2 PacksA=off")]
    [InlineData("PacksB=off")]
    [InlineData("PacksB=on")]
    public void PlanTuning_ChangesTheCode_NotTheBits(string tuning) => AssertTrainsAlike(
        new ModelDeclaration("Tunable", Loss.SoftmaxCrossEntropy,
            [new DenseLayer(40, 20, Activation.ReLU), new DenseLayer(20, 64, Activation.ReLU), new DenseLayer(64, 10)], [64]),
        tuning, [64, 37]);

    /// <summary>
    /// A first layer of 48 outputs keeps its weights in three panels of 16. The planner's 6 x 2 tiles (16 columns on AVX2)
    /// read and update one panel each; 3-vector tiles (24 columns on AVX2, 12 with 128-bit vectors) start inside a panel
    /// and end in the next, so every vector finds its own panel. Both train bit for bit alike, at a declared and a
    /// general batch size.
    /// </summary>
    [Fact]
    public void WeightsInPanels_TilesAcrossPanels_TrainAsTilesWithinThem()
    {
        var declaration = new ModelDeclaration("Panels", Loss.SoftmaxCrossEntropy, [new DenseLayer(40, 48, Activation.ReLU), new DenseLayer(48, 10)], [64]);
        using (CompiledModel planned = new ModelCompiler(compiled.CacheDirectory, kernelTargets: "").Compile(declaration))
        {
            Assert.Equal(WeightLayout.InputMajorPanels, planned.Description.Layers[0].Layout);
        }
        AssertTrainsAlike(declaration, "NarrowTile=4x3", [64, 37]);
    }

    /// <summary>
    /// WeightPanels=off keeps the first layer's weights in whole rows: another place for every weight, the same weights.
    /// Read through each model's WeightIndex, the initial and the trained parameters agree bit for bit (batch 1 takes
    /// the kernels that skip zero inputs).
    /// </summary>
    [Fact]
    public void WeightsInPanels_AndInWholeRows_AreTheSameWeights_InitialAndTrained()
    {
        var declaration = new ModelDeclaration("PanelsOrRows", Loss.SoftmaxCrossEntropy,
            [new DenseLayer(40, 32, Activation.ReLU), new DenseLayer(32, 16, Activation.ReLU), new DenseLayer(16, 10)], [64, 1]);
        using CompiledModel panels = new ModelCompiler(compiled.CacheDirectory, kernelTargets: "").Compile(declaration);
        using CompiledModel rows = new ModelCompiler(compiled.CacheDirectory, kernelTargets: "", planTuning: "WeightPanels=off").Compile(declaration);
        Assert.Equal(WeightLayout.InputMajorPanels, panels.Description.Layers[0].Layout);
        Assert.Equal(WeightLayout.InputMajor, rows.Description.Layers[0].Layout);
        Assert.Equal(Canonical(panels, panels.Accept(new InitialParameters())), Canonical(rows, rows.Accept(new InitialParameters())));
        AssertTrainsAlike(declaration, "WeightPanels=off", [64, 1, 37]);
    }

    /// <summary>
    /// Compiles <paramref name="declaration"/> with the planner's choices and with <paramref name="tuning"/>, every target
    /// planned (so a tuning of targets this machine does not run still changes the code): the kernels' IL differs, and
    /// 30 steps at each batch size give the same weights bit for bit, on byte-valued features (k / 255).
    /// </summary>
    private void AssertTrainsAlike(ModelDeclaration declaration, string tuning, int[] batches)
    {
        int inputs = declaration.Layers[0].Inputs;
        var random = new Random(11);
        float[] features = Enumerable.Range(0, 500 * inputs).Select(_ => random.Next(256) * HpcSgd.Kernels.ByteRowBatch.Scale).ToArray();
        float[] labels = Labels(500, declaration.Layers[^1].Outputs, seed: 12);
        using CompiledModel planned = new ModelCompiler(compiled.CacheDirectory, kernelTargets: "").Compile(declaration);
        using CompiledModel tuned = new ModelCompiler(compiled.CacheDirectory, kernelTargets: "", planTuning: tuning).Compile(declaration);
        Assert.NotEqual(KernelIL(planned), KernelIL(tuned));
        foreach (int batch in batches)
        {
            var training = new Training(features, labels, batch, steps: 30);
            Assert.Equal(Canonical(planned, planned.Accept(training)), Canonical(tuned, tuned.Accept(training)));
        }
    }

    /// <summary>Every weight's bits in output-major order (then the biases), wherever the model's layout keeps it.</summary>
    private static int[] Canonical(CompiledModel model, float[] parameters) => model.Description.Layers
        .SelectMany(l => Enumerable.Range(0, l.Outputs).SelectMany(o => Enumerable.Range(0, l.Inputs).Select(i => parameters[l.WeightIndex(o, i)]))
            .Concat(parameters.AsSpan(l.BiasOffset, l.Outputs).ToArray()))
        .Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>The IL of every method of the model type, in name order (the assemblies' names differ by their cache keys).</summary>
    private static string KernelIL(CompiledModel model) => string.Join("\n", model.ModelType
        .GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly)
        .Select(m => m.ToString() + ": " + Convert.ToHexString(m.GetMethodBody()?.GetILAsByteArray() ?? []))
        .Order(StringComparer.Ordinal));

    [Fact]
    public void PlanTuningTheGeneratorRefuses_IsAnErrorWithItsDiagnosticId()
    {
        var declaration = new ModelDeclaration("Refused", Loss.SoftmaxCrossEntropy, [new DenseLayer(40, 10)], [8]);
        var error = Assert.Throws<ModelCompilationException>(() => new ModelCompiler(useCache: false, planTuning: "PacksA=maybe").Compile(declaration));
        Assert.Contains(error.Diagnostics, d => d.StartsWith("HPCSGD018:", StringComparison.Ordinal) && d.Contains("'PacksA=maybe'", StringComparison.Ordinal));
    }

    [Fact]
    public void StepsOfACompiledModel_AllocateNothing()
    {
        long allocated = compiled.TenClasses.Accept(new AllocationProbe(Features(500, 70, seed: 8), Labels(500, 10, seed: 9)));
        Assert.Equal(0, allocated);
    }

    private sealed class Training(float[] features, float[] labels, int batch, int steps) : IModelVisitor<float[]>
    {
        public float[] Visit<TModel>() where TModel : ISgdModel<TModel>
        {
            var model = new Model<TModel>(seed: 7);
            var options = new TrainingOptions { LearningRate = 0.05f, Momentum = 0.9f, BatchSize = batch, Steps = steps, Seed = 3 };
            using var session = new TrainingSession<TModel>(model, new Dataset<TModel>(features, labels), options);
            while (session.Step())
            {
            }
            Assert.Equal(steps, session.StepsDone);
            return model.Parameters.ToArray();
        }
    }

    private sealed class InitialParameters : IModelVisitor<float[]>
    {
        public float[] Visit<TModel>() where TModel : ISgdModel<TModel> => new Model<TModel>(seed: 7).Parameters.ToArray();
    }

    private sealed class AllocationProbe(float[] features, float[] labels) : IModelVisitor<long>
    {
        public long Visit<TModel>() where TModel : ISgdModel<TModel>
        {
            var options = new TrainingOptions { LearningRate = 0.01f, BatchSize = 19, Steps = 3000, Seed = 1 };
            using var session = new TrainingSession<TModel>(new Model<TModel>(seed: 1), new Dataset<TModel>(features, labels), options);
            for (int i = 0; i < 500; i++)
            {
                session.Step();
            }
            long mark = ThreadAllocations.Mark();
            for (int i = 0; i < 2000; i++)
            {
                session.Step();
            }
            return ThreadAllocations.Since(mark);
        }
    }

    private static float[] Features(int count, int width, ulong seed)
    {
        var random = new Random((int)seed);
        return Enumerable.Range(0, count * width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static float[] Labels(int count, int classes, ulong seed)
    {
        var random = new Random((int)seed);
        return Enumerable.Range(0, count).Select(_ => (float)random.Next(classes)).ToArray();
    }

    private static int[] BitsOf(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
