using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Data;

/// <summary>Dataset.Replace: a replaced sample is exactly what a dataset built with it holds, everywhere training reads it.</summary>
public class DatasetReplaceTests
{
    private static TrainingOptions Options => new() { LearningRate = 0.05f, BatchSize = 8, Steps = 120, Seed = 3 };

    private static float[] Train<TModel>(Dataset<TModel> data) where TModel : ISgdModel<TModel>
    {
        var model = new Model<TModel>(seed: 9);
        using var session = new TrainingSession<TModel>(model, data, Options);
        Assert.Equal(TrainingStatus.Completed, session.Run().Status);
        return model.Parameters.ToArray();
    }

    private static void ReplacedEqualsBuilt<TModel>(int count) where TModel : ISgdModel<TModel>
    {
        ModelDescription d = TModel.Description;
        (float[] oldInputs, float[] oldTargets) = TestData.Batch(d, count, 1);
        (float[] newInputs, float[] newTargets) = TestData.Batch(d, count, 2);
        var replaced = new Dataset<TModel>(oldInputs, oldTargets);
        // Built lazily from the old rows before the replacement: the copies training reads must follow.
        _ = replaced.ContentHash;
        _ = replaced.InputSquaredNorms.ToArray();
        float[] untouchedNorms = replaced.InputSquaredNorms.ToArray();
        var built = new Dataset<TModel>(newInputs, newTargets);
        int half = count / 2;
        for (int i = 0; i < half; i++)
        {
            replaced.Replace(i, built.FeaturesOf(i), built.TargetOf(i));
        }
        Assert.NotEqual(built.ContentHash, replaced.ContentHash); // half replaced
        for (int i = half; i < count; i++)
        {
            replaced.Replace(i, built.FeaturesOf(i), built.TargetOf(i));
        }
        Assert.Equal(built.Features.ToArray(), replaced.Features.ToArray());
        Assert.Equal(built.Targets.ToArray(), replaced.Targets.ToArray());
        Assert.Equal(built.ContentHash, replaced.ContentHash);
        Assert.Equal(built.InputSquaredNorms.ToArray(), replaced.InputSquaredNorms.ToArray());
        Assert.NotEqual(untouchedNorms, replaced.InputSquaredNorms.ToArray());
        Assert.Equal(Train(built), Train(replaced));
    }

    [Fact]
    public void Narrow_samples_interleaved_rows_follow_the_replacement() // features + target <= 16 floats: gathered from side-by-side rows
    {
        Assert.True(Dataset<SoftmaxManyClasses>.HasNarrowRows);
        var d = new Dataset<SoftmaxManyClasses>(TestData.Batch(SoftmaxManyClasses.Description, 40, 1).Inputs, TestData.Batch(SoftmaxManyClasses.Description, 40, 1).Targets);
        _ = d.InterleavedRows;
        ReplacedEqualsBuilt<SoftmaxManyClasses>(40);
    }

    [Fact]
    public void Wide_regression_and_classifier_samples()
    {
        ReplacedEqualsBuilt<WideRegression>(60);
        ReplacedEqualsBuilt<TiledMlp>(60);
    }

    [Fact]
    public void Bad_samples_are_refused_naming_what_is_wrong_and_nothing_changes()
    {
        (float[] inputs, float[] targets) = TestData.Batch(SoftmaxManyClasses.Description, 10, 1);
        var data = new Dataset<SoftmaxManyClasses>(inputs, targets);
        ulong hash = data.ContentHash;
        float[] row = new float[SoftmaxManyClasses.InputCount];
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => data.Replace(10, row, [1f])).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => data.Replace(-1, row, [1f])).ParamName);
        var e = Assert.Throws<ArgumentException>(() => data.Replace(0, new float[8], [1f]));
        Assert.Equal("features", e.ParamName);
        Assert.Contains("features holds 8 floats; HpcSgd.Tests.Models.SoftmaxManyClasses takes 9 inputs.", e.Message);
        row[4] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => data.Replace(0, row, [1f]));
        Assert.Contains("features[4] (sample 0, input 4) is NaN", e.Message);
        row[4] = 0f;
        e = Assert.Throws<ArgumentException>(() => data.Replace(0, row, [13f]));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("target[0] is 13; HpcSgd.Tests.Models.SoftmaxManyClasses needs one class index in [0, 13). Class indices start at 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => data.Replace(0, row, [2.5f]));
        Assert.Contains("target[0] is 2.5;", e.Message);
        e = Assert.Throws<ArgumentException>(() => data.Replace(0, row, [1f, 2f]));
        Assert.Contains("target holds 2 floats; a sample of HpcSgd.Tests.Models.SoftmaxManyClasses has 1 (one class index).", e.Message);
        Assert.Equal(hash, data.ContentHash);
        Assert.Equal(inputs, data.Features.ToArray());
    }
}
