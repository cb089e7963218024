using HpcSgd.Data;
using HpcSgd.Tests.Models;

namespace HpcSgd.Tests.Data;

/// <summary>A dataset checks its data against the model once, and says what is wrong and where.</summary>
public class DatasetTests
{
    [Fact]
    public void EmptyFeatures_AreRefused() =>
        AssertRefused("features", "features is empty; a dataset needs at least one sample.",
            () => new Dataset<SeedRegression>(Array.Empty<float>(), Array.Empty<float>()));

    [Fact]
    public void FeaturesNotAWholeNumberOfSamples_AreRefused() =>
        AssertRefused("features", "features holds 40 floats, which is not a whole number of samples of HpcSgd.Tests.Models.WideRegression's 37 inputs.",
            () => new Dataset<WideRegression>(new float[40], new float[3]));

    [Fact]
    public void TargetCountMismatch_IsRefused() =>
        AssertRefused("targets", "targets holds 2 floats but 3 samples of HpcSgd.Tests.Models.SeedRegression need 3 (one value per output).",
            () => new Dataset<SeedRegression>(new float[3], new float[2]));

    [Fact]
    public void NaNFeature_IsRefusedWithSampleAndInput() =>
        AssertRefused("features", "features[40] (sample 1, input 3) is NaN; datasets must hold finite numbers.",
            () => new Dataset<WideRegression>(WithValue(new float[74], 40, float.NaN), new float[6]));

    [Fact]
    public void InfiniteTarget_IsRefusedWithSampleAndOutput() =>
        AssertRefused("targets", "targets[4] (sample 1, output 1) is -Infinity; datasets must hold finite numbers.",
            () => new Dataset<WideRegression>(new float[74], WithValue(new float[6], 4, float.NegativeInfinity)));

    [Fact]
    public void ClassLabelOutOfRange_IsRefused_WithAHintForLabelsCountedFromOne() =>
        AssertRefused("targets", "targets[1] is 4, which is not a class index in [0, 4). Class indices start at 0: labels 1..4 need 1 subtracted.",
            () => new Dataset<SoftmaxModel>(new float[46], [0f, 4f]));

    [Fact]
    public void IntegerLabelsCountedFromOne_GetTheHint() =>
        AssertRefused("labels", "labels[2] is 4, which is not a class index in [0, 4). Class indices start at 0: labels 1..4 need 1 subtracted.",
            () => new Dataset<SoftmaxModel>(new float[69], new[] { 1, 3, 4 }));

    [Fact]
    public void FractionalClassLabel_IsRefused() =>
        AssertRefused("targets", "targets[0] is 1.5, which is not a class index in [0, 4).",
            () => new Dataset<SoftmaxModel>(new float[23], [1.5f]));

    [Fact]
    public void IntegerLabelOutOfRange_IsRefused() =>
        AssertRefused("labels", "labels[1] is -1, which is not a class index in [0, 4).",
            () => new Dataset<SoftmaxModel>(new float[46], new[] { 2, -1 }));

    [Fact]
    public void BinaryTargetOutsideUnitInterval_IsRefused() =>
        AssertRefused("targets", "targets[0] is 1.5; binary cross-entropy needs targets in [0, 1].",
            () => new Dataset<LogisticModel>(new float[19], [1.5f]));

    [Fact]
    public void RowThatIsNotOneHot_IsRefused() =>
        AssertRefused("targets", "targets row 1 is not one-hot: targets[6] (class 2) is 1; each row needs a single 1 and zeros elsewhere.",
            () => new Dataset<SoftmaxModel>(new float[46], [0f, 1f, 0f, 0f, 0f, 1f, 1f, 0f]));

    [Fact]
    public void LabelsForARegressionModel_AreRefused() =>
        AssertRefused("labels", "labels are class indices, but HpcSgd.Tests.Models.SeedRegression is a regression model (Loss.MeanSquaredError); pass float targets.",
            () => new Dataset<SeedRegression>(new float[2], new[] { 0, 1 }));

    [Fact]
    public void OneHotRows_AreStoredAsClassIndices()
    {
        var data = new Dataset<SoftmaxModel>(new float[46], [0f, 0f, 0f, 1f, 0f, 1f, 0f, 0f]);
        Assert.Equal(new[] { 3f, 1f }, data.Targets.ToArray());
    }

    [Fact]
    public void Dataset_CopiesItsInput()
    {
        float[] x = [1f, 2f];
        var data = new Dataset<SeedRegression>(x, [3f, 4f]);
        x[0] = 99f;
        Assert.Equal(1f, data.Features[0]);
        Assert.Equal(2, data.Count);
    }

    private static float[] WithValue(float[] values, int index, float value)
    {
        values[index] = value;
        return values;
    }

    private static void AssertRefused(string parameter, string message, Action create)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(create);
        Assert.Equal(parameter, error.ParamName);
        Assert.Equal($"{message} (Parameter '{parameter}')", error.Message);
    }

    [Fact]
    public void Input_squared_norms_are_each_sample_s_sum_of_squares_and_the_content_hash_follows_the_values()
    {
        float[] x = [.. Enumerable.Range(0, 37 * 5).Select(i => (float)Math.Sin(i))];
        float[] y = new float[3 * 5];
        var data = new Dataset<TiledMlp>(x, y);
        for (int i = 0; i < 5; i++)
        {
            double expected = x.Skip(i * 37).Take(37).Sum(v => (double)v * v);
            Assert.Equal(expected, data.InputSquaredNorms[i], 4);
        }
        Assert.Equal(data.ContentHash, new Dataset<TiledMlp>(x, y).ContentHash);
        x[100] += 1e-3f;
        Assert.NotEqual(data.ContentHash, new Dataset<TiledMlp>(x, y).ContentHash);
    }
}
