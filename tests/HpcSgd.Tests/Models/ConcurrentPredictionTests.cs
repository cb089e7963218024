using HpcSgd.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Models;

/// <summary>Issue #16 item 8: Predict on one shared model from several threads gave wrong results (a shared workspace).</summary>
public class ConcurrentPredictionTests
{
    [Fact]
    public async Task Predictions_from_four_threads_on_one_model_equal_the_sequential_ones()
    {
        var model = new Model<DeepSoftmax>(seed: 3);
        float[][] inputs = [.. Enumerable.Range(0, 4).Select(t => TestData.Batch(DeepSoftmax.Description, 300, seed: 10 + t).Inputs)];
        float[][] expected = [.. inputs.Select(x => model.Predict(x))];

        Task<int>[] threads = [.. Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(() =>
        {
            var outputs = new float[expected[t].Length];
            int wrong = 0;
            for (int repeat = 0; repeat < 300; repeat++)
            {
                model.Predict(inputs[t], outputs);
                wrong += outputs.AsSpan().SequenceEqual(expected[t]) ? 0 : 1;
            }
            return wrong;
        }, TaskCreationOptions.LongRunning))];
        int[] wrongs = await Task.WhenAll(threads);
        Assert.Equal([0, 0, 0, 0], wrongs);
    }
}
