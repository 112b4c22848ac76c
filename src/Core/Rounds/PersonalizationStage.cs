namespace FedSim.Rounds;

/// <summary>
/// Personalized evaluation (<c>personalization.local_steps</c>, after <see cref="DeviceEvaluationStage"/>): each device
/// the round evaluated fine-tunes its own copy of the next global model for a few local steps on its own training
/// records (all devices together, as one cohort on the compute pool), and that copy is tested on the same records as
/// the global model, as pfl-research and FedML report personalized accuracy. The global model is untouched.
/// </summary>
/// <param name="fineTune">For the global weights, the round and the devices: each device's fine-tuned weights, in order.</param>
/// <param name="accuracyOn">For weights and a device: its accuracy on its own test records.</param>
public sealed class PersonalizationStage(Func<float[], int, IReadOnlyList<long>, Task<float[][]>> fineTune,
    Func<float[], long, Task<double>> accuracyOn) : IRoundStage
{
    public const string Metric = "personalized_accuracy";

    public async Task RunAsync(RoundResults round, CancellationToken cancellationToken)
    {
        if (round.DeviceAccuracies is not { } evaluated)
        {
            DeviceEvaluationStage.AddDistribution(round, Metric, []);
            return;
        }
        var devices = evaluated.Select(a => a.Device).ToList();
        var tuned = await fineTune(round.NextWeights!, round.Context.Round, devices);
        var personalized = await Task.WhenAll(devices.Select((device, i) => accuracyOn(tuned[i], device)));
        round.DeviceAccuracies = evaluated.Select((a, i) => a with { Personalized = personalized[i] }).ToList();
        DeviceEvaluationStage.AddDistribution(round, Metric, personalized);
    }
}
