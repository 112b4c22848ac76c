using System.Diagnostics.Metrics;
using FedSim.Compute;

namespace FedSim.Telemetry;

/// <summary>
/// The silo's FedSim figures, as counters the tests read and as OpenTelemetry instruments on the <see cref="MeterName"/>
/// meter (exported beside Orleans' own by whatever the host configures: Prometheus, OTLP): rounds, updates and
/// failures, traffic, devices trained, coordinators resumed, the compute pool's queue depth, cohort sizes and model uploads.
/// </summary>
public sealed class SiloMetrics : IDisposable
{
    /// <summary>The meter's name, to add to an OpenTelemetry metrics pipeline.</summary>
    public const string MeterName = "FedSim";

    private readonly Meter _meter;
    private readonly Counter<long> _rounds, _updates, _failures, _bytesSent, _bytesReceived, _devicesTrained, _resumes;
    private readonly Histogram<double> _roundSeconds;
    private readonly Histogram<int> _cohortSizes;
    private long _deviceActivations;
    private long _experimentResumes;

    public SiloMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _rounds = _meter.CreateCounter<long>("fedsim.rounds.completed", "{round}", "Rounds completed by the coordinators on this silo.");
        _updates = _meter.CreateCounter<long>("fedsim.updates.received", "{update}", "Device updates that reached aggregation.");
        _failures = _meter.CreateCounter<long>("fedsim.updates.failed", "{device}", "Sampled devices without a usable update (failed, dropped, late, surplus).");
        _bytesSent = _meter.CreateCounter<long>("fedsim.bytes.sent", "By", "Simulated server-to-device traffic (model and broadcast vectors).");
        _bytesReceived = _meter.CreateCounter<long>("fedsim.bytes.received", "By", "Simulated device-to-server traffic (updates and extras).");
        _devicesTrained = _meter.CreateCounter<long>("fedsim.devices.trained", "{device}", "Local trainings run by devices on this silo.");
        _resumes = _meter.CreateCounter<long>("fedsim.experiments.resumed", "{experiment}", "Coordinator activations that resumed from a checkpoint.");
        _roundSeconds = _meter.CreateHistogram<double>("fedsim.round.duration", "s", "Wall time of a round, from assignment to checkpoint.");
        _cohortSizes = _meter.CreateHistogram<int>("fedsim.pool.cohort_size", "{job}", "Jobs trained together as one cohort by the compute pool.");
    }

    public long DeviceActivations => Interlocked.Read(ref _deviceActivations);

    /// <summary>Coordinator activations that found an unfinished checkpoint and resumed from it.</summary>
    public long ExperimentResumes => Interlocked.Read(ref _experimentResumes);

    /// <summary>Publishes the pool's queue depth and cohort sizes (called once, where the silo builds its pool).</summary>
    public void Observe(IComputePool pool)
    {
        _meter.CreateObservableGauge("fedsim.pool.queue_depth", () => pool.Snapshot().QueueDepth, "{job}",
            "Training and evaluation jobs waiting in the compute pool.");
        _meter.CreateObservableCounter("fedsim.pool.model_uploads", () => pool.Snapshot().GlobalModelUploads, "{model}",
            "Global models copied to the compute device: one per round when the silo's devices share it.");
        if (pool is ComputePool concrete) concrete.CohortTrained += size => _cohortSizes.Record(size);
    }

    internal void DeviceActivated() => Interlocked.Increment(ref _deviceActivations);

    internal void DeviceTrained() => _devicesTrained.Add(1);

    internal void ExperimentResumed()
    {
        Interlocked.Increment(ref _experimentResumes);
        _resumes.Add(1);
    }

    internal void RoundCompleted(GrainInterfaces.RoundReport report)
    {
        _rounds.Add(1);
        _updates.Add(report.Participants);
        _failures.Add(report.AllFailures.Count);
        _bytesSent.Add(report.BytesSent);
        _bytesReceived.Add(report.BytesReceived);
        _roundSeconds.Record(report.WallSeconds);
    }

    public void Dispose() => _meter.Dispose();
}
