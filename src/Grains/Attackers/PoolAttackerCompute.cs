using FedSim.Attacks.Auditing;
using FedSim.Attacks.Inference;
using FedSim.Compute;
using FedSim.Data;
using FedSim.Training;
using FedSim.Models;
using FedSim.Composition;

namespace FedSim.Attackers;

/// <summary>
/// An attacker's compute on the silo's compute pool: per-example outputs through <see cref="IComputePool.EvaluateExamplesAsync"/>
/// (all weight sets in one stacked pass) and reference or ascent models as ordinary training jobs of the target's
/// model and recipe, submitted together so the pool trains them as one cohort. Records are rows of the experiment's
/// training split.
/// </summary>
public sealed class PoolAttackerCompute(IComputePool pool, ExperimentData data, TrainingPlan recipe) : IAttackerCompute
{
    public float[] Initialize(ulong seed) => ModelLayout.Initialize(data.Model, seed);

    public async Task<ModelOutputs[]> OutputsAsync(IReadOnlyList<float[]> weightSets, IReadOnlyList<int> records, CancellationToken cancellationToken = default)
    {
        var rows = records.ToArray();
        var train = data.Split.Train;
        var result = await pool.EvaluateExamplesAsync(new ExampleOutputsJob(data.Model, weightSets, train, rows), cancellationToken);
        var labels = rows.Select(r => train.Labels[r]).ToArray();
        return result.Logits.Select(logits => new ModelOutputs(logits, result.Classes, labels)).ToArray();
    }

    public async Task<float[][]> TrainAsync(IReadOnlyList<ModelTraining> jobs, CancellationToken cancellationToken = default)
    {
        // Submitted before any is awaited, so the pool groups them into cohorts (same model, same plan).
        var pending = jobs.Select((job, i) => pool.TrainAsync(new TrainingJob(-1 - i, data.Model, Plan(job),
            job.Start, new ShardView(data.Split.Train, job.Records), job.Seed), cancellationToken)).ToArray();
        var results = await Task.WhenAll(pending);
        return results.Select((r, i) =>
        {
            var start = jobs[i].Start;
            var trained = new float[start.Length];
            for (int p = 0; p < trained.Length; p++) trained[p] = start[p] + r.Delta[p];
            return trained;
        }).ToArray();
    }

    private TrainingPlan Plan(ModelTraining job)
    {
        var plan = recipe with { LocalEpochs = job.Epochs, BatchSize = job.BatchSize ?? recipe.BatchSize, Modifiers = null };
        return job.Ascent ? plan.With(new GradientAscent()) : plan;
    }
}

/// <summary>The outsider's handle on a released model: queries only, the weights stay inside.</summary>
internal sealed class QueriedModel(IAttackerCompute compute, ReleasedModel release) : IReleasedModel
{
    public int Round => release.Round;

    public async Task<ModelOutputs> QueryAsync(IReadOnlyList<int> records, CancellationToken cancellationToken = default)
        => (await compute.OutputsAsync([release.Weights], records, cancellationToken))[0];
}
