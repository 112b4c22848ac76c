using FedSim.Coordination;
using FedSim.Silo.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace FedSim.Tests.Storage;

public sealed class FolderGrainStorageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedsim-storage-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(ExperimentCheckpoint).Assembly)).BuildServiceProvider();

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private FolderGrainStorage Storage() => new(_dir, _services.GetRequiredService<Serializer>());

    private static readonly GrainId Grain = GrainId.Create("experiment", "quickstart-1-abc/def");

    [Fact]
    public async Task A_written_checkpoint_reads_back_in_a_new_storage_instance()
    {
        // Prepare
        var state = new GrainState<ExperimentCheckpoint>(new ExperimentCheckpoint { CompletedRounds = 7, Weights = [1f, -2.5f] });
        state.State!.ServerVectors["optimizer.m"] = [0.25f];

        // Execute: write with one instance, read with another (a new process would).
        await Storage().WriteStateAsync("experiment", Grain, state);
        var read = new GrainState<ExperimentCheckpoint>();
        await Storage().ReadStateAsync("experiment", Grain, read);

        // Assert
        Assert.True(read.RecordExists);
        Assert.Equal("1", read.ETag);
        Assert.Equal(7, read.State!.CompletedRounds);
        Assert.Equal([1f, -2.5f], read.State.Weights!);
        Assert.Equal([0.25f], read.State.ServerVectors["optimizer.m"]);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused()
    {
        var storage = Storage();
        var first = new GrainState<ExperimentCheckpoint>(new ExperimentCheckpoint());
        await storage.WriteStateAsync("experiment", Grain, first);
        var stale = new GrainState<ExperimentCheckpoint>(new ExperimentCheckpoint()) { ETag = null };

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("experiment", Grain, stale));
        await storage.WriteStateAsync("experiment", Grain, first); // the holder of the current ETag may write
        Assert.Equal("2", first.ETag);
    }

    [Fact]
    public async Task A_missing_state_reads_as_a_fresh_default_and_clear_removes_it()
    {
        var storage = Storage();
        var state = new GrainState<ExperimentCheckpoint>();

        await storage.ReadStateAsync("experiment", Grain, state);
        Assert.False(state.RecordExists);
        Assert.NotNull(state.State);

        await storage.WriteStateAsync("experiment", Grain, state);
        await storage.ClearStateAsync("experiment", Grain, state);
        var again = new GrainState<ExperimentCheckpoint>();
        await storage.ReadStateAsync("experiment", Grain, again);
        Assert.False(again.RecordExists);
    }

    [Fact]
    public void Grain_keys_with_slashes_map_to_distinct_safe_file_names()
    {
        var storage = Storage();

        string a = storage.PathOf("device", GrainId.Create("device", "run/1"));
        string b = storage.PathOf("device", GrainId.Create("device", "run_1"));

        Assert.NotEqual(a, b);
        Assert.StartsWith(Path.Combine(_dir, "device"), a);
        Assert.DoesNotContain("/1-", a[(_dir.Length + 1)..].Split(Path.DirectorySeparatorChar)[^1]);
    }
}
