using HpcSgd.Cli.Explorer;
using HpcSgd.Tuning;

namespace HpcSgd.Tests.Cli;

/// <summary>Charts draw what their data holds (issue #15 item 3: the noise chart showed one point of nine).</summary>
public class PlotsTests
{
    [Fact]
    public void NoiseChart_DrawsEveryCheckpointWithAPositiveTrace_UnresolvedOnesAsLowerBounds()
    {
        NoiseScaleEstimate[] estimates =
        [
            new(0, 0, 4, 64, 200, GradientSquaredNorm: 1.0, TraceSigma: 8.0, GradientSquaredNormError: 0.1, NoiseScaleHalfWidth: 0.5), // resolved: 8 +- 0.5
            new(10, 640, 4, 64, 200, 0.05, 6.0, 0.04), // within 2 SE of 0: at least 6 / (0.05 + 0.08)
            new(20, 1280, 4, 64, 200, -0.02, 5.0, 0.03), // negative estimate: at least 5 / 0.06
            new(30, 1920, 4, 64, 200, 0.5, -1.0, 0.1), // no positive trace: nothing to say
        ];
        var points = Plots.NoiseScalePoints(estimates);
        Assert.Equal([0.0, 640.0, 1280.0], points.Select(p => p.SamplesSeen));
        Assert.True(points[0].Resolved);
        Assert.Equal(8.0, points[0].Value, 12);
        Assert.Equal(7.5, points[0].Low, 12);
        Assert.Equal(8.5, points[0].High, 12);
        Assert.False(points[1].Resolved);
        Assert.True(double.IsNaN(points[1].Value));
        Assert.Equal(6.0 / 0.13, points[1].Low, 9);
        Assert.Equal(double.PositiveInfinity, points[1].High);
        Assert.Equal(5.0 / 0.06, points[2].Low, 9);

        string png = Path.Combine(Path.GetTempPath(), $"noise-{Guid.NewGuid():N}.png");
        try
        {
            Plots.NoiseScale(png, estimates, "test");
            Assert.True(new FileInfo(png).Length > 10_000);
        }
        finally
        {
            File.Delete(png);
        }
    }
}
