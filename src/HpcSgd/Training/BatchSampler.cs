using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace HpcSgd.Training;

/// <summary>
/// Which samples each step trains on: shuffled epochs in consecutive batches, or a fresh uniform draw per step. Its
/// whole state is plain data (the sample order, the position in it, the generator's four words), so a checkpoint
/// stores it and a resumed run draws the same batches as one never interrupted.
/// </summary>
internal sealed class BatchSampler
{
    private readonly int[] order;
    private readonly BatchSampling sampling;
    private readonly int batchSize;
    private readonly bool dropLastPartialBatch;
    private SeededRandom random;
    private int position;

    public BatchSampler(int samples, TrainingOptions options)
    {
        order = new int[samples];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        sampling = options.Sampling;
        batchSize = options.BatchSize;
        dropLastPartialBatch = options.DropLastPartialBatch;
        random = new SeededRandom(options.Seed);
        position = order.Length; // the first draw starts a new epoch
    }

    /// <summary>Draws the next batch, which <see cref="Batch"/> then shows; returns its size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Draw()
    {
        if (sampling == BatchSampling.RandomBatches)
        {
            // Partial Fisher-Yates: order[0..batch) becomes a uniform draw of distinct samples.
            for (int i = 0; i < batchSize; i++)
            {
                int j = i + random.NextInt(order.Length - i);
                (order[i], order[j]) = (order[j], order[i]);
            }
            position = batchSize;
            return batchSize;
        }

        int remaining = order.Length - position;
        if (EpochEndsBefore(remaining))
        {
            random.Shuffle(order);
            position = 0;
            remaining = order.Length;
        }
        int size = Math.Min(batchSize, remaining);
        position += size;
        return size;
    }

    /// <summary>True when, with <paramref name="remaining"/> samples left in the epoch's order, the next draw starts a new epoch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EpochEndsBefore(int remaining) => remaining == 0 || (dropLastPartialBatch && remaining < batchSize);

    /// <summary>False when batches are drawn afresh per step, so <see cref="TryPeek"/> never sees one.</summary>
    public bool CanPeek => sampling != BatchSampling.RandomBatches;

    /// <summary>
    /// The batch that the <paramref name="ahead"/>-th <see cref="Draw"/> from now will return (1: the next), without
    /// drawing it, when every draw up to it stays in the current epoch; false when one would start a new epoch (whose
    /// order is not shuffled yet) or batches are drawn afresh per step, which a draw ahead would change.
    /// </summary>
    public bool TryPeek(int ahead, out ReadOnlySpan<int> batch)
    {
        batch = default;
        if (!CanPeek)
        {
            return false;
        }
        int start = position;
        for (int i = 1; i <= ahead; i++)
        {
            int remaining = order.Length - start;
            if (EpochEndsBefore(remaining))
            {
                return false;
            }
            int size = Math.Min(batchSize, remaining);
            if (i == ahead)
            {
                batch = order.AsSpan(start, size);
                return true;
            }
            start += size;
        }
        return false;
    }

    /// <summary>The sample indices of the last batch drawn, of <paramref name="size"/> samples (what <see cref="Draw"/> returned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> Batch(int size) => order.AsSpan(position - size, size);

    /// <summary>Bytes of <see cref="WriteState"/>'s output.</summary>
    public int StateLength => 4 + 4 * 8 + 4 + 4 * order.Length;

    /// <summary>Writes the state, little-endian: the position, the generator's state words, the sample count, then the order.</summary>
    public void WriteState(Span<byte> destination)
    {
        (ulong s0, ulong s1, ulong s2, ulong s3) = random.State;
        BinaryPrimitives.WriteInt32LittleEndian(destination, position);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], s0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[12..], s1);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[20..], s2);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[28..], s3);
        BinaryPrimitives.WriteInt32LittleEndian(destination[36..], order.Length);
        Span<byte> items = destination.Slice(40, 4 * order.Length);
        for (int i = 0; i < order.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(items[(4 * i)..], order[i]);
        }
    }

    /// <summary>
    /// Continues from a state <see cref="WriteState"/> wrote for the same data; a state that does not fit (another
    /// sample count, an order that is not a permutation, a position outside it) throws <see cref="FormatException"/>
    /// and leaves this sampler as it was.
    /// </summary>
    public void ReadState(ReadOnlySpan<byte> source)
    {
        if (source.Length < 40)
        {
            throw new FormatException($"the sampler state is {source.Length} bytes, shorter than its 40-byte header.");
        }
        int newPosition = BinaryPrimitives.ReadInt32LittleEndian(source);
        var state = (BinaryPrimitives.ReadUInt64LittleEndian(source[4..]), BinaryPrimitives.ReadUInt64LittleEndian(source[12..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[20..]), BinaryPrimitives.ReadUInt64LittleEndian(source[28..]));
        int count = BinaryPrimitives.ReadInt32LittleEndian(source[36..]);
        if (count != order.Length || source.Length != 40 + 4L * count)
        {
            throw new FormatException($"the sampler state is for {count} samples; this data set has {order.Length}.");
        }
        if (newPosition < 0 || newPosition > count)
        {
            throw new FormatException($"the sampler position {newPosition} lies outside the {count} samples.");
        }
        if ((state.Item1 | state.Item2 | state.Item3 | state.Item4) == 0)
        {
            throw new FormatException("the sampler's generator state is all zero, which no seeded generator reaches.");
        }
        var items = new int[count];
        var seen = new bool[count];
        for (int i = 0; i < count; i++)
        {
            int item = BinaryPrimitives.ReadInt32LittleEndian(source[(40 + 4 * i)..]);
            if ((uint)item >= (uint)count || seen[item])
            {
                throw new FormatException($"the sampler's order is not a permutation of the {count} samples (entry {i} is {item}).");
            }
            seen[item] = true;
            items[i] = item;
        }
        items.CopyTo(order, 0);
        position = newPosition;
        random = SeededRandom.FromState(state);
    }
}
