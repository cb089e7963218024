using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Issue #15, "roll back and halve": with <see cref="TrainingOptions.RollBacks"/>, divergence sends the parameters back to
/// a snapshot and halves the rate instead of ending training; the snapshot is exactly the parameters of that step.
/// </summary>
public class RollBackTests
{
    private static Dataset<SeedRegression> Classic()
    {
        (float[] x, float[] y) = ClassicExample.Generate(500, 2);
        return new Dataset<SeedRegression>(x, y);
    }

    private static TrainingSession<SeedRegression> Session(Model<SeedRegression> model, float learningRate, int rollBacks, int steps = 3000) =>
        new(model, Classic(), new TrainingOptions { LearningRate = learningRate, BatchSize = 8, Steps = steps, Seed = 4, DivergenceFactor = 100f, RollBacks = rollBacks });

    [Fact]
    public void A_rate_that_diverges_is_halved_until_training_completes()
    {
        var stopping = new Model<SeedRegression>(1);
        using (TrainingSession<SeedRegression> plain = Session(stopping, 5f, rollBacks: 0))
        {
            Assert.Equal(TrainingStatus.Diverged, plain.Run().Status);
        }

        var model = new Model<SeedRegression>(1);
        float start = model.EvaluateLoss(Classic());
        using TrainingSession<SeedRegression> session = Session(model, 5f, rollBacks: 10);
        TrainingResult result = session.Run();

        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.Equal(3000, session.StepsDone);
        Assert.NotEmpty(session.RollBacks);
        Assert.True(session.RollBacks.Count < 10);
        for (int k = 0; k < session.RollBacks.Count; k++)
        {
            Assert.Equal(5f * MathF.Pow(0.5f, k + 1), session.RollBacks[k].LearningRate);
        }
        Assert.Equal(MathF.Pow(0.5f, session.RollBacks.Count), session.LearningRateScale);
        Assert.Equal(session.RollBacks[^1].LearningRate, session.LastLearningRate);
        Assert.True(model.EvaluateLoss(Classic()) < 0.01f * start, $"loss {model.EvaluateLoss(Classic())} from {start}");
    }

    [Fact]
    public void The_parameters_go_back_to_those_of_the_snapshot_step_exactly()
    {
        // Without roll-backs, record the parameters at every multiple of 64 steps until the run diverges.
        var reference = new Model<SeedRegression>(1);
        var atStep = new Dictionary<int, float[]> { [0] = reference.Parameters.ToArray() };
        // A rate that takes a few hundred steps to come apart, so the snapshot is not the start.
        const float Rate = 0.8f;
        int diverged;
        using (TrainingSession<SeedRegression> plain = Session(reference, Rate, rollBacks: 0))
        {
            while (plain.Step())
            {
                if (plain.StepsDone % 64 == 0)
                {
                    atStep[plain.StepsDone] = reference.Parameters.ToArray();
                }
            }
            Assert.True(plain.Diverged, "the reference run must diverge for this test");
            diverged = plain.StepsDone + 1;
        }

        var model = new Model<SeedRegression>(1);
        using TrainingSession<SeedRegression> session = Session(model, Rate, rollBacks: 1);
        while (session.RollBacks.Count == 0)
        {
            Assert.True(session.Step());
        }
        RollBackEvent rollBack = session.RollBacks[0];
        Assert.Equal(diverged, rollBack.Step);
        // The older of the two snapshots: 64 to 128 steps back (or the start).
        int expected = Math.Max(0, (diverged - 1) / 64 * 64 - 64);
        Assert.Equal(expected, rollBack.RestoredStep);
        Assert.True(expected > 0, $"diverged at step {diverged}: choose a rate that takes longer");
        Assert.Equal(atStep[expected], model.Parameters.ToArray());
        Assert.Equal(Rate / 2, rollBack.LearningRate);
        Assert.False(session.Diverged);
    }

    [Fact]
    public void RollBack_checks_its_arguments_by_name()
    {
        var model = new Model<SeedRegression>(1);
        using TrainingSession<SeedRegression> session = Session(model, 0.1f, rollBacks: 0);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => session.RollBack(new float[3], 0.5f)).ParamName);
        Assert.Equal("learningRateFactor", Assert.Throws<ArgumentOutOfRangeException>(() => session.RollBack(model.Parameters.ToArray(), 0f)).ParamName);
        Assert.Equal("RollBacks", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { LearningRate = 0.1f, BatchSize = 8, Steps = 1, RollBacks = -1 }.Validate(100)).ParamName);
    }
}
