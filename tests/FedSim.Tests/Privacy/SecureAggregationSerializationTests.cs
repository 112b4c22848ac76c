using FedSim.Privacy.SecureAggregation;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using static FedSim.Tests.Privacy.SecureAggregationTestRound;

namespace FedSim.Tests.Privacy;

/// <summary>Every protocol message crosses Orleans' serializer intact, so device and coordinator grains can exchange them.</summary>
public sealed class SecureAggregationSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void Every_message_of_a_round_round_trips_through_the_Orleans_serializer()
    {
        // Prepare: the messages of a real round, with a dropout so every list is non-empty
        var cohort = Cohort(5);
        var parameters = SecAggParameters.Complete("exp-77/round-1", 64, 5, clipRange: 1.0, threshold: 3);
        var recorder = new Recorder();
        var result = Run(parameters, cohort, new SecAggDropouts(BeforeMaskedInput: [cohort[0]]), recorder).Result;
        var messages = recorder.Up.Concat(recorder.Down).Select(m => m.Message).Append(parameters).Append(result).ToList();

        // Execute
        var copies = messages.Select(m => Serializer.Deserialize<object>(Serializer.SerializeToArray(m))).ToList();

        // Assert: the same type and the same content (records compare arrays by reference, so compare JSON)
        Assert.Equal(9, messages.Select(m => m.GetType()).Distinct().Count());
        foreach (var (original, copy) in messages.Zip(copies))
        {
            Assert.Equal(original.GetType(), copy!.GetType());
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(original, original.GetType()),
                         System.Text.Json.JsonSerializer.Serialize(copy, copy.GetType()));
        }
    }

    [Fact]
    public void The_round_failure_crosses_grains_with_its_stage_and_counts()
    {
        var failure = new SecureAggregationAbortedException(SecAggStage.Unmasking, 5, 4, "4 survivors revealed their shares; the threshold is 5");

        var copy = Serializer.Deserialize<SecureAggregationAbortedException>(Serializer.SerializeToArray(failure));

        Assert.NotNull(copy);
        Assert.Equal((SecAggStage.Unmasking, 5, 4), (copy.Stage, copy.Required, copy.Available));
        Assert.Equal(failure.Message, copy.Message);
    }
}
