using System.Diagnostics;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

public static partial class LearningRateSweep
{
    /// <summary>A trial's model, session and curve; trains in phases up to a budget fraction.</summary>
    private sealed class Trial<TModel> : IDisposable where TModel : ISgdModel<TModel>
    {
        private readonly Model<TModel> model;
        private readonly TrainingSession<TModel> session;
        private readonly Dataset<TModel> validation;
        private readonly TrainingBudget budget;
        private readonly int stepLimit;
        private readonly double[] evaluations;
        private readonly CurvePoint[] curve;
        private readonly float divergenceLimit;
        private readonly int rollBacksAllowed;
        private readonly float[] lastGood;
        private readonly List<RollBackEvent> rollBacks = [];
        private int lastGoodStep;
        private int points;
        private int nextEvaluation;
        private double lossSum;
        private int lossCount;
        private long elapsedTicks;
        private long trainingTicks;
        private bool stopped;
        private bool diverged;
        private int rungReached = -1;
        private double? accuracy;
        private int stepsDone;
        private long samplesSeen;
        private string? pendingCheckpoint;

        public Trial(int index, float learningRate, int batchSize, ulong seed, ReadOnlySpan<float> initialParameters,
            Dataset<TModel> training, Dataset<TModel> validation, SweepOptions options, double[] evaluations, float initialLoss)
        {
            Index = index;
            LearningRate = learningRate;
            BatchSize = batchSize;
            Seed = seed;
            this.validation = validation;
            this.evaluations = evaluations;
            budget = options.Budget;
            stepLimit = budget.StepLimit(batchSize);
            model = new Model<TModel>(initialParameters);
            session = new TrainingSession<TModel>(model, training, new TrainingOptions
            {
                LearningRate = learningRate,
                BatchSize = batchSize,
                Steps = stepLimit,
                Seed = seed,
                Momentum = options.Momentum,
                WeightDecay = options.WeightDecay,
                DivergenceFactor = options.DivergenceFactor,
            }, validation);
            curve = new CurvePoint[evaluations.Length + 1];
            curve[points++] = new CurvePoint(0, 0, 0, initialLoss, initialLoss);
            LastValidationLoss = initialLoss;
            divergenceLimit = options.DivergenceFactor * MathF.Max(initialLoss, 1e-3f);
            rollBacksAllowed = options.RollBacks;
            lastGood = options.RollBacks > 0 ? initialParameters.ToArray() : [];
        }

        public int Index { get; }

        public float LearningRate { get; }

        public int BatchSize { get; }

        public ulong Seed { get; }

        public float LastValidationLoss { get; private set; }

        public bool IsRunning => !stopped && !diverged && !Finished;

        public TrialStatus? Ended => diverged ? TrialStatus.Diverged : Finished ? TrialStatus.Completed : null;

        private bool Finished => nextEvaluation >= evaluations.Length;

        public void Stop() => stopped = true;

        /// <summary>Trains until <paramref name="fraction"/> of the budget is spent, measuring the validation loss at each evaluation point.</summary>
        public void RunTo(double fraction, int rung, CancellationToken cancellationToken)
        {
            LoadPendingCheckpoint();
            long start = Stopwatch.GetTimestamp();
            while (!Finished && evaluations[nextEvaluation] <= fraction + 1e-12 && !cancellationToken.IsCancellationRequested)
            {
                double target = evaluations[nextEvaluation];
                while (Spent(start) < target - 1e-12)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                    if (!session.Step())
                    {
                        if (session.Diverged && rollBacks.Count < rollBacksAllowed)
                        {
                            RollBack(session.LastLoss);
                            continue;
                        }
                        break;
                    }
                    lossSum += session.LastLoss;
                    lossCount++;
                }
                if (session.Diverged)
                {
                    diverged = true;
                    break;
                }
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                // The curve's clock counts training only: every trial measures the same validation set equally often,
                // which would flatten the differences in time per step that time-to-target compares.
                trainingTicks += Stopwatch.GetTimestamp() - start;
                float loss = session.ValidationLoss();
                elapsedTicks += Stopwatch.GetTimestamp() - start;
                start = Stopwatch.GetTimestamp();
                curve[points++] = new CurvePoint(session.StepsDone, session.SamplesSeen, Stopwatch.GetElapsedTime(0, trainingTicks).TotalSeconds,
                    lossCount > 0 ? (float)(lossSum / lossCount) : float.NaN, loss);
                lossSum = 0;
                lossCount = 0;
                LastValidationLoss = loss;
                nextEvaluation++;
                if (!float.IsFinite(loss) || loss > divergenceLimit)
                {
                    // Back to the last evaluation: this point is dropped, and measured again at once.
                    if (rollBacks.Count < rollBacksAllowed)
                    {
                        points--;
                        nextEvaluation--;
                        RollBack(loss);
                        continue;
                    }
                    diverged = true;
                    break;
                }
                if (lastGood.Length > 0)
                {
                    model.Parameters.CopyTo(lastGood);
                    lastGoodStep = session.StepsDone;
                }
            }
            if (!diverged)
            {
                rungReached = rung;
                if (TModel.Description.Loss != Loss.MeanSquaredError)
                {
                    accuracy = model.Accuracy(validation);
                }
            }
            elapsedTicks += Stopwatch.GetTimestamp() - start;
            stepsDone = session.StepsDone;
            samplesSeen = session.SamplesSeen;
        }

        private double Seconds => Stopwatch.GetElapsedTime(0, elapsedTicks).TotalSeconds;

        /// <summary>Back to the parameters of the last evaluation with the rate halved; the step losses since are dropped.</summary>
        private void RollBack(float loss)
        {
            session.RollBack(lastGood, 0.5f);
            rollBacks.Add(new RollBackEvent(session.StepsDone + 1, loss, lastGoodStep, LearningRate * session.LearningRateScale));
            LastValidationLoss = curve[points - 1].ValidationLoss;
            lossSum = 0;
            lossCount = 0;
        }

        private double Spent(long start) =>
            budget.Spent(session.StepsDone, stepLimit, Stopwatch.GetElapsedTime(0, elapsedTicks + Stopwatch.GetTimestamp() - start));

        public TrialResult Result(CurveLabelRules rules)
        {
            ReadOnlySpan<CurvePoint> measured = curve.AsSpan(0, points);
            float best = float.PositiveInfinity;
            foreach (CurvePoint point in measured)
            {
                best = MathF.Min(best, point.ValidationLoss);
            }
            TrialStatus status = diverged ? TrialStatus.Diverged : stopped ? TrialStatus.Stopped : TrialStatus.Completed;
            return new TrialResult(Index, LearningRate, BatchSize, Seed, status, CurveLabels.Classify(measured, diverged, rules),
                rungReached, diverged ? float.NaN : LastValidationLoss, best, diverged ? null : accuracy, stepsDone,
                samplesSeen, Seconds, measured.ToArray(), rollBacks.Count > 0 ? [.. rollBacks] : null);
        }

        /// <summary>The journal's record of this trial at the end of <paramref name="rung"/>.</summary>
        public SweepJournalEntry Entry(int rung, bool continues, CurveLabelRules rules) => new(rung, Result(rules), LastValidationLoss, continues);

        /// <summary>Saves the session for the next rung (the journal entry then says it continues from there).</summary>
        public void SaveCheckpoint(string path) => session.SaveCheckpoint(path);

        /// <summary>
        /// Takes the state a journal entry recorded at the end of its rung; the session itself is restored from
        /// <paramref name="checkpoint"/> only if this trial trains again (<see cref="RunTo"/>).
        /// </summary>
        public void Restore(SweepJournalEntry entry, string? checkpoint)
        {
            TrialResult r = entry.Trial;
            if (r.Curve.Count > curve.Length || r.Curve.Count == 0)
            {
                throw new InvalidDataException($"the journal's trial {Index} has {r.Curve.Count} curve points where this sweep measures at most {curve.Length}.");
            }
            for (int i = 0; i < r.Curve.Count; i++)
            {
                curve[i] = r.Curve[i];
            }
            points = r.Curve.Count;
            nextEvaluation = points - 1;
            lossSum = 0;
            lossCount = 0;
            elapsedTicks = (long)(r.WallSeconds * Stopwatch.Frequency);
            trainingTicks = (long)(r.Curve[^1].Seconds * Stopwatch.Frequency);
            diverged = r.Status == TrialStatus.Diverged;
            rungReached = r.RungReached;
            accuracy = r.FinalAccuracy;
            stepsDone = r.Steps;
            samplesSeen = r.SamplesSeen;
            LastValidationLoss = entry.LastValidationLoss;
            rollBacks.Clear();
            rollBacks.AddRange(r.RollBacks ?? []);
            pendingCheckpoint = checkpoint;
        }

        /// <summary>Before training again after <see cref="Restore"/>: the session as the journaled rung left it.</summary>
        private void LoadPendingCheckpoint()
        {
            if (pendingCheckpoint is not { } path)
            {
                return;
            }
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"the journal says trial {Index} goes on from {path}, which is missing; start the sweep over.");
            }
            session.RestoreCheckpoint(path);
            pendingCheckpoint = null;
            if (lastGood.Length > 0)
            {
                model.Parameters.CopyTo(lastGood);
                lastGoodStep = session.StepsDone;
            }
        }

        public void Dispose() => session.Dispose();
    }
}
