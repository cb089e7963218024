using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>Every invalid option is refused before the first step, with a message naming it and its value.</summary>
public class TrainingOptionsTests
{
    private static readonly TrainingOptions Valid = new() { LearningRate = 0.1f, BatchSize = 10, Epochs = 1 };

    public static TheoryData<TrainingOptions, string, string> Invalid => new()
    {
        { Valid with { LearningRate = 0f }, "LearningRate", "TrainingOptions.LearningRate is 0; it must be finite and greater than 0" },
        { Valid with { LearningRate = -0.5f }, "LearningRate", "TrainingOptions.LearningRate is -0.5; it must be finite and greater than 0" },
        { Valid with { LearningRate = float.NaN }, "LearningRate", "TrainingOptions.LearningRate is NaN; it must be finite and greater than 0" },
        { Valid with { LearningRate = float.PositiveInfinity }, "LearningRate", "TrainingOptions.LearningRate is Infinity; it must be finite and greater than 0" },
        { Valid with { BatchSize = 0 }, "BatchSize", "TrainingOptions.BatchSize is 0; it must be at least 1" },
        { Valid with { BatchSize = 101 }, "BatchSize", "TrainingOptions.BatchSize is 101; it is larger than the training set (100 samples)" },
        { Valid with { Epochs = null }, "Epochs", "Set exactly one budget: Epochs or Steps (got neither)" },
        { Valid with { Steps = 5 }, "Epochs", "Set exactly one budget: Epochs or Steps (got both)" },
        { Valid with { Epochs = 0 }, "Epochs", "TrainingOptions.Epochs is 0; it must be at least 1" },
        { Valid with { Epochs = null, Steps = -1 }, "Steps", "TrainingOptions.Steps is -1; it must be at least 1" },
        { Valid with { Sampling = (BatchSampling)9 }, "Sampling", "TrainingOptions.Sampling is 9; it is not a BatchSampling value" },
        { Valid with { Momentum = 1f }, "Momentum", "TrainingOptions.Momentum is 1; it must be in [0, 1)" },
        { Valid with { Momentum = -0.1f }, "Momentum", "TrainingOptions.Momentum is -0.1; it must be in [0, 1)" },
        { Valid with { Nesterov = true }, "Nesterov", "TrainingOptions.Nesterov is True; it needs a Momentum above 0" },
        { Valid with { WeightDecay = -1e-4f }, "WeightDecay", "TrainingOptions.WeightDecay is -0.0001; it must be finite and at least 0" },
        { Valid with { WarmupSteps = -3 }, "WarmupSteps", "TrainingOptions.WarmupSteps is -3; it must be at least 0" },
        { Valid with { ProgressInterval = 0 }, "ProgressInterval", "TrainingOptions.ProgressInterval is 0; it must be at least 1" },
        { Valid with { DivergenceFactor = 1f }, "DivergenceFactor", "TrainingOptions.DivergenceFactor is 1; it must be greater than 1" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidOption_IsRefusedWithItsNameAndValue(TrainingOptions options, string parameter, string message)
    {
        (float[] x, float[] y) = ClassicExample.Generate(100);
        var data = new Dataset<SeedRegression>(x, y);
        float[] before = new Model<SeedRegression>(1).Parameters.ToArray();
        var model = new Model<SeedRegression>(1);

        ArgumentException error = Assert.ThrowsAny<ArgumentException>(() => Trainer.Train(model, data, options));

        Assert.Equal(parameter, error.ParamName);
        Assert.StartsWith(message, error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void ScheduleFactories_RefuseOutOfRangeArguments()
    {
        Assert.Equal("everySteps", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(0, 0.5f)).ParamName);
        Assert.Contains("must be in (0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(10, 1.5f)).Message);
        Assert.Contains("must be in [0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(-0.1f)).Message);
    }

    [Fact]
    public void Schedules_GiveDocumentedMultipliers()
    {
        Assert.Equal(1f, LearningRateSchedule.Constant.Multiplier(500, 1000, 0));
        Assert.Equal(0.25f, LearningRateSchedule.StepDecay(100, 0.5f).Multiplier(250, 1000, 0));
        Assert.Equal(1f, LearningRateSchedule.Cosine(0.1f).Multiplier(0, 101, 0), 6);
        Assert.Equal(0.55f, LearningRateSchedule.Cosine(0.1f).Multiplier(50, 101, 0), 6);
        Assert.Equal(0.1f, LearningRateSchedule.Cosine(0.1f).Multiplier(100, 101, 0), 6);
        // Linear warm-up first, then the schedule counted from the end of the warm-up.
        Assert.Equal(0.25f, LearningRateSchedule.StepDecay(10, 0.5f).Multiplier(0, 100, 4));
        Assert.Equal(1f, LearningRateSchedule.StepDecay(10, 0.5f).Multiplier(4, 100, 4));
        Assert.Equal(0.5f, LearningRateSchedule.StepDecay(10, 0.5f).Multiplier(14, 100, 4));
    }
}
