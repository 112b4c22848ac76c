using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using FedSim.Scenario;
using FedSim.GrainInterfaces;

namespace FedSim.Compute;

/// <summary>
/// The silo's shared compute pool: a dynamic batcher in front of the batched trainer.
/// <para>
/// Grains submit jobs and await them. Queued training jobs are grouped by (model key, plan key); a worker takes
/// the group of the oldest waiting job, lingers briefly for more compatible jobs when the cohort is not full,
/// and trains the cohort as one synchronous call on its own dedicated thread (TorchSharp dispose scopes and
/// no-grad state are thread-local, so tensor work never crosses an await). Results go back per job; completions
/// run continuations asynchronously, so no grain code ever runs on a pool thread.
/// </para>
/// <para>
/// The queue is bounded (<see cref="ComputePoolOptions.QueueCapacity"/>): further submitters wait without a thread.
/// Admission into cohorts is bounded by <see cref="ComputePoolOptions.MemoryBudgetBytes"/> of estimated resident
/// bytes (<see cref="ComputePoolMemory"/>); a job larger than the whole budget still runs, alone.
/// </para>
/// </summary>
public sealed class ComputePool : IComputePool, IDisposable
{
    private static readonly TimeSpan DefaultDisposeJoinTimeout = TimeSpan.FromSeconds(30);

    private readonly object _lock = new();
    private readonly Func<IReadOnlyList<TrainingJob>, TrainingResult[]> _trainCohort;
    private readonly Func<EvaluationJob, EvaluationResult> _evaluate;
    private readonly Func<ExampleOutputsJob, ExampleOutputs> _evaluateExamples;
    private readonly ILogger _logger;
    private readonly TimeSpan _disposeJoinTimeout;
    private readonly Thread[] _workers;
    private readonly long _lingerTicks;
    private readonly GlobalModelsOnDevice? _models;

    // Everything below is guarded by _lock.
    private readonly Dictionary<GroupKey, Group> _groups = new();
    private readonly LinkedList<PendingJob> _overflow = new(); // submitters waiting for room in the queue
    private long _nextSeq;
    private int _queued;
    private int _maxQueued;
    private long _resident;
    private long _peakResident;
    private long _jobsCompleted;
    private long _jobsFailed;
    private long _cohortsRun;
    private long _jobsInCohorts;
    private long _busyTicks;
    private bool _disposed;

    /// <summary>
    /// Creates the pool on the device <paramref name="options"/> resolve to (see <see cref="ComputePoolOptions.Resolve()"/>),
    /// training with <see cref="BatchedTrainer"/> and evaluating with <see cref="ModelEvaluator"/>.
    /// </summary>
    public ComputePool(ComputePoolOptions options, ILogger<ComputePool>? logger = null)
        : this(Bind(options), logger)
    {
    }

    private ComputePool(Binding binding, ILogger? logger)
        : this(binding.Options, jobs => BatchedTrainer.Train(jobs, binding.Device.Value, binding.Models, binding.Stopping.Token),
            job => EvaluateOn(binding.Device.Value, job), logger,
            evaluateExamples: job => EvaluateExamplesOn(binding.Device.Value, job), models: binding.Models, stopping: binding.Stopping)
    {
    }

    /// <summary>
    /// Test seam: the pool with its compute replaced. <paramref name="options"/> are resolved here ("auto" means cpu,
    /// no torch probe). <paramref name="disposeJoinTimeout"/> bounds how long <see cref="Dispose"/> waits for running cohorts.
    /// </summary>
    internal ComputePool(
        ComputePoolOptions options,
        Func<IReadOnlyList<TrainingJob>, TrainingResult[]> trainCohort,
        Func<EvaluationJob, EvaluationResult> evaluate,
        ILogger? logger = null,
        TimeSpan? disposeJoinTimeout = null,
        Func<ExampleOutputsJob, ExampleOutputs>? evaluateExamples = null,
        GlobalModelsOnDevice? models = null,
        CancellationTokenSource? stopping = null)
    {
        _models = models;
        _stopping = stopping;
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Resolve(cudaAvailable: string.Equals(options.Device?.Trim(), "cuda", StringComparison.OrdinalIgnoreCase));
        _trainCohort = trainCohort ?? throw new ArgumentNullException(nameof(trainCohort));
        _evaluate = evaluate ?? throw new ArgumentNullException(nameof(evaluate));
        _evaluateExamples = evaluateExamples ?? (job => ModelEvaluator.EvaluateExamples(job, torch.CPU));
        _logger = logger ?? NullLogger.Instance;
        _disposeJoinTimeout = disposeJoinTimeout ?? DefaultDisposeJoinTimeout;
        _lingerTicks = (long)(Options.LingerMilliseconds * Stopwatch.Frequency / 1000.0);

        _workers = new Thread[Options.Workers];
        for (int i = 0; i < _workers.Length; i++)
        {
            // Dedicated threads, not the thread pool: cohorts run for a long time and must never starve
            // the Orleans scheduler or the continuations of the grains that wait on them.
            _workers[i] = new Thread(WorkerLoop)
            {
                IsBackground = true,
                Name = $"FedSim.ComputePool.{Options.Device}.{i}",
            };
            _workers[i].Start();
        }
        ComputePoolLog.Started(_logger, Describe());
    }

    /// <summary>Raised on a pool thread after each training cohort ran (its size), for telemetry; keep handlers short.</summary>
    public event Action<int>? CohortTrained;

    /// <summary>The resolved options: device kind, worker count, cohort size and budget actually in use.</summary>
    public ComputePoolOptions Options { get; }

    /// <inheritdoc />
    public string DeviceName => Options.Device;

    /// <summary>Submitters currently waiting for room in the bounded queue (not counted in the queue depth).</summary>
    internal int WaitingForRoom
    {
        get { lock (_lock) return _overflow.Count; }
    }

    /// <summary>Jobs that ended with an exception from the trainer or evaluator.</summary>
    internal long JobsFailed
    {
        get { lock (_lock) return _jobsFailed; }
    }

    /// <summary>
    /// Trains <paramref name="job"/> as part of a cohort. Completes when the job's cohort has run; waits (without a
    /// thread) while the queue is full. A token cancelled before the job starts removes it from the queue and
    /// cancels the task; once the cohort has started, the job runs to completion.
    /// </summary>
    public Task<TrainingResult> TrainAsync(TrainingJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        int cohortLimit = job.Model.Kind == Models.ModelKinds.Cnn ? Options.ConvolutionCohortSize : Options.MaxCohortSize;
        var pending = new PendingTraining(job, ComputePoolMemory.EstimateBytes(job), cohortLimit);
        Submit(pending, cancellationToken);
        return pending.Completion.Task;
    }

    /// <summary>Evaluates weights on the pool's workers, as a cohort of its own (never batched with training).</summary>
    public Task<EvaluationResult> EvaluateAsync(EvaluationJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var pending = new PendingEvaluation(job, ComputePoolMemory.EstimateBytes(job));
        Submit(pending, cancellationToken);
        return pending.Completion.Task;
    }

    /// <summary>Per-example outputs of several weight sets on the pool's workers, as a cohort of its own (like evaluation).</summary>
    public Task<ExampleOutputs> EvaluateExamplesAsync(ExampleOutputsJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        long bytes = ComputePoolMemory.EstimateBytes(new EvaluationJob(job.Model, job.WeightSets.Count == 0 ? [] : job.WeightSets[0], job.Data, job.Indices))
                     * Math.Max(1, job.WeightSets.Count);
        var pending = new PendingExamples(job, bytes);
        Submit(pending, cancellationToken);
        return pending.Completion.Task;
    }

    /// <summary>
    /// Consistent counters: JobsCompleted counts training and evaluation jobs that succeeded; CohortsRun and
    /// MeanCohortSize count training cohorts only; QueueDepth excludes submitters still waiting for room;
    /// BusySeconds sums, over workers, the time spent inside the trainer and evaluator.
    /// </summary>
    public PoolMetrics Snapshot()
    {
        lock (_lock)
        {
            return new PoolMetrics(
                Device: DeviceName,
                Workers: Options.Workers,
                MaxCohortSize: Options.MaxCohortSize,
                JobsCompleted: _jobsCompleted,
                CohortsRun: _cohortsRun,
                MeanCohortSize: _cohortsRun == 0 ? 0 : (double)_jobsInCohorts / _cohortsRun,
                QueueDepth: _queued,
                MaxQueueDepth: _maxQueued,
                BusySeconds: (double)_busyTicks / Stopwatch.Frequency,
                ResidentBytes: _resident,
                PeakResidentBytes: _peakResident,
                GlobalModelUploads: _models?.Uploads ?? 0);
        }
    }

    /// <summary>One line for logs and reports: the settings the pool actually runs with.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"device={Options.Device}, workers={Options.Workers}, max cohort={Options.MaxCohortSize} (cnn {Options.ConvolutionCohortSize}), " +
        $"linger={Options.LingerMilliseconds:0.###} ms, queue capacity={Options.QueueCapacity}, " +
        $"memory budget={FormatBytes(Options.MemoryBudgetBytes)}");

    /// <summary>
    /// True once <see cref="Dispose"/> has seen every worker thread end. False after a dispose whose wait timed out:
    /// a cohort is still inside libtorch, so the process must not run libtorch's static destructors (exit normally)
    /// until it ends.
    /// </summary>
    public bool WorkersStopped { get; private set; }

    /// <summary>Cancelled by <see cref="Dispose"/>: the trainer stops a running cohort at its next step (a reference
    /// model of an audit trains for many epochs in one cohort, too long for a stop to wait for).</summary>
    private readonly CancellationTokenSource? _stopping;

    /// <summary>
    /// Faults every job that has not started (queued or waiting for room) with <see cref="ObjectDisposedException"/>,
    /// stops running training cohorts at their next step (their jobs fault the same way; a running evaluation
    /// finishes), and waits a bounded time for the workers to stop.
    /// </summary>
    public void Dispose()
    {
        List<PendingJob> abandoned = new();
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var group in _groups.Values) abandoned.AddRange(group.Jobs);
            abandoned.AddRange(_overflow);
            _groups.Clear();
            _overflow.Clear();
            _queued = 0;
            foreach (var p in abandoned)
            {
                p.State = JobState.Done; // a cancellation callback already in flight must find nothing to remove
                p.Node = null;
                p.Group = null;
                p.Detach();
            }
            Monitor.PulseAll(_lock);
        }

        var error = new ObjectDisposedException(nameof(ComputePool), "The compute pool was disposed before this job started.");
        foreach (var p in abandoned) p.TryFail(error);
        ComputePoolLog.Disposed(_logger, abandoned.Count);
        _stopping?.Cancel();

        bool stopped = true;
        foreach (var worker in _workers)
        {
            if (worker == Thread.CurrentThread)
            {
                stopped = false; // disposed from inside a cohort: cannot wait for ourselves
                continue;
            }
            if (!worker.Join(_disposeJoinTimeout))
            {
                stopped = false;
                ComputePoolLog.WorkerDidNotStop(_logger, worker.Name ?? "?", _disposeJoinTimeout.TotalSeconds);
            }
        }
        WorkersStopped = stopped;
        // A worker still inside a cohort may yet read the token; only stopped workers let it go.
        if (stopped) _stopping?.Dispose();
        // Safe even under a cohort still running: its leases hold their own reference to the storage.
        _models?.Dispose();
    }

    private void Submit(PendingJob pending, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            pending.TryCancel(cancellationToken);
            return;
        }

        bool disposed;
        lock (_lock)
        {
            disposed = _disposed;
            if (!disposed)
            {
                pending.Seq = _nextSeq++;
                // Jobs already waiting for room go first: FIFO across the overflow and the queue.
                if (_queued < Options.QueueCapacity && _overflow.Count == 0) EnqueueLocked(pending);
                else
                {
                    pending.Node = _overflow.AddLast(pending);
                    pending.State = JobState.Overflow;
                }
            }
        }
        if (disposed)
        {
            pending.TryFail(new ObjectDisposedException(nameof(ComputePool), "The compute pool has been disposed."));
            return;
        }

        if (cancellationToken.CanBeCanceled)
        {
            pending.AttachCancellation(cancellationToken.Register(
                static state =>
                {
                    var (pool, job, token) = ((ComputePool, PendingJob, CancellationToken))state!;
                    pool.CancelIfWaiting(job, token);
                },
                (this, pending, cancellationToken)));
        }
    }

    private void CancelIfWaiting(PendingJob pending, CancellationToken token)
    {
        lock (_lock)
        {
            switch (pending.State)
            {
                case JobState.Queued:
                    var group = pending.Group!;
                    group.Jobs.Remove(pending.Node!);
                    if (group.Jobs.Count == 0) _groups.Remove(group.Key);
                    _queued--;
                    PromoteOverflowLocked();
                    break;
                case JobState.Overflow:
                    _overflow.Remove(pending.Node!);
                    break;
                default:
                    return; // already running or finished: cancellation is only honoured before the start
            }
            pending.State = JobState.Done;
            pending.Node = null;
            pending.Group = null;
        }
        pending.TryCancel(token);
    }

    private void EnqueueLocked(PendingJob pending)
    {
        if (!_groups.TryGetValue(pending.Key, out var group))
        {
            group = new Group(pending.Key, pending.CohortLimit);
            _groups.Add(pending.Key, group);
        }
        pending.Group = group;
        pending.Node = group.Jobs.AddLast(pending);
        pending.State = JobState.Queued;
        _queued++;
        if (_queued > _maxQueued) _maxQueued = _queued;
        Monitor.PulseAll(_lock); // idle workers, and a worker lingering for this group
    }

    private void PromoteOverflowLocked()
    {
        while (_queued < Options.QueueCapacity && _overflow.First is { } node)
        {
            _overflow.RemoveFirst();
            EnqueueLocked(node.Value);
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            Cohort? cohort;
            lock (_lock) cohort = TakeCohortLocked();
            if (cohort is null) return;
            Run(cohort);
        }
    }

    /// <summary>Blocks (releasing the lock) until a cohort can be admitted; null once the pool is disposed.</summary>
    private Cohort? TakeCohortLocked()
    {
        Group? lingered = null; // the group whose linger deadline is running
        long lingerDeadline = 0;
        while (true)
        {
            if (_disposed) return null;

            var group = OldestUnclaimedGroupLocked();
            if (group is null)
            {
                Monitor.Wait(_lock);
                continue;
            }

            // Linger for more compatible jobs, unless the cohort is already full. The claim keeps other
            // workers from taking a half-filled cohort from under us; they serve the other groups meanwhile.
            // No point lingering while the queue is full: nothing new can arrive until a cohort is taken.
            if (group.Jobs.Count < group.Limit && _lingerTicks > 0 && _queued < Options.QueueCapacity)
            {
                long now = Stopwatch.GetTimestamp();
                if (lingered != group)
                {
                    lingered = group;
                    lingerDeadline = now + _lingerTicks;
                }
                long remaining = lingerDeadline - now;
                if (remaining > 0)
                {
                    group.Claimed = true;
                    Monitor.Wait(_lock, (int)Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency));
                    group.Claimed = false;
                    continue;
                }
            }

            // Memory admission. The first job may exceed the budget on its own only when nothing else is
            // resident, so an oversized job waits for the pool to drain and then runs alone (never deadlocks).
            long budget = Options.MemoryBudgetBytes;
            var first = group.Jobs.First!.Value;
            if (_resident > 0 && _resident + first.Bytes > budget)
            {
                Monitor.Wait(_lock); // a finishing cohort pulses
                continue;
            }

            var jobs = new List<PendingJob>(Math.Min(group.Limit, group.Jobs.Count));
            long bytes = 0;
            while (jobs.Count < group.Limit && group.Jobs.First is { } node)
            {
                var candidate = node.Value;
                if (jobs.Count > 0 && _resident + bytes + candidate.Bytes > budget) break;
                group.Jobs.RemoveFirst();
                candidate.State = JobState.Running;
                candidate.Node = null;
                candidate.Group = null;
                jobs.Add(candidate);
                bytes += candidate.Bytes;
            }
            if (group.Jobs.Count == 0) _groups.Remove(group.Key);

            _queued -= jobs.Count;
            _resident += bytes;
            if (_resident > _peakResident) _peakResident = _resident;
            PromoteOverflowLocked();
            // Other workers may have been idle only because this group was claimed while we lingered.
            if (_groups.Count > 0) Monitor.PulseAll(_lock);
            return new Cohort(jobs, bytes);
        }
    }

    private Group? OldestUnclaimedGroupLocked()
    {
        Group? oldest = null;
        foreach (var group in _groups.Values)
        {
            if (group.Claimed) continue;
            if (oldest is null || group.Jobs.First!.Value.Seq < oldest.Jobs.First!.Value.Seq) oldest = group;
        }
        return oldest;
    }

    /// <summary>Runs one cohort as one synchronous call on this worker thread, then routes results per job.</summary>
    private void Run(Cohort cohort)
    {
        var jobs = cohort.Jobs;
        TrainingResult[]? results = null;
        EvaluationResult? evaluation = null;
        ExampleOutputs? examples = null;
        Exception? error = null;
        long start = Stopwatch.GetTimestamp();
        try
        {
            if (jobs[0] is PendingEvaluation pe)
            {
                evaluation = _evaluate(pe.Job) ?? throw new InvalidOperationException("the evaluator returned no result");
            }
            else if (jobs[0] is PendingExamples px)
            {
                using var noGrad = torch.no_grad();
                examples = _evaluateExamples(px.Job) ?? throw new InvalidOperationException("the evaluator returned no per-example outputs");
            }
            else
            {
                var batch = new TrainingJob[jobs.Count];
                for (int i = 0; i < batch.Length; i++) batch[i] = ((PendingTraining)jobs[i]).Job;
                results = _trainCohort(batch);
                if (results is null || results.Length != batch.Length)
                    throw new InvalidOperationException(
                        $"the trainer returned {results?.Length ?? 0} result(s) for a cohort of {batch.Length} job(s)");
                for (int i = 0; i < results.Length; i++)
                    if (results[i] is null)
                        throw new InvalidOperationException($"the trainer returned no result for device {batch[i].DeviceId}");
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }
        long elapsed = Stopwatch.GetTimestamp() - start;

        lock (_lock)
        {
            _resident -= cohort.Bytes;
            _busyTicks += elapsed;
            if (jobs[0] is PendingTraining)
            {
                _cohortsRun++;
                _jobsInCohorts += jobs.Count;
            }
            if (error is null) _jobsCompleted += jobs.Count;
            else _jobsFailed += jobs.Count;
            foreach (var p in jobs) p.State = JobState.Done;
            Monitor.PulseAll(_lock); // memory was released: workers waiting for admission may go
        }

        if (evaluation is null && jobs[0] is PendingTraining) CohortTrained?.Invoke(jobs.Count);
        if (error is null)
        {
            if (evaluation is not null) ((PendingEvaluation)jobs[0]).TrySetResult(evaluation);
            else if (examples is not null) ((PendingExamples)jobs[0]).TrySetResult(examples);
            else for (int i = 0; i < jobs.Count; i++) ((PendingTraining)jobs[i]).TrySetResult(results![i]);
            return;
        }

        if (error is OperationCanceledException && _stopping is { IsCancellationRequested: true })
        {
            // Stopped by Dispose mid-cohort: the same news as a job the disposal found waiting, not a compute failure.
            var stopped = new ObjectDisposedException(nameof(ComputePool), "The compute pool was disposed while this job trained.");
            foreach (var p in jobs) p.TryFail(stopped);
            return;
        }
        var failure = DescribeFailure(jobs, error);
        try
        {
            ComputePoolLog.CohortFailed(_logger, error, jobs.Count, DeviceName, ComputeCohortException.FormatIds(failure.DeviceIds));
        }
        catch
        {
            // A broken logger must not leave the cohort's callers waiting forever.
        }
        foreach (var p in jobs) p.TryFail(failure);
    }

    private ComputeCohortException DescribeFailure(List<PendingJob> jobs, Exception error)
    {
        if (jobs[0] is PendingExamples px)
        {
            return new ComputeCohortException(
                $"Per-example evaluation of {px.Job.WeightSets.Count} weight set(s) of model {px.Job.Model.Key} on dataset '{px.Job.Data.Name}' failed on {DeviceName}: {error.Message}",
                Array.Empty<long>(), error);
        }
        if (jobs[0] is PendingEvaluation pe)
        {
            return new ComputeCohortException(
                $"Evaluation of model {pe.Job.Model.Key} on dataset '{pe.Job.Data.Name}' failed on {DeviceName}: {error.Message}",
                Array.Empty<long>(), error);
        }
        var first = ((PendingTraining)jobs[0]).Job;
        var ids = jobs.Select(p => ((PendingTraining)p).Job.DeviceId).ToArray();
        return new ComputeCohortException(
            $"Local training failed on {DeviceName} for a cohort of {ids.Length} device(s) " +
            $"[{ComputeCohortException.FormatIds(ids)}] (model {first.Model.Key}; plan {first.Plan}): {error.Message}",
            ids, error);
    }

    private static EvaluationResult EvaluateOn(torch.Device device, EvaluationJob job)
    {
        // No-grad state is thread-local; set it on the worker thread that runs the evaluation. Evaluation is fp32 in every
        // precision mode (on CUDA it waits for TF32 cohorts to finish: the setting is the process's).
        using var noGrad = torch.no_grad();
        using var fp32 = Autocast.Enter(Training.Precisions.Fp32, device);
        return ModelEvaluator.Evaluate(job, device);
    }

    private static ExampleOutputs EvaluateExamplesOn(torch.Device device, ExampleOutputsJob job)
    {
        using var fp32 = Autocast.Enter(Training.Precisions.Fp32, device);
        return ModelEvaluator.EvaluateExamples(job, device);
    }

    private static Binding Bind(ComputePoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var resolved = options.Resolve();
        // Created on first use, on a worker: a cpu pool does not load libtorch until it has work.
        return new Binding(resolved, new Lazy<torch.Device>(() => TorchDevices.Resolve(resolved.Device)), new GlobalModelsOnDevice(),
            new CancellationTokenSource());
    }

    internal static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.##} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.##} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.##} KiB"),
        _ => $"{bytes} B",
    };

    private sealed record Binding(ComputePoolOptions Options, Lazy<torch.Device> Device, GlobalModelsOnDevice Models, CancellationTokenSource Stopping);

    // Plans compare by value (modifiers included), so equal plans share a group without a hand-built key.
    private readonly record struct GroupKey(bool Evaluation, string Model, Training.TrainingPlan? Plan);

    private sealed class Group(GroupKey key, int limit)
    {
        public GroupKey Key { get; } = key;
        public int Limit { get; } = limit;
        /// <summary>Jobs in arrival order.</summary>
        public LinkedList<PendingJob> Jobs { get; } = new();
        /// <summary>A worker is lingering on this group; others leave it alone.</summary>
        public bool Claimed { get; set; }
    }

    private sealed record Cohort(List<PendingJob> Jobs, long Bytes);

    private enum JobState { New, Overflow, Queued, Running, Done }

    /// <summary>A submitted job and its completion. Fields other than the registration are guarded by the pool's lock.</summary>
    private abstract class PendingJob(GroupKey key, long bytes, int cohortLimit)
    {
        private StrongBox<CancellationTokenRegistration>? _registration;

        public GroupKey Key { get; } = key;
        public long Bytes { get; } = bytes;
        public int CohortLimit { get; } = cohortLimit;
        public long Seq { get; set; }
        public JobState State { get; set; }
        public Group? Group { get; set; }
        public LinkedListNode<PendingJob>? Node { get; set; }

        protected abstract Task Task { get; }

        public abstract void TryFail(Exception error);

        public abstract void TryCancel(CancellationToken token);

        /// <summary>Keeps the token registration until the job completes; never leaks one past completion.</summary>
        public void AttachCancellation(CancellationTokenRegistration registration)
        {
            Volatile.Write(ref _registration, new StrongBox<CancellationTokenRegistration>(registration));
            if (Task.IsCompleted) registration.Unregister();
        }

        /// <summary>Drops the token registration without waiting for a running callback (safe under the lock).</summary>
        public void Detach() => Volatile.Read(ref _registration)?.Value.Unregister();

        protected void Completed() => Detach();
    }

    /// <summary>A queued job with its typed result; continuations run asynchronously, never inline on a pool thread.</summary>
    private abstract class PendingJob<TJob, TResult>(TJob job, GroupKey key, long bytes, int cohortLimit)
        : PendingJob(key, bytes, cohortLimit)
    {
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TJob Job { get; } = job;
        protected override Task Task => Completion.Task;

        public void TrySetResult(TResult result)
        {
            Completion.TrySetResult(result);
            Completed();
        }

        public override void TryFail(Exception error)
        {
            Completion.TrySetException(error);
            Completed();
        }

        public override void TryCancel(CancellationToken token)
        {
            Completion.TrySetCanceled(token);
            Completed();
        }
    }

    private sealed class PendingTraining(TrainingJob job, long bytes, int cohortLimit)
        : PendingJob<TrainingJob, TrainingResult>(job, new GroupKey(false, job.Model.Key, job.Plan), bytes, cohortLimit);

    private sealed class PendingEvaluation(EvaluationJob job, long bytes)
        : PendingJob<EvaluationJob, EvaluationResult>(job, new GroupKey(true, "", null), bytes, cohortLimit: 1);

    private sealed class PendingExamples(ExampleOutputsJob job, long bytes)
        : PendingJob<ExampleOutputsJob, ExampleOutputs>(job, new GroupKey(true, "examples", null), bytes, cohortLimit: 1);
}
