using FedSim.Devices;

namespace FedSim.Tests.Devices;

public sealed class GlobalWeightsCacheTests
{
    [Fact]
    public void Devices_of_one_round_share_the_first_copy_of_its_global_model()
    {
        // Prepare: what two devices on a silo receive from a coordinator elsewhere: equal numbers, distinct arrays.
        var cache = new GlobalWeightsCache();
        float[] first = [1f, 2f, 3f], second = [1f, 2f, 3f];

        // Execute
        var a = cache.Canonical("exp", 4, first);
        var b = cache.Canonical("exp", 4, second);

        // Assert
        Assert.Same(first, a);
        Assert.Same(first, b);
    }

    [Fact]
    public void A_new_round_replaces_the_old_model_and_a_straggler_keeps_its_own_copy()
    {
        var cache = new GlobalWeightsCache();
        float[] round4 = [1f], round5 = [2f], late4 = [1f], again5 = [2f];

        cache.Canonical("exp", 4, round4);
        var five = cache.Canonical("exp", 5, round5);
        var straggler = cache.Canonical("exp", 4, late4);
        var fiveAgain = cache.Canonical("exp", 5, again5);

        Assert.Same(round5, five);
        Assert.Same(late4, straggler);
        Assert.Same(round5, fiveAgain);
    }

    [Fact]
    public void Experiments_never_share_a_model()
    {
        var cache = new GlobalWeightsCache();
        float[] mine = [1f], theirs = [1f];

        cache.Canonical("mine", 1, mine);
        var other = cache.Canonical("theirs", 1, theirs);

        Assert.Same(theirs, other);
    }
}
