namespace FedSim.GrainInterfaces;

/// <summary>A silo's compute-pool counters, for reports and benchmarks.</summary>
/// <param name="GlobalModelUploads">Named global models copied to the compute device (the pool keeps each round's):
/// one per round per silo when the pool shares them as it should.</param>
public sealed record PoolMetrics(
    string Device, int Workers, int MaxCohortSize, long JobsCompleted, long CohortsRun, double MeanCohortSize,
    int QueueDepth, int MaxQueueDepth, double BusySeconds, long ResidentBytes, long PeakResidentBytes, long GlobalModelUploads);
