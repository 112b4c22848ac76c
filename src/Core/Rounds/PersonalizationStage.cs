namespace FedSim.Rounds;

/// <summary>
/// Personalized evaluation (<c>personalization</c>, after <see cref="DeviceEvaluationStage"/>): each device the round
/// evaluated gets its personalized model, and that model is tested on the same records as the global model, as
/// pfl-research and FedML report personalized accuracy. Under fine-tuning each device trains its own copy of the next
/// global model a few local steps on its own training records (all devices together, as one cohort on the compute pool);
/// under Ditto it is the personal model the device keeps. The global model is untouched.
/// </summary>
/// <param name="personalize">For the global weights, the round and the devices: each device's personalized weights, in order.</param>
/// <param name="accuracyOn">For weights and a device: its accuracy on its own test records.</param>
public sealed class PersonalizationStage(Func<float[], int, IReadOnlyList<long>, Task<float[][]>> personalize,
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
        var tuned = await personalize(round.NextWeights!, round.Context.Round, devices);
        var personalized = await Task.WhenAll(devices.Select((device, i) => accuracyOn(tuned[i], device)));
        round.DeviceAccuracies = evaluated.Select((a, i) => a with { Personalized = personalized[i] }).ToList();
        DeviceEvaluationStage.AddDistribution(round, Metric, personalized);
    }
}
