namespace FedSim.Rounds;

/// <summary>A named per-round figure some stage computed (aggregator choices, backdoor accuracy); null: not measured this round.</summary>
[GenerateSerializer, Immutable]
public sealed record RoundMetric([property: Id(0)] string Name, [property: Id(1)] double? Value);
