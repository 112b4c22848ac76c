using FedSim.Compute;
using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Coordination;
using FedSim.Data;
using FedSim.Determinism;
using FedSim.Privacy;
using FedSim.Privacy.SecureAggregation;
using FedSim.Rounds;
using FedSim.Scenarios.Running;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using FedSim.Models;
using FedSim.Composition;
using FedSim.Strategies;

namespace FedSim.ClusterTests;

/// <summary>
/// Secure aggregation through the real grains: the coordinator learns exactly the sum of the quantized updates, with
/// and without dropouts, never an individual update, and fails a round it cannot unmask instead of guessing.
/// </summary>
[Collection(nameof(OneSiloCollection))]
public sealed class SecureAggregationClusterTests(OneSiloCluster one)
{
    private Task<ExperimentStatus> Run(string id, ScenarioSpec scenario)
        => ExperimentDriver.RunToCompletionAsync(one.Cluster.GrainFactory, id, scenario, _ => { }, TestScenarios.Deadline());

    private ExperimentData Data(ScenarioSpec scenario)
        => ((InProcessSiloHandle)one.Cluster.Primary!).SiloHost!.Services.GetRequiredService<ExperimentDataCache>().Get(scenario);

    private static ScenarioSpec Scenario(ulong seed, double dropout = 0, bool secure = true, int perRound = 10)
    {
        var scenario = TestScenarios.SmallSynthetic(devices: 20, perRound: perRound, rounds: 1, seed: seed);
        scenario.Heterogeneity.Dropout = dropout;
        if (secure) scenario.Privacy = new PrivacySpec { SecureAggregation = new SecureAggregationSpec { ClipRange = 0.5 } };
        return scenario;
    }

    /// <summary>The round-1 deltas of every sampled device, as the coordinator receives them without secure aggregation.</summary>
    private async Task<Dictionary<long, DeviceUpdate>> PlainUpdates(string id, ScenarioSpec scenario)
    {
        var plain = Scenario(scenario.Seed, dropout: 0, secure: false, perRound: scenario.Training.DevicesPerRound);
        Assert.Null((await Run(CoordinatorInbox.Prefix + id, plain)).Error);
        return CoordinatorInbox.Of(CoordinatorInbox.Prefix + id).OfType<DeviceUpdate>().ToDictionary(u => u.DeviceId);
    }

    /// <summary>
    /// The model after round 1 that the exact sum of the contributors' quantized, weighted updates gives: each device
    /// encodes (w·Δ, w·c) with w = n / n_max, quantizes with the round's quantizer, the sum is taken mod 2^32 and read
    /// back; the mean is the update sum over the weight sum; the server step adds it (learning rate 1).
    /// </summary>
    private float[] ExpectedModel(ScenarioSpec scenario, Dictionary<long, DeviceUpdate> plain, IReadOnlyCollection<long> contributors, int protocolDevices)
    {
        var data = Data(scenario);
        var global = ModelLayout.Initialize(data.Model, Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.ModelInit));
        var encoding = new SecAggEncoding(global.Length, SecAggExtraCoordinate.Weight, 0.5);
        var quantizer = new FixedPointQuantizer(0.5, protocolDevices, QuantizationRounding.Nearest);
        int maxShard = data.Partition.Max(p => p.Length);
        var sum = new uint[encoding.VectorLength];
        foreach (long d in contributors)
        {
            var q = quantizer.Quantize(encoding.Encode(plain[d].Delta, Math.Min(1.0, plain[d].Examples * (1.0 / maxShard))), 0).Values;
            for (int i = 0; i < sum.Length; i++) sum[i] = unchecked(sum[i] + q[i]);
        }
        var real = quantizer.DequantizeSum(sum);
        double weights = encoding.ExtraOf(real);
        var update = encoding.UpdateOf(real);
        return global.Select((w, i) => (float)(w + update[i] / weights)).ToArray();
    }

    [Fact]
    public async Task The_secure_sum_is_the_plain_sum_of_quantized_updates_and_the_coordinator_never_holds_an_individual_update()
    {
        // Prepare
        var scenario = Scenario(seed: 51);
        var plain = await PlainUpdates("secagg-exact-plain", scenario);
        string id = CoordinatorInbox.Prefix + "secagg-exact";

        // Execute
        var status = await Run(id, scenario);
        var model = (await one.Cluster.GrainFactory.GetGrain<IExperimentGrain>(id).GetGlobalModelAsync()).Weights;

        // Assert: the exact sum (the model is bit for bit what it gives).
        Assert.Null(status.Error);
        var report = status.Reports.Single();
        Assert.Equal((10, 10.0, 0.0, 0.0), (report.Participants, report.Metric("secagg_contributors"), report.Metric("secagg_dropped"), report.Metric("secagg_aborted")));
        Assert.Equal(ExpectedModel(scenario, plain, plain.Keys, 10), model);

        // Assert: what the coordinator ever received. Statistics carry no delta; no float vector arrives at all; the
        // only vectors are masked, and none resembles its device's quantized update.
        var received = CoordinatorInbox.Of(id);
        Assert.All(received.OfType<DeviceUpdate>(), u => Assert.Empty(u.Delta));
        Assert.All(received.OfType<DeviceUpdate>(), u => Assert.Null(u.Extras));
        Assert.All(received.OfType<DeviceUpdate>(), u => Assert.True(float.IsNaN(u.MeanTrainLoss))); // kept on the device, not sent outside the mask
        Assert.All(received, m => Assert.Contains(m.GetType(), new[]
        {
            typeof(ScenarioSpec), // the test starting the run
            typeof(int), // the test following it: GetStatusSinceAsync(reports seen)
            typeof(string), // the protocol session a device's keys are for
            typeof(DeviceUpdate), typeof(DeviceFailure), typeof(SecAggKeyAdvertisement), typeof(SecAggShareBundle),
            typeof(SecAggMaskedInput), typeof(SecAggUnmaskResponse),
        }));
        var masked = received.OfType<SecAggMaskedInput>().ToList();
        Assert.Equal(10, masked.Count);
        var data = Data(scenario);
        var encoding = new SecAggEncoding(plain.First().Value.Delta.Length, SecAggExtraCoordinate.Weight, 0.5);
        var quantizer = new FixedPointQuantizer(0.5, 10, QuantizationRounding.Nearest);
        foreach (var m in masked)
        {
            var own = quantizer.Quantize(encoding.Encode(plain[m.From].Delta, Math.Min(1.0, plain[m.From].Examples / (double)data.Partition.Max(p => p.Length))), 0).Values;
            double equal = own.Zip(m.MaskedVector).Count(p => p.First == p.Second) / (double)own.Length;
            Assert.True(equal < 0.01, $"device {m.From}'s masked vector equals its quantized update in {equal:P1} of coordinates");
        }
    }

    [Theory]
    [InlineData(1e-4, true)] // far below the weighted updates' coordinates: most are clipped
    [InlineData(1e3, false)] // far above them: none is
    public async Task Metrics_count_the_coordinates_the_quantizer_clipped_summed_over_the_devices(double clipRange, bool clips)
    {
        // Prepare: the count each device's quantizer makes of its weighted update's coordinates beyond c, from the same
        // devices' updates as a plain run sends them.
        var scenario = Scenario(seed: 57);
        scenario.Privacy.SecureAggregation!.ClipRange = clipRange;
        var plain = await PlainUpdates($"secagg-clipped-plain-{clips}", scenario);
        int maxShard = Data(scenario).Partition.Max(p => p.Length);
        var encoding = new SecAggEncoding(plain.First().Value.Delta.Length, SecAggExtraCoordinate.Weight, clipRange);
        long expected = plain.Values.Sum(u => (long)encoding.Encode(u.Delta, Math.Min(1.0, u.Examples * (1.0 / maxShard)))
            .Take(u.Delta.Length).Count(x => Math.Abs(x) > (float)clipRange));

        // Execute
        var status = await Run($"secagg-clipped-{clips}", scenario);

        // Assert
        Assert.Null(status.Error);
        Assert.Equal<double?>(expected, status.Reports.Single().Metric("secagg_clipped_coordinates"));
        if (clips) Assert.True(expected > plain.Count, $"only {expected} coordinates clipped");
        else Assert.Equal(0L, expected);
    }

    [Fact]
    public async Task Devices_vanishing_mid_protocol_are_recovered_and_the_sum_is_that_of_the_contributors()
    {
        // Prepare: dropouts at every stage; the first seed from 62 where a device vanishes after sharing its keys (the
        // server must rebuild its masking key and remove its pairwise masks) and one after sending its masked input.
        ScenarioSpec scenario;
        RoundPlan plan;
        Dictionary<long, SecAggStage> vanishing;
        ulong seed = 62;
        do
        {
            scenario = Scenario(seed++, dropout: 0.3);
            plan = RoundPlanner.Plan(1, scenario.Seed, scenario.Devices, 10, 0, scenario.Heterogeneity, ScenarioComposition.Profiles(scenario),
                _ => 1, new RoundWork(16, 1, 1, 1));
            vanishing = plan.Devices.Where(d => d.Outcome == DeviceOutcome.Dropped)
                .ToDictionary(d => d.Device, d => SecureAggregationRound.VanishingStage(scenario.Seed, 1, d.Device));
        } while (!vanishing.ContainsValue(SecAggStage.MaskedInputCollection) || !vanishing.ContainsValue(SecAggStage.Unmasking) || vanishing.Count > 4);
        var plain = await PlainUpdates("secagg-dropouts-plain", scenario);
        string id = CoordinatorInbox.Prefix + "secagg-dropouts";

        // Execute
        var status = await Run(id, scenario);
        var model = (await one.Cluster.GrainFactory.GetGrain<IExperimentGrain>(id).GetGlobalModelAsync()).Weights;

        // Assert: contributors are those that sent their masked input (vanishing before unmasking still counts).
        Assert.Null(status.Error);
        var contributors = plan.Devices.Where(d => d.Outcome == DeviceOutcome.Train || vanishing.GetValueOrDefault(d.Device) == SecAggStage.Unmasking)
            .Select(d => d.Device).ToList();
        int protocolDevices = plan.Devices.Count(d => d.Outcome == DeviceOutcome.Train || vanishing.TryGetValue(d.Device, out var s) && s != SecAggStage.AdvertiseKeys);
        var report = status.Reports.Single();
        Assert.Equal(contributors.Count, report.Participants);
        Assert.Equal(0.0, report.Metric("secagg_aborted"));
        Assert.Equal(ExpectedModel(scenario, plain, contributors, protocolDevices), model);
        Assert.Contains(report.AllFailures, f => f.Reason.Contains("before secure aggregation's masked input"));
    }

    [Fact]
    public async Task Too_many_dropouts_fail_the_round_clearly_and_keep_the_model()
    {
        // Prepare: most of the cohort vanishes, so fewer than a majority threshold remain.
        var scenario = Scenario(seed: 73, dropout: 0.85);
        string id = CoordinatorInbox.Prefix + "secagg-aborted";
        var global = ModelLayout.Initialize(Data(scenario).Model, Seeds.Derive(scenario.Seed, Seeds.None, Seeds.None, SeedPurpose.ModelInit));

        // Execute
        var status = await Run(id, scenario);
        var model = (await one.Cluster.GrainFactory.GetGrain<IExperimentGrain>(id).GetGlobalModelAsync()).Weights;

        // Assert
        Assert.Null(status.Error);
        var report = status.Reports.Single();
        Assert.Equal(0, report.Participants);
        Assert.True(report.Metric("secagg_aborted") == 1 || report.AllFailures.Any(f => f.Reason.Contains("cannot run")),
            string.Join("\n", report.AllFailures.Select(f => f.Reason)));
        Assert.Contains(report.AllFailures, f => f.Reason.Contains("secure aggregation") && f.Reason.Contains("the round keeps the model"));
        Assert.Equal(global, model);
    }

    [Fact]
    public async Task Dp_fedavg_over_secure_aggregation_matches_dp_fedavg_in_the_clear_up_to_quantization()
    {
        // Prepare: the same DP-FedAvg round with the server clipping in the clear, and with devices clipping and masking.
        ScenarioSpec Dp(bool secure)
        {
            var s = TestScenarios.SmallSynthetic(devices: 20, rounds: 2, seed: 84);
            s.Training.Sampling = new PoissonSamplingOptions { Rate = 0.4 };
            s.Privacy = new PrivacySpec
            {
                Delta = 1e-3,
                Central = new CentralDpSpec { NoiseMultiplier = 0.5, Clipping = new AdaptiveClippingOptions { InitialNorm = 0.3, CountNoiseStd = 1 } },
                SecureAggregation = secure ? new SecureAggregationSpec() : null,
            };
            return s;
        }

        // Execute
        var clear = await Run("dp-clear", Dp(secure: false));
        var secure = await Run("dp-secure", Dp(secure: true));
        var clearModel = (await one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("dp-clear").GetGlobalModelAsync()).Weights;
        var secureModel = (await one.Cluster.GrainFactory.GetGrain<IExperimentGrain>("dp-secure").GetGlobalModelAsync()).Weights;

        // Assert: same ε and clip norms; models within the quantization and clip-margin error.
        Assert.Null(secure.Error);
        Assert.Equal(clear.Reports.Select(r => r.Metric("epsilon")), secure.Reports.Select(r => r.Metric("epsilon")));
        Assert.Equal(clear.Reports.Select(r => r.Metric("unclipped_fraction")), secure.Reports.Select(r => r.Metric("unclipped_fraction")));
        double scale = clearModel.Max(v => Math.Abs(v));
        double diff = clearModel.Zip(secureModel).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(diff <= 1e-4 * scale, $"models differ by {diff:E2} (scale {scale:E2})");
        Assert.NotEqual(clearModel, secureModel); // the secure path really ran (it quantizes)
    }
}
