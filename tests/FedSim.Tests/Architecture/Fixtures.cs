using FedSim.Strategies;
using Orleans;
using Orleans.Concurrency;
using TorchSharp;

// Test-only types that break (or keep) the purity rule, for the scanner's negative checks. They live outside the
// pure namespaces so the real scan never sees them.
namespace FedSim.Tests.Architecture.Fixtures;

internal sealed class AggregatorWithTensorField : IAggregator
{
    private readonly torch.Tensor? _scratch = null;

    public AggregationResult Aggregate(AggregationInput input) => _scratch is null ? AggregationResult.Nothing : AggregationResult.Nothing;
}

internal sealed class AggregatorCallingTorch : IAggregator
{
    public AggregationResult Aggregate(AggregationInput input)
    {
        if (input.Results.Count > 1_000_000) torch.manual_seed(1); // never runs in the tests; the scan reads the IL
        return AggregationResult.Nothing;
    }
}

[StatelessWorker]
internal sealed class StageUsingTheGrainFactory
{
    public Task RunAsync(IGrainFactory factory) => Task.CompletedTask;
}

[GenerateSerializer, Immutable, Alias("fixture.options")]
internal sealed class SerializableOptionsFixture
{
    [Id(0)] public double Beta { get; set; }
}
