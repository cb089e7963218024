using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// The contract: after warm-up, a training step (sampling, gathering, forward, loss, gradient, update,
/// progress with validation loss) allocates nothing, for every declared batch size and the general path.
/// </summary>
public class ZeroAllocationTests
{
    private const int MeasuredSteps = 1000;

    public static TheoryData<string, int, BatchSampling, float> Cases()
    {
        var data = new TheoryData<string, int, BatchSampling, float>();
        foreach (string model in AllModels.Names)
        {
            foreach (int batch in AllModels.Describe(model).DeclaredBatchSizes.Append(7))
            {
                data.Add(model, batch, BatchSampling.ShuffledEpochs, 0f);
            }
            data.Add(model, 7, BatchSampling.RandomBatches, 0.9f); // momentum path and the other sampler
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingSteps_AllocateNothing(string model, int batch, BatchSampling sampling, float momentum) =>
        AllModels.Run(model, new Check(batch, sampling, momentum));

    /// <summary>Models with wide rows, their features 8-bit values over 255: gathered from the byte copy, widened.</summary>
    public static TheoryData<string, int> ByteCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string model in AllModels.Names.Where(m => AllModels.Describe(m).InputCount >= 16))
        {
            data.Add(model, AllModels.Describe(model).DeclaredBatchSizes[0]);
            data.Add(model, 7);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ByteCases))]
    public void TrainingSteps_OnByteValuedFeatures_AllocateNothing(string model, int batch) =>
        AllModels.Run(model, new Check(batch, BatchSampling.ShuffledEpochs, 0f, byteFeatures: true));

    [Fact]
    public void PredictIntoCallerSpan_AllocatesNothing()
    {
        var model = new Model<Models.DeepSoftmax>(seed: 1);
        float[] inputs = TestData.Batch(Models.DeepSoftmax.Description, 300, 1).Inputs;
        var outputs = new float[300 * Models.DeepSoftmax.OutputCount];
        model.Predict(inputs, outputs); // warm-up creates the workspace once

        long[] windows = AllocatedPerWindow(500, () =>
        {
            model.Predict(inputs, outputs);
            model.Predict(inputs.AsSpan(0, Models.DeepSoftmax.InputCount), outputs.AsSpan(0, Models.DeepSoftmax.OutputCount));
        });
        Assert.True(windows.Max() == 0, $"{windows[0]} and {windows[1]} bytes over two windows of 500 calls");
    }

    /// <summary>Bytes this thread allocates in each of two windows of <paramref name="calls"/> calls of <paramref name="call"/>.</summary>
    private static long[] AllocatedPerWindow(int calls, Action call)
    {
        var windows = new long[2];
        for (int w = 0; w < windows.Length; w++)
        {
            windows[w] = ThreadAllocations.During(() =>
            {
                for (int i = 0; i < calls; i++)
                {
                    call();
                }
            });
        }
        return windows;
    }

    private sealed class Check(int batch, BatchSampling sampling, float momentum, bool byteFeatures = false) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            (float[] x, float[] y) = TestData.Batch(d, 300, seed: 1);
            (float[] vx, float[] vy) = TestData.Batch(d, 40, seed: 2);
            var data = new Dataset<TModel>(byteFeatures ? TestData.AsBytes(x) : x, y);
            Assert.Equal(byteFeatures && d.InputCount >= Dataset<TModel>.ByteRowMinimumWidth && !Dataset<TModel>.HasNarrowRows, data.ByteRows is not null);
            int reports = 0;
            var session = new TrainingSession<TModel>(new Model<TModel>(seed: 1), data, new TrainingOptions
            {
                LearningRate = 1e-3f, BatchSize = batch, Steps = 10 * MeasuredSteps, Sampling = sampling, Momentum = momentum,
                WeightDecay = 1e-4f, Schedule = LearningRateSchedule.Cosine(), WarmupSteps = 5, RollBacks = 2, // snapshots every 64 steps
                ProgressInterval = 10, Progress = p => reports++,
            }, validation: new Dataset<TModel>(vx, vy));

            for (int i = 0; i < 50; i++)
            {
                Assert.True(session.Step());
            }
            // Two windows of 1,000 steps (an epoch's reshuffle and progress reports with validation inside each).
            long[] windows = AllocatedPerWindow(MeasuredSteps, () => session.Step());

            Assert.False(session.Diverged);
            Assert.Equal(2 * MeasuredSteps + 50, session.StepsDone);
            Assert.Equal((2 * MeasuredSteps + 50) / 10, reports);
            Assert.True(windows.Max() == 0, $"{d.Name}, batch {batch}, {sampling}: {windows[0]} and {windows[1]} bytes over two windows of {MeasuredSteps} steps");
        }
    }
}
