using FedSim.Training;
using FedSim.Compute;
using FedSim.Data;
using FedSim.Models;

namespace FedSim.Tests.Compute;

/// <summary>Jobs and a controllable fake trainer for compute pool tests (no torch involved).</summary>
internal static class PoolJobs
{
    public static readonly Dataset Tiny = new("tiny", new float[8], new int[4], featureCount: 2, classCount: 2);
    public static readonly ModelSpec Mlp = new("mlp", 2, 2, [4], null, [], 0);

    public static TrainingPlan Plan(string optimizer = "sgd", float learningRate = 0.1f) =>
        new(optimizer, learningRate, 0f, 2, 1);

    public static TrainingJob Job(long deviceId, TrainingPlan? plan = null, int parameters = 22) =>
        new(deviceId, Mlp, plan ?? Plan(), new float[parameters], new ShardView(Tiny, [0, 1, 2, 3]), (ulong)deviceId);

    public static EvaluationJob Evaluation() => new(Mlp, new float[22], Tiny);

    public static ComputePoolOptions Options(int workers = 1, int maxCohort = 4, double lingerMs = 0,
        int capacity = 4096, long budget = 1L << 30) =>
        new("cpu", workers, maxCohort, lingerMs, capacity, budget);

    /// <summary>Polls a condition the pool reaches on its own (no duration is asserted; the timeout only stops a hang).</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never reached: {what}");
            await Task.Delay(2);
        }
    }

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(5));

    public static Task Within(this Task task) => task.WaitAsync(TimeSpan.FromSeconds(5));
}

/// <summary>One call of the fake trainer, as the pool made it.</summary>
internal sealed record RecordedCohort(long[] DeviceIds, string[] PlanKeys, int ThreadId, string? ThreadName, bool OnThreadPool);

/// <summary>
/// Stands in for the batched trainer: records every cohort and the thread it ran on, and (while closed) holds each
/// cohort until the test releases it, so tests control the pool with gates instead of timing.
/// Result for device d: Delta = [d], Examples = d.
/// </summary>
internal sealed class FakeTrainer
{
    private readonly object _lock = new();
    private readonly List<RecordedCohort> _cohorts = new();
    private readonly SemaphoreSlim _started = new(0);
    private readonly SemaphoreSlim _release = new(0);
    private volatile bool _open;
    private int _running;
    private long _runningBytes;

    public FakeTrainer(bool blocking = false) => _open = !blocking;

    /// <summary>Decides a cohort's fate after it is released: an exception to throw, or null.</summary>
    public Func<IReadOnlyList<TrainingJob>, Exception?>? Fault { get; set; }

    /// <summary>Replaces the normal results (e.g. to return a malformed answer).</summary>
    public Func<IReadOnlyList<TrainingJob>, TrainingResult[]>? Results { get; set; }

    public int MaxRunning { get; private set; }
    public long MaxRunningBytes { get; private set; }

    public IReadOnlyList<RecordedCohort> Cohorts
    {
        get { lock (_lock) return _cohorts.ToArray(); }
    }

    public TrainingResult[] Train(IReadOnlyList<TrainingJob> jobs)
    {
        long bytes = jobs.Sum(ComputePoolMemory.EstimateBytes);
        lock (_lock)
        {
            _cohorts.Add(new RecordedCohort(
                jobs.Select(j => j.DeviceId).ToArray(), jobs.Select(j => j.Plan.ToString()).ToArray(),
                Environment.CurrentManagedThreadId, Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
            _running++;
            _runningBytes += bytes;
            MaxRunning = Math.Max(MaxRunning, _running);
            MaxRunningBytes = Math.Max(MaxRunningBytes, _runningBytes);
        }
        _started.Release();
        try
        {
            if (!_open && !_release.Wait(TimeSpan.FromSeconds(10)))
                throw new TimeoutException("the test never released this cohort");
            Thread.Sleep(1); // some measurable busy time
            if (Fault?.Invoke(jobs) is { } error) throw error;
            return Results?.Invoke(jobs)
                ?? jobs.Select(j => new TrainingResult([j.DeviceId], (int)j.DeviceId, 1, 0.5f)).ToArray();
        }
        finally
        {
            lock (_lock)
            {
                _running--;
                _runningBytes -= bytes;
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> more cohorts have entered the trainer.</summary>
    public async Task WaitStartedAsync(int count = 1)
    {
        for (int i = 0; i < count; i++)
            if (!await _started.WaitAsync(TimeSpan.FromSeconds(5)))
                throw new TimeoutException("no cohort reached the trainer");
    }

    public void Release(int cohorts = 1) => _release.Release(cohorts);

    /// <summary>Lets every held and future cohort through.</summary>
    public void Open()
    {
        _open = true;
        _release.Release(10_000);
    }
}
