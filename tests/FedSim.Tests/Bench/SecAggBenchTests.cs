using System.Text.Json.Nodes;

namespace FedSim.Tests.Bench;

public sealed class SecAggBenchTests
{
    [Fact]
    public async Task Bench_secagg_reports_every_protocol_against_plain_aggregation()
    {
        // Execute: the --quick sizes (cohorts of 6 and 12, 1,000 coordinates, 20 % dropping)
        var (exit, stdout, stderr) = await BenchCli.RunAsync(null, "bench", "secagg", "--quick", "--json");

        // Assert
        Assert.True(exit == 0, stderr);
        var rows = JsonNode.Parse(stdout)!["rows"]!.AsArray();
        var protocols = rows.Select(r => ($"{r!["cohort"]}", $"{r["protocol"]}", (int)r["dropped"]!)).ToList();
        Assert.Equal(
            [("6", "plain", 0), ("6", "secagg", 0), ("6", "secagg", 1),
             ("12", "plain", 0), ("12", "secagg", 0), ("12", "secagg", 2), ("12", "secagg+", 0), ("12", "secagg+", 2)],
            protocols);
        foreach (var cohort in rows.GroupBy(r => (int)r!["cohort"]!))
        {
            double plainUp = (double)cohort.Single(r => (string)r!["protocol"]! == "plain")!["up_bytes_per_device"]!;
            Assert.InRange(plainUp, 5_000, 5_200); // 1,000 floats at 5 bytes each (Orleans' field header + 4) and the update's envelope
            foreach (var row in cohort.Where(r => (string)r!["protocol"]! != "plain"))
            {
                // A masked vector is as large as a float one; keys, shares and unmasking add to it.
                Assert.True((double)row!["up_bytes_per_device"]! > plainUp);
                Assert.True((double)row["down_bytes_per_device"]! > 0);
                Assert.True((double)row["client_seconds_per_device"]! > 0);
            }
        }
        Assert.Equal(8, (int)rows.Single(r => (string)r!["protocol"]! == "secagg+" && (int)r["dropped"]! == 0)!["neighbours"]!);
    }

    [Fact]
    public async Task Bench_secagg_refuses_a_bad_cohort_list_with_exit_2()
    {
        var (exit, _, stderr) = await BenchCli.RunAsync(null, "bench", "secagg", "--cohorts", "10,two");

        Assert.Equal(2, exit);
        Assert.Equal("fedsim bench secagg: --cohorts takes comma-separated sizes of at least 3 devices (e.g. 10,100,1000), got '10,two'.", stderr.Trim());
    }
}
