using FedSim.Compute;
using static FedSim.Tests.Compute.PoolJobs;
using FedSim.Models;

namespace FedSim.Tests.Compute;

public class ComputePoolTests
{
    private static ComputePool Pool(ComputePoolOptions options, FakeTrainer trainer,
        Func<EvaluationJob, EvaluationResult>? evaluate = null) =>
        new(options, trainer.Train, evaluate ?? (_ => new EvaluationResult(1, 0, 0)), disposeJoinTimeout: TimeSpan.FromSeconds(5));

    [Fact]
    public async Task Training_runs_on_a_dedicated_pool_thread_and_callers_resume_elsewhere()
    {
        // Prepare
        var trainer = new FakeTrainer();
        using var pool = Pool(Options(), trainer);
        int submitter = Environment.CurrentManagedThreadId;

        // Execute
        // ConfigureAwait(false) is the point: the caller must resume on the thread pool, never on the pool's worker.
#pragma warning disable xUnit1030
        var result = await pool.TrainAsync(Job(7)).Within().ConfigureAwait(false);
#pragma warning restore xUnit1030
        int resumedOn = Environment.CurrentManagedThreadId;

        // Assert
        var cohort = Assert.Single(trainer.Cohorts);
        Assert.Equal(7, result.Examples);
        Assert.NotEqual(submitter, cohort.ThreadId);
        Assert.False(cohort.OnThreadPool);
        Assert.StartsWith("FedSim.ComputePool.cpu.", cohort.ThreadName);
        Assert.NotEqual(cohort.ThreadId, resumedOn); // continuations never run inline on the worker
    }

    [Fact]
    public async Task Cnn_jobs_use_the_convolution_cohort_size()
    {
        // Prepare: cohorts of 4 for dense models, 1 for CNNs (the CPU default); the worker is held while jobs queue.
        var trainer = new FakeTrainer(blocking: true);
        using var pool = Pool(Options(workers: 1, maxCohort: 4) with { ConvolutionCohortSize = 1 }, trainer);
        var cnn = new ModelSpec("cnn", 16, 2, [], new FedSim.Data.ImageShape(1, 4, 4), [2, 2], 4);
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var queued = Enumerable.Range(1, 3).Select(id => pool.TrainAsync(Job(id) with { Model = cnn })).ToArray();

        // Execute
        trainer.Open();
        await Task.WhenAll(queued.Append(blocker)).Within();

        // Assert
        Assert.Equal(new[] { new long[] { 0 }, [1], [2], [3] }, trainer.Cohorts.Select(c => c.DeviceIds).ToArray());
    }

    [Fact]
    public async Task Queued_compatible_jobs_are_trained_together_up_to_the_max_cohort_size()
    {
        // Prepare: the only worker is held on a first job while ten more queue up.
        var trainer = new FakeTrainer(blocking: true);
        using var pool = Pool(Options(workers: 1, maxCohort: 4), trainer);
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var queued = Enumerable.Range(1, 10).Select(id => pool.TrainAsync(Job(id))).ToArray();

        // Execute
        trainer.Open();
        await Task.WhenAll(queued.Append(blocker)).Within();

        // Assert
        Assert.Equal(new[] { new long[] { 0 }, [1, 2, 3, 4], [5, 6, 7, 8], [9, 10] },
            trainer.Cohorts.Select(c => c.DeviceIds).ToArray());
        var metrics = pool.Snapshot();
        Assert.Equal(11, metrics.JobsCompleted);
        Assert.Equal(4, metrics.CohortsRun);
        Assert.Equal(11 / 4.0, metrics.MeanCohortSize, 9);
        Assert.Equal(10, metrics.MaxQueueDepth);
        Assert.Equal(0, metrics.QueueDepth);
        Assert.True(metrics.BusySeconds > 0);
        Assert.Equal(0, metrics.ResidentBytes);
        Assert.Equal(4 * ComputePoolMemory.EstimateBytes(Job(1)), metrics.PeakResidentBytes);
    }

    [Fact]
    public async Task Jobs_with_different_plans_never_share_a_cohort_and_groups_keep_queue_order()
    {
        // Prepare: interleave two plans behind a held blocker.
        var trainer = new FakeTrainer(blocking: true);
        using var pool = Pool(Options(workers: 1, maxCohort: 4), trainer);
        var slow = Plan(learningRate: 0.01f);
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var tasks = new List<Task<TrainingResult>>();
        for (int i = 1; i <= 6; i++)
        {
            tasks.Add(pool.TrainAsync(Job(i)));
            tasks.Add(pool.TrainAsync(Job(100 + i, slow)));
        }

        // Execute
        trainer.Open();
        await Task.WhenAll(tasks.Append(blocker)).Within();

        // Assert: each cohort is one plan; the oldest waiting job's group always goes next.
        var cohorts = trainer.Cohorts;
        Assert.All(cohorts, c => Assert.Single(c.PlanKeys.Distinct()));
        Assert.Equal(new[] { new long[] { 0 }, [1, 2, 3, 4], [101, 102, 103, 104], [5, 6], [105, 106] },
            cohorts.Select(c => c.DeviceIds).ToArray());
    }

    [Fact]
    public async Task Each_caller_receives_the_result_for_its_own_device()
    {
        // Prepare
        var trainer = new FakeTrainer();
        using var pool = Pool(Options(workers: 2, maxCohort: 8, lingerMs: 1), trainer);

        // Execute: many concurrent submitters, from thread-pool threads.
        var calls = Enumerable.Range(1, 300)
            .Select(id => Task.Run(async () => (id, result: await pool.TrainAsync(Job(id)))))
            .ToArray();
        var answers = await Task.WhenAll(calls).Within();

        // Assert
        Assert.All(answers, a => Assert.Equal(a.id, a.result.Delta.Single()));
        Assert.All(trainer.Cohorts, c => Assert.InRange(c.DeviceIds.Length, 1, 8));
        Assert.Equal(300, trainer.Cohorts.Sum(c => c.DeviceIds.Length));
        Assert.Equal(300, pool.Snapshot().JobsCompleted);
    }

    [Fact]
    public async Task A_worker_lingers_for_a_full_cohort_and_starts_as_soon_as_it_is_full()
    {
        // Prepare: a linger far longer than the test may take; only a full cohort can start early.
        var trainer = new FakeTrainer();
        using var pool = Pool(Options(workers: 1, maxCohort: 4, lingerMs: 60_000), trainer);

        // Execute
        var tasks = Enumerable.Range(1, 4).Select(id => pool.TrainAsync(Job(id))).ToArray();
        await Task.WhenAll(tasks).Within();

        // Assert
        Assert.Equal(new long[] { 1, 2, 3, 4 }, Assert.Single(trainer.Cohorts).DeviceIds);
    }

    [Fact]
    public async Task A_partial_cohort_starts_when_the_linger_expires()
    {
        // Prepare
        var trainer = new FakeTrainer();
        using var pool = Pool(Options(workers: 1, maxCohort: 4, lingerMs: 10), trainer);

        // Execute
        var result = await pool.TrainAsync(Job(3)).Within();

        // Assert
        Assert.Equal(3, result.Examples);
        Assert.Equal(new long[] { 3 }, Assert.Single(trainer.Cohorts).DeviceIds);
    }

    [Fact]
    public async Task A_full_queue_makes_submitters_wait_without_a_thread_and_depth_never_exceeds_capacity()
    {
        // Prepare: the worker is held, the queue holds 8.
        var trainer = new FakeTrainer(blocking: true);
        using var pool = Pool(Options(workers: 1, maxCohort: 16, capacity: 8), trainer);
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();

        // Execute: 2,000 submissions return at once (nothing blocks this thread) while the pool holds only 8.
        var tasks = Enumerable.Range(1, 2000).Select(id => pool.TrainAsync(Job(id))).ToArray();
        var whileFull = pool.Snapshot();
        int waiting = pool.WaitingForRoom;
        bool anyDone = tasks.Any(t => t.IsCompleted);
        trainer.Open();
        var results = await Task.WhenAll(tasks).Within();
        await blocker.Within();

        // Assert
        Assert.Equal(8, whileFull.QueueDepth);
        Assert.Equal(1992, waiting);
        Assert.False(anyDone);
        var metrics = pool.Snapshot();
        Assert.Equal(8, metrics.MaxQueueDepth);
        Assert.Equal(2001, metrics.JobsCompleted);
        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (float)i), results.Select(r => r.Delta.Single()));
        // Jobs that waited for room keep their submission order, and no cohort exceeds the queue that fed it.
        var order = trainer.Cohorts.SelectMany(c => c.DeviceIds).ToArray();
        Assert.Equal(Enumerable.Range(0, 2001).Select(i => (long)i), order);
        Assert.All(trainer.Cohorts, c => Assert.InRange(c.DeviceIds.Length, 1, 8));
    }

    [Fact]
    public async Task The_memory_budget_bounds_the_bytes_of_concurrently_admitted_jobs()
    {
        // Prepare: four workers, but memory for three jobs only.
        long jobBytes = ComputePoolMemory.EstimateBytes(Job(1));
        long budget = 3 * jobBytes;
        var trainer = new FakeTrainer(blocking: true);
        using var pool = Pool(Options(workers: 4, maxCohort: 2, budget: budget), trainer);

        // Execute
        var tasks = Enumerable.Range(1, 12).Select(id => pool.TrainAsync(Job(id))).ToArray();
        await Eventually(() => pool.Snapshot().ResidentBytes == budget, "three jobs admitted");
        var full = pool.Snapshot();
        trainer.Open();
        await Task.WhenAll(tasks).Within();

        // Assert
        Assert.Equal(9, full.QueueDepth);
        Assert.True(trainer.MaxRunningBytes <= budget, $"{trainer.MaxRunningBytes} bytes ran at once, budget {budget}");
        Assert.Equal(budget, pool.Snapshot().PeakResidentBytes);
        Assert.Equal(12, pool.Snapshot().JobsCompleted);
    }

    [Fact]
    public async Task A_job_larger_than_the_whole_budget_still_runs_but_alone()
    {
        // Prepare
        var trainer = new FakeTrainer();
        using var pool = Pool(Options(workers: 2, maxCohort: 8, budget: 1), trainer);

        // Execute
        var tasks = Enumerable.Range(1, 6).Select(id => pool.TrainAsync(Job(id))).ToArray();
        await Task.WhenAll(tasks).Within();

        // Assert
        Assert.All(trainer.Cohorts, c => Assert.Single(c.DeviceIds));
        Assert.Equal(1, trainer.MaxRunning);
    }

    [Fact]
    public async Task A_failing_cohort_fails_exactly_its_jobs_with_a_message_naming_the_devices()
    {
        // Prepare: a cohort of plan "bad" throws; the other plan trains fine.
        var trainer = new FakeTrainer(blocking: true);
        var bad = Plan(learningRate: 9f);
        trainer.Fault = jobs => jobs[0].Plan == bad ? new InvalidOperationException("boom") : null;
        using var pool = Pool(Options(workers: 1, maxCohort: 4), trainer);
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var failing = new[] { pool.TrainAsync(Job(10, bad)), pool.TrainAsync(Job(11, bad)) };
        var fine = new[] { pool.TrainAsync(Job(1)), pool.TrainAsync(Job(2)) };

        // Execute
        trainer.Open();
        var errors = new List<ComputeCohortException>();
        foreach (var task in failing)
            errors.Add(await Assert.ThrowsAsync<ComputeCohortException>(() => task.Within()));
        var results = await Task.WhenAll(fine).Within();
        var after = await pool.TrainAsync(Job(3)).Within();

        // Assert
        Assert.All(errors, e =>
        {
            Assert.Contains("10, 11", e.Message);
            Assert.Contains("boom", e.Message);
            Assert.Equal(new long[] { 10, 11 }, e.DeviceIds);
            Assert.IsType<InvalidOperationException>(e.InnerException);
        });
        Assert.Equal(new float[] { 1, 2 }, results.Select(r => r.Delta.Single()));
        Assert.Equal(3, after.Examples);
        Assert.Equal(2, pool.JobsFailed);
        Assert.Equal(0, (await blocker).Examples);
    }

    [Fact]
    public async Task A_trainer_returning_the_wrong_number_of_results_fails_the_cohort()
    {
        // Prepare
        var trainer = new FakeTrainer { Results = _ => [] };
        using var pool = Pool(Options(), trainer);

        // Execute
        var error = await Assert.ThrowsAsync<ComputeCohortException>(() => pool.TrainAsync(Job(5)).Within());

        // Assert
        Assert.Contains("returned 0 result(s) for a cohort of 1 job(s)", error.Message);
        Assert.Contains("[5]", error.Message);
    }

    [Fact]
    public async Task Cancelling_a_queued_job_removes_it_from_the_queue_and_cancels_its_task()
    {
        // Prepare
        var trainer = new FakeTrainer(blocking: true);
        using var pool = Pool(Options(workers: 1), trainer);
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        using var cts = new CancellationTokenSource();
        var cancelled = pool.TrainAsync(Job(1), cts.Token);
        var kept = pool.TrainAsync(Job(2));

        // Execute
        cts.Cancel();
        var depthAfterCancel = pool.Snapshot().QueueDepth;
        trainer.Open();
        await Task.WhenAll(blocker, kept).Within();

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.True(cancelled.IsCanceled);
        Assert.Equal(1, depthAfterCancel);
        Assert.DoesNotContain(trainer.Cohorts, c => c.DeviceIds.Contains(1));
    }

    [Fact]
    public async Task Cancelling_a_job_waiting_for_room_cancels_it_and_it_never_runs()
    {
        // Prepare: queue of one, held worker.
        var trainer = new FakeTrainer(blocking: true);
        using var pool = Pool(Options(workers: 1, capacity: 1), trainer);
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var queued = pool.TrainAsync(Job(1));
        using var cts = new CancellationTokenSource();
        var waiting = pool.TrainAsync(Job(2), cts.Token);
        var waitingBefore = pool.WaitingForRoom;

        // Execute
        cts.Cancel();
        trainer.Open();
        await Task.WhenAll(blocker, queued).Within();

        // Assert
        Assert.Equal(1, waitingBefore);
        Assert.Equal(0, pool.WaitingForRoom);
        Assert.True(waiting.IsCanceled);
        Assert.DoesNotContain(trainer.Cohorts, c => c.DeviceIds.Contains(2));
    }

    [Fact]
    public async Task A_token_cancelled_before_submission_cancels_at_once()
    {
        // Prepare
        var trainer = new FakeTrainer();
        using var pool = Pool(Options(), trainer);

        // Execute
        var task = pool.TrainAsync(Job(1), new CancellationToken(canceled: true));

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Empty(trainer.Cohorts);
        Assert.Equal(0, pool.Snapshot().MaxQueueDepth);
    }

    [Fact]
    public async Task Dispose_faults_jobs_that_have_not_started_and_lets_the_running_cohort_finish()
    {
        // Prepare: one running, one queued, one waiting for room.
        var trainer = new FakeTrainer(blocking: true);
        var pool = Pool(Options(workers: 1, capacity: 1), trainer);
        var running = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var queued = pool.TrainAsync(Job(1));
        var waiting = pool.TrainAsync(Job(2));

        // Execute
        var disposing = Task.Run(pool.Dispose);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued.Within());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.Within());
        trainer.Release();
        var result = await running.Within();
        await disposing.Within();
        var afterwards = pool.TrainAsync(Job(3));

        // Assert
        Assert.Equal(0, result.Examples);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => afterwards);
        Assert.Single(trainer.Cohorts);
    }

    [Fact]
    public async Task Evaluation_runs_on_a_pool_worker_and_is_never_batched_with_training()
    {
        // Prepare
        var trainer = new FakeTrainer(blocking: true);
        string? evaluatedOn = null;
        using var pool = Pool(Options(workers: 1, maxCohort: 8), trainer, job =>
        {
            evaluatedOn = Thread.CurrentThread.Name;
            return new EvaluationResult(0.75, 0.5, job.Data.Count);
        });
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var evaluation = pool.EvaluateAsync(Evaluation());
        var training = new[] { pool.TrainAsync(Job(1)), pool.TrainAsync(Job(2)) };

        // Execute
        trainer.Open();
        var result = await evaluation.Within();
        await Task.WhenAll(training.Append(blocker)).Within();

        // Assert
        Assert.Equal(new EvaluationResult(0.75, 0.5, 4), result);
        Assert.StartsWith("FedSim.ComputePool.", evaluatedOn);
        Assert.Equal(new[] { new long[] { 0 }, [1, 2] }, trainer.Cohorts.Select(c => c.DeviceIds).ToArray());
        var metrics = pool.Snapshot();
        Assert.Equal(4, metrics.JobsCompleted);
        Assert.Equal(2, metrics.CohortsRun); // training cohorts only
    }

    [Fact]
    public async Task A_failing_evaluation_names_the_model_and_dataset()
    {
        // Prepare
        using var pool = Pool(Options(), new FakeTrainer(), _ => throw new InvalidOperationException("bad weights"));

        // Execute
        var error = await Assert.ThrowsAsync<ComputeCohortException>(() => pool.EvaluateAsync(Evaluation()).Within());

        // Assert
        Assert.Contains("'tiny'", error.Message);
        Assert.Contains("bad weights", error.Message);
        Assert.Contains(Mlp.Key, error.Message);
    }

    [Fact]
    public async Task Per_example_evaluation_runs_on_a_pool_worker_and_is_never_batched_with_training()
    {
        // Prepare
        var trainer = new FakeTrainer(blocking: true);
        string? evaluatedOn = null;
        var expected = new ExampleOutputs([[1f, 2f]], [[0.5f]], 2);
        using var pool = new ComputePool(Options(workers: 1, maxCohort: 8), trainer.Train, _ => new EvaluationResult(1, 0, 0),
            disposeJoinTimeout: TimeSpan.FromSeconds(5), evaluateExamples: _ =>
            {
                evaluatedOn = Thread.CurrentThread.Name;
                return expected;
            });
        var blocker = pool.TrainAsync(Job(0));
        await trainer.WaitStartedAsync();
        var outputs = pool.EvaluateExamplesAsync(new ExampleOutputsJob(Mlp, [new float[22]], Tiny, [1]));
        var training = new[] { pool.TrainAsync(Job(1)), pool.TrainAsync(Job(2)) };

        // Execute
        trainer.Open();
        var result = await outputs.Within();
        await Task.WhenAll(training.Append(blocker)).Within();

        // Assert
        Assert.Same(expected, result);
        Assert.StartsWith("FedSim.ComputePool.", evaluatedOn);
        Assert.Equal(new[] { new long[] { 0 }, [1, 2] }, trainer.Cohorts.Select(c => c.DeviceIds).ToArray());
        Assert.Equal(2, pool.Snapshot().CohortsRun);
    }
}
