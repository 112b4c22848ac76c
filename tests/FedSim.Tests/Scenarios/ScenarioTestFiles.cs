namespace FedSim.Tests.Scenarios;

/// <summary>A scratch folder per test class holding scenario files and a fake dataset folder named "data".</summary>
public sealed class ScenarioTestFiles : IDisposable
{
    public ScenarioTestFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "fedsim-scenario-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "data"));
    }

    public string Directory { get; }

    public string Write(string name, string yaml)
    {
        string path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml);
        return path;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>The repository root (the folder holding FedSim.sln), found from the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FedSim.sln"))) return dir.FullName;
            throw new InvalidOperationException("FedSim.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string ExamplesDirectory => Path.Combine(RepositoryRoot, "src", "Scenarios", "examples");
}
