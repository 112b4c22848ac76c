using System.Reflection;
using System.Text.RegularExpressions;
using FedSim.Silo;
using FedSim.Tests.Scenarios;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FedSim.Tests.Docker;

/// <summary>
/// What can be checked of docker/ without a Docker engine: the compose file parses (merge keys included) and names the
/// topology the README promises, it sets only settings the silo reads, the schema folder PostgreSQL initialises from
/// holds the scripts, and the Dockerfile publishes projects that exist under the names its entry points run.
/// </summary>
public sealed class DockerRecipeTests
{
    private static string DockerFolder => Path.Combine(ScenarioTestFiles.RepositoryRoot, "docker");

    private static YamlMappingNode Compose()
    {
        using var reader = new StreamReader(Path.Combine(DockerFolder, "compose.yaml"));
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Service(string name) =>
        (YamlMappingNode)((YamlMappingNode)Compose()["services"])[name];

    [Fact]
    public void Compose_runs_postgres_three_silos_and_a_runner_and_offers_a_single_embedded_run()
    {
        var services = (YamlMappingNode)Compose()["services"];

        var names = services.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToList();

        Assert.Equal(["postgres", "silo1", "silo2", "silo3", "runner", "fedsim"], names);
    }

    [Fact]
    public void Every_FEDSIM_variable_a_silo_gets_is_a_setting_the_silo_reads()
    {
        var settings = typeof(SiloSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite).Select(p => p.Name.ToUpperInvariant()).ToHashSet();

        var perSilo = new[] { "silo1", "silo2", "silo3" }.Select(name => (name, variables: ((YamlMappingNode)Service(name)["environment"]).Children.Keys
            .Select(k => ((YamlScalarNode)k).Value!).Where(k => k.StartsWith("FEDSIM__", StringComparison.Ordinal)).ToList())).ToList();

        Assert.All(perSilo, silo =>
        {
            Assert.Contains("FEDSIM__POSTGRES", silo.variables);
            Assert.All(silo.variables, v => Assert.True(settings.Contains(v["FEDSIM__".Length..]), $"{silo.name}: {v} is not a SiloSettings property"));
        });
        Assert.Equal(3, perSilo.Select(s => ((YamlScalarNode)Service(s.name)["hostname"]).Value).Distinct().Count()); // names the silo
    }

    [Fact]
    public void Postgres_initialises_from_the_schema_folder_the_silo_embeds()
    {
        var volumes = ((YamlSequenceNode)Service("postgres")["volumes"]).Children.Select(v => ((YamlScalarNode)v).Value!).ToList();

        string schemaMount = Assert.Single(volumes, v => v.Contains("/docker-entrypoint-initdb.d", StringComparison.Ordinal));
        string hostFolder = Path.GetFullPath(Path.Combine(DockerFolder, schemaMount.Split(':')[0]));
        var scripts = Directory.GetFiles(hostFolder, "*.sql").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(Silo.Schema.PostgresSchema.Scripts.Select(s => s.Name), scripts);
    }

    [Fact]
    public void The_Dockerfile_publishes_existing_projects_and_runs_their_assemblies()
    {
        string dockerfile = File.ReadAllText(Path.Combine(DockerFolder, "Dockerfile"));

        var published = Regex.Matches(dockerfile, @"dotnet publish (\S+\.csproj)").Select(m => m.Groups[1].Value).ToList();
        string entry = Regex.Match(dockerfile, @"ENTRYPOINT \[""dotnet"", ""/app/silo/([^""]+)""\]").Groups[1].Value;

        Assert.Equal(2, published.Count);
        Assert.All(published, p => Assert.True(File.Exists(Path.Combine(ScenarioTestFiles.RepositoryRoot, p)), $"{p} does not exist"));
        Assert.Equal(typeof(SiloSettings).Assembly.GetName().Name + ".dll", entry);
        Assert.Contains("/app/fedsim/fedsim.dll", dockerfile);
        Assert.Equal("fedsim", typeof(FedSim.Scenarios.Cli.FedSimCli).Assembly.GetName().Name);
    }
}
