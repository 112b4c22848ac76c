using FedSim.Compute;
using FedSim.Silo;
using Orleans.TestingHost;

namespace FedSim.ClusterTests;

/// <summary>Silo wiring for test clusters: FedSim's services on CPU with a small cohort size.</summary>
public sealed class FedSimTestSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
        => siloBuilder.AddFedSimSilo(o => o.Compute = new ComputePoolOptions(Device: "cpu", MaxCohortSize: 8))
            .AddIncomingGrainCallFilter<CoordinatorInbox>();
}

/// <summary>An in-process Orleans cluster of <c>siloCount</c> silos running FedSim.</summary>
public abstract class FedSimClusterFixture(short siloCount) : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(siloCount);
        builder.AddSiloBuilderConfigurator<FedSimTestSiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

public sealed class OneSiloCluster() : FedSimClusterFixture(1);

public sealed class TwoSiloCluster() : FedSimClusterFixture(2);

[CollectionDefinition(nameof(OneSiloCollection))]
public sealed class OneSiloCollection : ICollectionFixture<OneSiloCluster>;

[CollectionDefinition(nameof(TwoSiloCollection))]
public sealed class TwoSiloCollection : ICollectionFixture<TwoSiloCluster>;
