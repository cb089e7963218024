using HpcSgd.Data;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>Mini-batch SGD in one call; see <see cref="TrainingSession{TModel}"/> to drive it step by step.</summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/> in place and says how it ended. Invalid options
    /// throw before the first step; divergence and cancellation are reported in the result, not thrown.
    /// </summary>
    public static TrainingResult Train<TModel>(Model<TModel> model, Dataset<TModel> data, TrainingOptions options,
        Dataset<TModel>? validation = null, CancellationToken cancellationToken = default)
        where TModel : ISgdModel<TModel>
    {
        using var session = new TrainingSession<TModel>(model, data, options, validation);
        return session.Run(cancellationToken);
    }
}
