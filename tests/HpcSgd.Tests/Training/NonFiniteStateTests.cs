using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Issue #16 item 8: divergence means any NaN or infinity in the parameters or the predictions, not only in the loss.
/// No run ends Completed with one inside.
/// </summary>
public class NonFiniteStateTests
{
    private static (Model<TiledMlp> Model, Dataset<TiledMlp> Data) Mlp()
    {
        (float[] x, float[] y) = TestData.Batch(TiledMlp.Description, 400, seed: 4);
        return (new Model<TiledMlp>(seed: 2), new Dataset<TiledMlp>(x, y));
    }

    /// <summary>A NaN bias on the first (ReLU) layer: the unit outputs 0 through the ReLU, so the loss never shows it.</summary>
    private static void PoisonHiddenBias(Model<TiledMlp> model) =>
        model.Parameters[TiledMlp.Description.Layers[0].BiasOffset + 3] = float.NaN;

    [Theory]
    [InlineData(75, 64)] // found by the check every 64 steps
    [InlineData(10, 10)] // found by the check at the end of the run
    public void A_NaN_the_loss_does_not_show_ends_the_run_as_diverged(int steps, int expectedStep)
    {
        (Model<TiledMlp> model, Dataset<TiledMlp> data) = Mlp();
        PoisonHiddenBias(model);
        using var session = new TrainingSession<TiledMlp>(model, data, new TrainingOptions { LearningRate = 0.01f, BatchSize = 16, Steps = steps, Seed = 1 });
        Assert.True(session.Step());
        Assert.True(float.IsFinite(session.LastLoss), "the premise: the loss hides the NaN");

        TrainingResult result = session.Run();
        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.Equal(expectedStep, result.DivergedAtStep);
        Assert.Equal(expectedStep, result.Steps);
        Assert.False(session.Step());
    }

    [Fact]
    public void Huge_finite_parameters_whose_predictions_are_NaN_end_as_diverged()
    {
        (Model<TiledMlp> model, Dataset<TiledMlp> data) = Mlp();
        TrainingResult result = Trainer.Train(model, data, new TrainingOptions { LearningRate = 1e30f, BatchSize = 16, Steps = 1, Seed = 1 });
        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.Equal(1, result.DivergedAtStep);
        Assert.True(float.IsNaN(result.ValidationLoss));
    }

    [Fact]
    public void With_roll_backs_the_poisoned_parameters_are_replaced_by_the_last_finite_snapshot()
    {
        (Model<TiledMlp> model, Dataset<TiledMlp> data) = Mlp();
        using var session = new TrainingSession<TiledMlp>(model, data, new TrainingOptions { LearningRate = 0.01f, BatchSize = 16, Steps = 200, Seed = 1, RollBacks = 1 });
        for (int i = 0; i < 70; i++)
        {
            Assert.True(session.Step());
        }
        PoisonHiddenBias(model); // after the snapshot at step 64
        TrainingResult result = session.Run();
        Assert.Equal(TrainingStatus.Completed, result.Status);
        RollBackEvent rollBack = Assert.Single(session.RollBacks);
        Assert.Equal(128, rollBack.Step);
        Assert.True(float.IsNaN(rollBack.Loss));
        Assert.Equal(0, rollBack.RestoredStep); // the older of the snapshots at 0 and 64
        Assert.True(float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(model.Parameters)));
    }
}
