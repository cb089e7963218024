using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// Checkpoints: a model file (<see cref="ModelFile.Load(string, ModelDescription)"/> reads its parameters) with the run's state in sections of its
/// own, written atomically and checksummed like any model file. Restored into a fresh session built with the same
/// options and data, the run continues bit for bit as if it had never stopped.
/// </summary>
public sealed partial class TrainingSession<TModel>
{
    // Section tags: what must match (the run's options and data), the counters, the sampler, momentum, roll-back snapshots.
    private const string RunTag = "TOPT", StateTag = "TRST", SamplerTag = "SMPL", VelocityTag = "VELO", SnapshotsTag = "SNPS";
    private const uint StateVersion = 1;
    private int lastCheckpointStep = -1;

    /// <summary>
    /// Writes a checkpoint of this run to <paramref name="path"/> (atomically: a crash leaves the previous file or the new
    /// one): parameters, momentum, step and schedule position, the sampler's order, position and generator, the
    /// divergence watch and roll-back snapshots, and the options and data it depends on. Call it between steps.
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var samplerState = new byte[sampler.StateLength];
        sampler.WriteState(samplerState);
        var sections = new List<ModelFileSection>
        {
            new(RunTag, Encoding.UTF8.GetBytes(RunSignature())),
            new(StateTag, EncodeState()),
            new(SamplerTag, samplerState),
        };
        if (velocity.Length > 0)
        {
            sections.Add(new(VelocityTag, FloatBytes(velocity.Span)));
        }
        if (snapshots.Length > 0)
        {
            sections.Add(new(SnapshotsTag, [.. FloatBytes(snapshots[0].Span), .. FloatBytes(snapshots[1].Span)]));
        }
        ModelFile.Save(path, TModel.Description, model.Parameters, sections);
        lastCheckpointStep = StepsDone;
    }

    /// <summary>
    /// Continues the run a checkpoint holds: call on a fresh session, before its first step, built with the options and
    /// data the checkpoint was written with (else <see cref="ModelFileException"/> names the first that differs).
    /// </summary>
    /// <exception cref="ModelFileException">The file is damaged, another model's, or from a run with other options or data.</exception>
    /// <exception cref="InvalidOperationException">This session has already stepped.</exception>
    public void RestoreCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (StepsDone > 0 || pendingBatch > 0 || rollBackCount > 0)
        {
            throw new InvalidOperationException("A checkpoint is restored into a fresh session, before its first step.");
        }
        var sections = new Dictionary<string, byte[]>();
        float[] parameters = ModelFile.Load(path, TModel.Description, sections);
        CompareRun(path, Encoding.UTF8.GetString(Section(path, sections, RunTag)));
        CheckpointState state = DecodeState(path, Section(path, sections, StateTag));
        float[] savedVelocity = velocity.Length > 0 ? Floats(path, Section(path, sections, VelocityTag), velocity.Length, "momentum") : [];
        float[] savedSnapshots = snapshots.Length > 0 ? Floats(path, Section(path, sections, SnapshotsTag), 2 * parameters.Length, "snapshot") : [];
        try
        {
            sampler.ReadState(Section(path, sections, SamplerTag)); // the last check: it changes the sampler only when it passes
        }
        catch (FormatException e)
        {
            throw new ModelFileException(path, $"is not a usable checkpoint: {e.Message}");
        }

        parameters.CopyTo(model.Parameters);
        savedVelocity.CopyTo(velocity.Span);
        if (snapshots.Length > 0)
        {
            savedSnapshots.AsSpan(0, parameters.Length).CopyTo(snapshots[0].Span);
            savedSnapshots.AsSpan(parameters.Length).CopyTo(snapshots[1].Span);
        }
        StepsDone = state.StepsDone;
        samplesSeen = state.SamplesSeen;
        LastLoss = state.LastLoss;
        LastLearningRate = state.LastLearningRate;
        rateScale = state.RateScale;
        Diverged = state.Diverged;
        divergedAtStep = state.DivergedAtStep;
        pendingBatch = state.PendingBatch;
        divergence.State = state.Divergence;
        newestSnapshot = state.NewestSnapshot;
        state.SnapshotSteps.CopyTo(snapshotSteps, 0);
        rollBackCount = state.RollBacks.Length;
        state.RollBacks.CopyTo(rollBackEvents, 0);
        lastCheckpointStep = StepsDone;
        lastDrawnBatch = pendingBatch; // gathering ahead, the first step asks for the pending batch's pieces
    }

    /// <summary>Saves a checkpoint to <see cref="TrainingOptions.CheckpointPath"/> when it is set and one is due (or <paramref name="force"/>).</summary>
    private void CheckpointIfDue(bool force)
    {
        if (options.CheckpointPath is not { } path || lastCheckpointStep == StepsDone)
        {
            return;
        }
        if (force || (options.CheckpointInterval > 0 && StepsDone % options.CheckpointInterval == 0))
        {
            SaveCheckpoint(path);
        }
    }

    private readonly record struct CheckpointState(int StepsDone, long SamplesSeen, float LastLoss, float LastLearningRate, float RateScale,
        bool Diverged, int DivergedAtStep, int PendingBatch, (double, long, float, float) Divergence, int NewestSnapshot, int[] SnapshotSteps,
        RollBackEvent[] RollBacks);

    // Layout, little-endian, in the order EncodeState writes: version, steps done, samples, last loss, last rate, rate
    // scale, diverged flag, diverged-at step, pending batch, the watch's state, newest snapshot, both snapshot steps,
    // then the roll-back count and each roll-back event.
    private const int StateFixedLength = 4 + 4 + 8 + 4 + 4 + 4 + 1 + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 8 + 4;

    private byte[] EncodeState()
    {
        var bytes = new byte[StateFixedLength + 16 * rollBackCount];
        var writer = new SpanWriter(bytes);
        writer.U32(StateVersion);
        writer.I32(StepsDone);
        writer.I64(samplesSeen);
        writer.F32(LastLoss);
        writer.F32(LastLearningRate);
        writer.F32(rateScale);
        writer.U8(Diverged ? (byte)1 : (byte)0);
        writer.I32(divergedAtStep);
        writer.I32(pendingBatch);
        (double referenceSum, long referenceSamples, float limit, float average) = divergence.State;
        writer.F64(referenceSum);
        writer.I64(referenceSamples);
        writer.F32(limit);
        writer.F32(average);
        writer.I32(newestSnapshot);
        writer.I32(snapshotSteps.Length > 0 ? snapshotSteps[0] : -1);
        writer.I32(snapshotSteps.Length > 1 ? snapshotSteps[1] : -1);
        writer.I32(rollBackCount);
        for (int i = 0; i < rollBackCount; i++)
        {
            RollBackEvent e = rollBackEvents[i];
            writer.I32(e.Step);
            writer.F32(e.Loss);
            writer.I32(e.RestoredStep);
            writer.F32(e.LearningRate);
        }
        return bytes;
    }

    private CheckpointState DecodeState(string path, byte[] bytes)
    {
        ModelFileException Bad(string what) => new(path, $"is not a usable checkpoint: {what}.");
        if (bytes.Length < StateFixedLength)
        {
            throw Bad($"its training state is {bytes.Length} bytes, shorter than {StateFixedLength}");
        }
        var reader = new SpanReader(bytes);
        uint version = reader.U32();
        if (version != StateVersion)
        {
            throw Bad($"its training state has version {version}; this HpcSgd reads version {StateVersion}");
        }
        int steps = reader.I32();
        long samples = reader.I64();
        float lastLoss = reader.F32(), lastRate = reader.F32(), scale = reader.F32();
        byte diverged = reader.U8();
        int divergedAt = reader.I32(), pending = reader.I32();
        (double, long, float, float) watch = (reader.F64(), reader.I64(), reader.F32(), reader.F32());
        int newest = reader.I32();
        int[] steps2 = [reader.I32(), reader.I32()];
        int count = reader.I32();
        if (steps < 0 || steps > TotalSteps || samples < 0 || diverged > 1 || pending < 0 || pending > options.BatchSize
            || !(scale > 0f) || !float.IsFinite(scale) || newest is not (0 or 1) || watch.Item2 < 0)
        {
            throw Bad($"its training state is out of range (step {steps} of {TotalSteps}, pending batch {pending})");
        }
        if (count < 0 || count > rollBackEvents.Length || bytes.Length != StateFixedLength + 16 * count)
        {
            throw Bad($"it records {count} roll-backs where this run allows {rollBackEvents.Length}");
        }
        var events = new RollBackEvent[count];
        for (int i = 0; i < count; i++)
        {
            events[i] = new RollBackEvent(reader.I32(), reader.F32(), reader.I32(), reader.F32());
        }
        return new CheckpointState(steps, samples, lastLoss, lastRate, scale, diverged == 1, divergedAt, pending, watch, newest,
            snapshotSteps.Length == 2 ? steps2 : [], events);
    }

    /// <summary>
    /// What a resumed run must share with the checkpoint's for the same bits: every option that steers the trajectory
    /// (the effective chunk rows too, which follow the CPU's cache size unless set), and the training data.
    /// </summary>
    private string RunSignature()
    {
        var inv = CultureInfo.InvariantCulture;
        LearningRateSchedule schedule = options.Schedule;
        return string.Join('\n',
            string.Create(inv, $"Samples={data.Count}"),
            $"DataHash={data.ContentHash:x16}",
            string.Create(inv, $"LearningRate={options.LearningRate:R}"),
            string.Create(inv, $"BatchSize={options.BatchSize}"),
            string.Create(inv, $"TotalSteps={TotalSteps}"),
            string.Create(inv, $"Seed={options.Seed}"),
            $"Sampling={options.Sampling}",
            $"DropLastPartialBatch={options.DropLastPartialBatch}",
            string.Create(inv, $"Momentum={options.Momentum:R}"),
            $"Nesterov={options.Nesterov}",
            string.Create(inv, $"WeightDecay={options.WeightDecay:R}"),
            string.Create(inv, $"Schedule={schedule.Kind}/{schedule.StepSize}/{schedule.Factor:R}"),
            string.Create(inv, $"WarmupSteps={options.WarmupSteps}"),
            string.Create(inv, $"DivergenceFactor={options.DivergenceFactor:R}"),
            string.Create(inv, $"Threads={options.Threads}"),
            string.Create(inv, $"ChunkSize={chunkRows}"),
            string.Create(inv, $"RollBacks={options.RollBacks}"));
    }

    private void CompareRun(string path, string saved)
    {
        if (Data.RunSignature.FirstDifference(saved.Split('\n'), RunSignature().Split('\n')) is not (string name, var other, string value))
        {
            return;
        }
        string hint = other is null ? $"is not a usable checkpoint: it does not record {name}."
            : name switch
            {
                "DataHash" => "was written for other training data (same size, different values); resume with the data it was trained on.",
                "ChunkSize" => $"was written by a run that split batches into chunks of {MessageText.Show(other)} rows (0: none) where this one uses {value} " +
                    $"(it follows the CPU's cache size); set TrainingOptions.ChunkSize = {MessageText.Show(other)} to resume it.",
                _ => $"was written by a run with {name} = {MessageText.Show(other)} where this session has {value}; resume with the options it was written with.",
            };
        throw new ModelFileException(path, hint);
    }

    private static byte[] Section(string path, Dictionary<string, byte[]> sections, string tag) =>
        sections.TryGetValue(tag, out byte[]? payload)
            ? payload
            : throw new ModelFileException(path, $"is a model file but not a checkpoint of this run: it has no '{tag}' section.");

    private static byte[] FloatBytes(ReadOnlySpan<float> values)
    {
        byte[] bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            Span<uint> words = MemoryMarshal.Cast<byte, uint>(bytes.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        return bytes;
    }

    private static float[] Floats(string path, byte[] bytes, int count, string what)
    {
        if (bytes.Length != 4L * count)
        {
            throw new ModelFileException(path, $"is not a usable checkpoint: its {what} section holds {bytes.Length} bytes where {4L * count} are expected.");
        }
        var values = new float[count];
        bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            Span<uint> words = MemoryMarshal.Cast<float, uint>(values.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        return values;
    }

    private ref struct SpanWriter(Span<byte> bytes)
    {
        private readonly Span<byte> bytes = bytes;
        private int at;

        public void U8(byte value) => bytes[at++] = value;

        public void U32(uint value) { BinaryPrimitives.WriteUInt32LittleEndian(bytes[at..], value); at += 4; }

        public void I32(int value) { BinaryPrimitives.WriteInt32LittleEndian(bytes[at..], value); at += 4; }

        public void I64(long value) { BinaryPrimitives.WriteInt64LittleEndian(bytes[at..], value); at += 8; }

        public void F32(float value) { BinaryPrimitives.WriteSingleLittleEndian(bytes[at..], value); at += 4; }

        public void F64(double value) { BinaryPrimitives.WriteDoubleLittleEndian(bytes[at..], value); at += 8; }
    }

    private ref struct SpanReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;
        private int at;

        public byte U8() => bytes[at++];

        public uint U32() { at += 4; return BinaryPrimitives.ReadUInt32LittleEndian(bytes[(at - 4)..]); }

        public int I32() { at += 4; return BinaryPrimitives.ReadInt32LittleEndian(bytes[(at - 4)..]); }

        public long I64() { at += 8; return BinaryPrimitives.ReadInt64LittleEndian(bytes[(at - 8)..]); }

        public float F32() { at += 4; return BinaryPrimitives.ReadSingleLittleEndian(bytes[(at - 4)..]); }

        public double F64() { at += 8; return BinaryPrimitives.ReadDoubleLittleEndian(bytes[(at - 8)..]); }
    }
}
