using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// <see cref="BatchSampler.TryPeek"/>, which lets the helper that gathers ahead request coming batches without drawing
/// them: what it shows is what the draws then return, and it refuses exactly where a draw would change the order.
/// </summary>
public class BatchSamplerPeekTests
{
    private static BatchSampler Sampler(int samples, int batch, bool dropLast, BatchSampling sampling = BatchSampling.ShuffledEpochs) =>
        new(samples, new TrainingOptions { BatchSize = batch, Seed = 11, DropLastPartialBatch = dropLast, Sampling = sampling });

    [Theory]
    [InlineData(100, 8, false)] // epochs end in a partial batch of 4
    [InlineData(100, 8, true)] // ... which is dropped
    [InlineData(96, 8, false)] // epochs of whole batches
    [InlineData(5, 5, false)] // one batch per epoch
    public void Peeked_batches_are_the_ones_later_drawn_and_no_peek_crosses_an_epoch(int samples, int batch, bool dropLast)
    {
        BatchSampler sampler = Sampler(samples, batch, dropLast);
        int perEpoch = dropLast ? samples / batch : (samples + batch - 1) / batch;
        Assert.False(sampler.TryPeek(1, out _)); // the first epoch is not shuffled before the first draw
        for (int step = 0; step < 3 * perEpoch; step++)
        {
            int size = sampler.Draw();
            int left = perEpoch - 1 - step % perEpoch; // batches still to come in this epoch
            var peeked = new List<int[]>();
            for (int ahead = 1; ahead <= perEpoch + 1; ahead++)
            {
                bool seen = sampler.TryPeek(ahead, out ReadOnlySpan<int> batchAhead);
                Assert.Equal(ahead <= left, seen);
                if (seen)
                {
                    peeked.Add(batchAhead.ToArray());
                }
            }
            Assert.True(size > 0);
            // Peeking changed nothing: the next draws return the peeked batches in order.
            var probe = Sampler(samples, batch, dropLast);
            for (int i = 0; i <= step; i++)
            {
                probe.Draw();
            }
            foreach (int[] expected in peeked)
            {
                int drawn = probe.Draw();
                Assert.Equal(expected, probe.Batch(drawn).ToArray());
            }
        }
    }

    [Fact]
    public void Batches_drawn_afresh_per_step_cannot_be_peeked()
    {
        BatchSampler sampler = Sampler(100, 8, false, BatchSampling.RandomBatches);
        sampler.Draw();
        Assert.False(sampler.CanPeek);
        Assert.False(sampler.TryPeek(1, out _));
    }

    [Theory]
    [InlineData(64, 784, 1, 1 << 20, 11)] // Fashion-MNIST rows (3,140 bytes with the label), batch 64, 1 MiB L2: 10 batches ahead
    [InlineData(128, 784, 1, 1 << 20, 6)]
    [InlineData(512, 784, 1, 1 << 20, 2)] // a batch larger than the L2 keeps the least ring
    [InlineData(1, 10, 1, 1 << 20, TrainingSession<HpcSgd.Tests.Models.TiledMlp>.MaxGatherAheadDepth)] // tiny batches stop at the cap
    public void The_ring_holds_twice_the_L2_in_batches_between_a_gather_and_its_step(int batch, int inputs, int targets, int l2, int expected)
    {
        Assert.Equal(expected, TrainingSession<HpcSgd.Tests.Models.TiledMlp>.GatherAheadDepth(batch, inputs, targets, l2));
    }
}
