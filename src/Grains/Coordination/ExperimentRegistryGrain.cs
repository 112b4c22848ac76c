using FedSim.GrainInterfaces;
using FedSim.Persistence;

namespace FedSim.Coordination;

/// <summary>The cluster's list of experiments (see <see cref="IExperimentRegistryGrain"/>), kept with the checkpoints.</summary>
public sealed class ExperimentRegistryGrain(
    [PersistentState("registry", FedSimStorage.Checkpoints)] IPersistentState<ExperimentRegistryState> state) : Grain, IExperimentRegistryGrain
{
    public async Task AddAsync(ExperimentEntry entry)
    {
        if (state.State.Entries.Any(e => e.ExperimentId == entry.ExperimentId)) return;
        state.State.Entries.Add(entry);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<ExperimentEntry>> ListAsync() => Task.FromResult<IReadOnlyList<ExperimentEntry>>(state.State.Entries.ToArray());
}

/// <summary>The registry's stored list, oldest first.</summary>
[GenerateSerializer]
public sealed class ExperimentRegistryState
{
    [Id(0)] public List<ExperimentEntry> Entries { get; set; } = [];
}
