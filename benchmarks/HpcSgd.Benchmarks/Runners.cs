using HpcSgd.Benchmarks.Baselines;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Compiler;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Benchmarks;

/// <summary>One way of running training steps on a workload; <see cref="Step"/> draws a batch, computes the gradient and updates.</summary>
public interface IStepRunner
{
    void Step();

    /// <summary>What the runner saw besides the time, for the report (null: nothing).</summary>
    string? Notes => null;
}

/// <summary>HpcSgd: a <see cref="TrainingSession{TModel}"/> step (shuffled epochs, gather, generated kernels, update).</summary>
public sealed class HpcSgdRunner<TModel> : IStepRunner, IDisposable where TModel : ISgdModel<TModel>
{
    private readonly TrainingSession<TModel> session;

    public HpcSgdRunner(WorkloadData data, int batch, float learningRate, int threads = 1, int? chunkSize = null, bool gatherAhead = false, bool trackNoise = false)
    {
        var dataset = new Dataset<TModel>(data.Features, data.Targets);
        var options = new TrainingOptions
        {
            LearningRate = learningRate, BatchSize = batch, Steps = int.MaxValue, Seed = 5, DropLastPartialBatch = true, Threads = threads, ChunkSize = chunkSize,
            GatherAhead = gatherAhead, TrackNoiseScale = trackNoise,
        };
        session = new TrainingSession<TModel>(new Model<TModel>(seed: 3), dataset, options);
    }

    public void Dispose() => session.Dispose();

    public string? Notes => session.GatherAheadProbes is (long near, long far) && near + far > 0
        ? $"helper's placement probes: {near} near, {far} far" : null;

    public void Step()
    {
        if (!session.Step())
        {
            throw new InvalidOperationException($"training stopped: diverged = {session.Diverged}, loss {session.LastLoss}");
        }
    }
}

/// <summary>
/// The generated fused step alone, on a few batches gathered up front and taken in turn (no sampling, no gather): with
/// <see cref="HpcSgdRunner{TModel}"/> in the same run, it splits a step's time into kernels and the rest.
/// </summary>
public sealed class KernelsOnlyRunner<TModel> : IStepRunner where TModel : ISgdModel<TModel>
{
    private const int Batches = 4;
    private readonly Model<TModel> model = new(seed: 3);
    private readonly ArraySegment<float>[] inputs = new ArraySegment<float>[Batches];
    private readonly ArraySegment<float>[] targets = new ArraySegment<float>[Batches];
    private readonly ArraySegment<float> gradient = AlignedArrays.Floats(TModel.Description.ParameterCount);
    private readonly ArraySegment<float> workspace;
    private readonly int batch;
    private readonly float learningRate;
    private int next;

    public KernelsOnlyRunner(WorkloadData data, int batch, float learningRate)
    {
        this.batch = batch;
        this.learningRate = learningRate;
        workspace = AlignedArrays.Floats(TModel.WorkspaceLength(batch));
        int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth;
        var random = new Random(5);
        for (int b = 0; b < Batches; b++)
        {
            inputs[b] = AlignedArrays.Floats(batch * inputWidth);
            targets[b] = AlignedArrays.Floats(batch * targetWidth);
            for (int i = 0; i < batch; i++)
            {
                int sample = random.Next(data.Count);
                data.Features.AsSpan(sample * inputWidth, inputWidth).CopyTo(inputs[b].AsSpan(i * inputWidth));
                data.Targets.AsSpan(sample * targetWidth, targetWidth).CopyTo(targets[b].AsSpan(i * targetWidth));
            }
        }
    }

    public void Step()
    {
        int b = next;
        next = (next + 1) % Batches;
        TModel.TrainStep(model.Parameters, inputs[b], targets[b], gradient, [], workspace, batch, new Kernels.UpdateRule(learningRate, 0f, 0f), float.PositiveInfinity);
    }
}

/// <summary>
/// The workload's model compiled at run time (HpcSgd.Compiler), stepped by the same session as the declared one; with a
/// plan tuning (HpcSgdPlanTuning), the planner's choice and another one side by side in one process.
/// </summary>
public static class CompiledRunners
{
    private static readonly Dictionary<(ModelDeclaration, string), CompiledModel> Models = [];

    public static IStepRunner Create(ModelDeclaration declaration, WorkloadData data, int batch, float learningRate, string planTuning = "")
    {
        if (!Models.TryGetValue((declaration, planTuning), out CompiledModel? model))
        {
            model = new ModelCompiler(planTuning: planTuning).Compile(declaration);
            Models[(declaration, planTuning)] = model;
        }
        return model.Accept(new Factory(data, batch, learningRate));
    }

    private sealed class Factory(WorkloadData data, int batch, float learningRate) : IModelVisitor<IStepRunner>
    {
        public IStepRunner Visit<TModel>() where TModel : ISgdModel<TModel> => new HpcSgdRunner<TModel>(data, batch, learningRate);
    }
}

/// <summary>A hand-written baseline.</summary>
public sealed class HandWrittenRunner<TRows>(WorkloadData data, int batch, float learningRate) : IStepRunner where TRows : struct, IRowMath
{
    private readonly HandWrittenSgd<TRows> net = new(Layers(data.Name), data.Name is "W3" or "W4", learningRate, data.Features, data.Targets, data.Count, batch);

    public void Step() => net.Step();

    private static int[] Layers(string workload) => workload switch
    {
        "W1n100" or "W1" => [1, 1],
        "W2" => [64, 1],
        "W3" => [784, 10],
        "W4" => [784, 128, 10],
        _ => throw new ArgumentException(workload),
    };
}

/// <summary>Creates the runner of a method for a workload.</summary>
public static class RunnerFactory
{
    public static float LearningRate(string workload) => workload is "W3" or "W4" ? 0.1f : 0.01f;

    public static IStepRunner Create(string method, string workload, int batch, int threads = 1, int? chunkSize = null)
    {
        WorkloadData data = WorkloadCatalog.Get(workload);
        float lr = LearningRate(workload);
        bool general = method == "General";
        return method switch
        {
            "Specialized" or "General" => workload switch
            {
                "W1n100" or "W1" => general ? new HpcSgdRunner<W1General>(data, batch, lr) : new HpcSgdRunner<W1>(data, batch, lr, threads, chunkSize),
                "W2" => general ? new HpcSgdRunner<W2General>(data, batch, lr) : new HpcSgdRunner<W2>(data, batch, lr, threads, chunkSize),
                "W3" => general ? new HpcSgdRunner<W3General>(data, batch, lr) : new HpcSgdRunner<W3>(data, batch, lr, threads, chunkSize),
                "W4" => general ? new HpcSgdRunner<W4General>(data, batch, lr) : new HpcSgdRunner<W4>(data, batch, lr, threads, chunkSize),
                _ => throw new ArgumentException(workload),
            },
            // "Compiled:W3/B64": the declaration compiled at run time; "Tuned(ByteRowsAhead=16+PacksA=off):W3/B64": the same
            // with the planner's choices overridden.
            _ when method == "Compiled" || (method.StartsWith("Tuned(", StringComparison.Ordinal) && method.EndsWith(')')) =>
                CompiledRunners.Create(workload switch
                {
                    "W3" => Declarations.W3,
                    "W4" => Declarations.W4,
                    _ => throw new ArgumentException(workload),
                }, data, batch, lr, method == "Compiled" ? "" : method[6..^1].Replace('+', ',')),
            // "L1Tile:W4/B64": the kernels' register tile on operands in L1, a W4/B64 step's FLOPs per step (L1TileRunner).
            "L1Tile" => new L1TileRunner(workload, batch),
            "Kernels" => workload switch
            {
                "W3" => new KernelsOnlyRunner<W3>(data, batch, lr),
                "W4" => new KernelsOnlyRunner<W4>(data, batch, lr),
                _ => throw new ArgumentException(workload),
            },
            // A training session with options, joined by '+': "Ahead" (GatherAhead), "Noise" (TrackNoiseScale), "Threads2",
            // "Chunk64" (ChunkSize; Chunk0: one pass). E.g. "Ahead+Chunk0:W3/B256".
            _ when SessionOptions.TryParse(method, out SessionOptions o) => workload switch
            {
                "W3" => new HpcSgdRunner<W3>(data, batch, lr, o.Threads, o.ChunkSize, o.GatherAhead, o.TrackNoise),
                "W4" => new HpcSgdRunner<W4>(data, batch, lr, o.Threads, o.ChunkSize, o.GatherAhead, o.TrackNoise),
                _ => throw new ArgumentException(workload),
            },
            "Scalar" => new HandWrittenRunner<ScalarRows>(data, batch, lr),
            "Primitives" => new HandWrittenRunner<TensorPrimitivesRows>(data, batch, lr),
            _ => throw new ArgumentException(method),
        };
    }
}

/// <summary>The training options a runner method names ("Ahead+Chunk128").</summary>
public readonly record struct SessionOptions(int Threads, int? ChunkSize, bool GatherAhead, bool TrackNoise)
{
    public static bool TryParse(string method, out SessionOptions options)
    {
        options = new SessionOptions(1, null, false, false);
        foreach (string token in method.Split('+'))
        {
            if (token == "Ahead")
            {
                options = options with { GatherAhead = true };
            }
            else if (token == "Noise")
            {
                options = options with { TrackNoise = true };
            }
            else if (token.StartsWith("Threads", StringComparison.Ordinal) && int.TryParse(token.AsSpan(7), out int threads) && threads > 0)
            {
                options = options with { Threads = threads };
            }
            else if (token.StartsWith("Chunk", StringComparison.Ordinal) && int.TryParse(token.AsSpan(5), out int rows) && rows >= 0)
            {
                options = options with { ChunkSize = rows };
            }
            else
            {
                return false;
            }
        }
        return true;
    }
}
