using HpcSgd.Tuning;

namespace HpcSgd.Tests.Tuning;

public class CurveLabelTests
{
    private static TrialLabel Label(params float[] losses) =>
        CurveLabels.Classify([.. losses.Select((l, i) => new CurvePoint(i * 10, i * 100, i, l, l))], diverged: false, new CurveLabelRules());

    [Fact]
    public void Each_shape_of_curve_gets_its_label()
    {
        Assert.Equal(TrialLabel.Converged, Label(2.3f, 1.0f, 0.6f, 0.5f, 0.45f, 0.44f, 0.44f, 0.44f, 0.44f));
        Assert.Equal(TrialLabel.StillImproving, Label(2.3f, 2.0f, 1.7f, 1.4f, 1.2f, 1.0f, 0.9f, 0.8f, 0.7f));
        Assert.Equal(TrialLabel.StillImproving, Label(2.3f, 2.28f, 2.26f, 2.23f, 2.2f, 2.16f, 2.12f, 2.08f, 2.03f)); // tiny rate, creeping down
        Assert.Equal(TrialLabel.Stalled, Label(2.3f, 2.31f, 2.30f, 2.30f, 2.30f, 2.30f, 2.30f, 2.30f, 2.30f));        // stuck at the start
        Assert.Equal(TrialLabel.Oscillating, Label(2.3f, 0.8f, 1.4f, 0.7f, 1.5f, 0.8f, 1.6f, 0.7f, 1.5f));          // swings without progress
        Assert.Equal(TrialLabel.Oscillating, Label(2.3f, 0.5f, 0.4f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f));         // rose to over twice its best
        Assert.Equal(TrialLabel.Oscillating, Label(2.3f, 9f, 2.3f, 2.2f, 2.25f, 2.2f, 2.2f, 2.2f, 2.2f));         // blew up above the start, then stuck
        Assert.Equal(TrialLabel.Diverged, CurveLabels.Classify([new CurvePoint(0, 0, 0, 2.3f, 2.3f)], diverged: true, new CurveLabelRules()));
    }
}
