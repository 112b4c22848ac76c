using FedSim.Coordination;
using FedSim.GrainInterfaces;
using FedSim.Rounds;
using FedSim.Strategies;

namespace FedSim.Tests.Rounds;

public sealed class PooledRoundTests
{
    private const int Round = 3, Parameters = 4;

    private static readonly Dictionary<long, float[]> Deltas = new()
    {
        [1] = [0.5f, -1f, 2f, 0f],
        [2] = [0.25f, 1e-3f, -2f, 8f],
        [3] = [-4f, 0f, 1f, 1f],
        [4] = [1f, 1f, 1f, 1f],
    };

    private static int Examples(long device) => (int)(10 * device);

    /// <summary>A cohort's sum as its pool would carry it: the members' weighted deltas, cut into limbs.</summary>
    private static PooledSum Sum(params long[] members)
    {
        var sum = new ExactSum(Parameters);
        foreach (long d in members) sum.Add(Deltas[d], Examples(d));
        return new PooledSum(new GlobalModelId("e", Round), [.. members.Select(d => new PooledMember(d, Examples(d), 2, 1.0))], sum.ToLimbs());
    }

    /// <summary>A device's own answer: statistics only (summed on its pool), the carried sum, or its own delta (sent again).</summary>
    private static DeviceUpdate Answer(long device, PooledSum? carries = null, bool alone = false, string? leftOut = null)
        => new(device, Round, alone ? Deltas[device] : [], Examples(device), 2, 0.5f, 1, 8, 16, UpdateNorm: alone ? null : 1.0,
            PooledSum: carries, LeftOut: leftOut);

    /// <summary>Σ w·x computed the ordinary way (a running double sum), for comparison.</summary>
    private static void AssertSumOf(double[] actual, params long[] devices)
    {
        for (int i = 0; i < Parameters; i++)
        {
            double expected = devices.Sum(d => Examples(d) * (double)Deltas[d][i]);
            Assert.True(Math.Abs(actual[i] - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"coordinate {i}: {actual[i]:R} vs {expected:R}");
        }
    }

    [Fact]
    public void A_device_is_done_once_both_its_answer_and_its_cohorts_sum_have_arrived()
    {
        // Prepare
        var round = new PooledRound(Round, Parameters);

        // Execute: device 2's answer arrives before the sum its cohort-mate 1 carries.
        var afterTwo = round.Receive(Answer(2));
        var afterOne = round.Receive(Answer(1, carries: Sum(1, 2)));
        var outcome = round.Close([]);

        // Assert
        Assert.Empty(afterTwo);
        Assert.Equal([1L, 2L], afterOne.Order());
        Assert.Equal([1L, 2L], outcome.Total!.Contributors);
        Assert.Equal(Examples(1) + Examples(2), outcome.Total.Weight);
        AssertSumOf(outcome.Total.Sum, 1, 2);
        Assert.Equal([1L, 2L], outcome.Updates.Select(u => u.DeviceId));
        Assert.Empty(outcome.Failures);
    }

    [Fact]
    public void A_sum_that_would_count_a_device_twice_is_refused_and_its_other_members_answer_alone()
    {
        // Prepare: a replayed round: the old attempt's cohort {1, 2} and the new attempt's {2, 3} both deliver.
        var round = new PooledRound(Round, Parameters);
        round.Receive(Answer(1, carries: Sum(1, 2)));
        round.Receive(Answer(2));

        // Execute
        var refused = round.Receive(Answer(3, carries: Sum(2, 3)));
        bool waiting = !round.IsDone(3);
        var alone = round.Receive(Answer(3, alone: true)); // sent its assignment again, it answers with its own delta
        var outcome = round.Close([]);

        // Assert
        Assert.Empty(refused);
        Assert.True(waiting);
        Assert.Equal([3L], alone);
        Assert.Equal([1L, 2L, 3L], outcome.Total!.Contributors);
        AssertSumOf(outcome.Total.Sum, 1, 2, 3);
    }

    [Fact]
    public void A_device_that_answers_alone_after_its_update_is_in_the_total_only_brings_its_statistics()
    {
        var round = new PooledRound(Round, Parameters);
        round.Receive(Answer(1, carries: Sum(1, 2)));

        var done = round.Receive(Answer(2, alone: true));
        var outcome = round.Close([]);

        Assert.Equal([2L], done);
        AssertSumOf(outcome.Total!.Sum, 1, 2);
    }

    [Fact]
    public void Left_out_and_non_finite_updates_fail_and_stay_out_of_the_total()
    {
        // Prepare: the pool left device 2 out of its cohort's sum; device 3 answers alone with a NaN.
        var round = new PooledRound(Round, Parameters);
        Deltas[5] = [1f, float.NaN, 0f, 0f];
        try
        {
            round.Receive(Answer(2, leftOut: "update has a non-finite value; rejected"));
            round.Receive(Answer(1, carries: Sum(1)));

            // Execute
            var done = round.Receive(Answer(5, alone: true));
            var outcome = round.Close([]);

            // Assert
            Assert.Equal([5L], done);
            Assert.Equal([1L], outcome.Total!.Contributors);
            Assert.Equal([2L, 5L], outcome.Failures.Select(f => f.DeviceId));
            Assert.All(outcome.Failures, f => Assert.Contains("non-finite", f.Reason));
        }
        finally { Deltas.Remove(5); }
    }

    [Fact]
    public void At_close_a_member_without_an_answer_is_used_and_an_answer_without_a_sum_failed()
    {
        // Prepare: device 2 is in device 1's sum but never answered (it timed out); device 3 answered, its carrier 4 never did.
        var round = new PooledRound(Round, Parameters);
        round.Receive(Answer(1, carries: Sum(1, 2)));
        round.Receive(Answer(3));

        // Execute
        var outcome = round.Close([new DeviceFailure(2, Round, "no answer within 00:30:00"), new DeviceFailure(4, Round, "no answer within 00:30:00")]);

        // Assert
        Assert.Equal([1L, 2L], outcome.Total!.Contributors);
        Assert.Equal([1L, 2L], outcome.Updates.Select(u => u.DeviceId));
        Assert.True(float.IsNaN(outcome.Updates[1].MeanTrainLoss));
        Assert.Equal([3L, 4L], outcome.Failures.Select(f => f.DeviceId));
        Assert.Contains("lost with its cohort's sum", outcome.Failures[0].Reason);
    }

    [Fact]
    public void A_round_where_nothing_was_summed_has_no_total()
        => Assert.Null(new PooledRound(Round, Parameters).Close([new DeviceFailure(1, Round, "dropped")]).Total);
}
