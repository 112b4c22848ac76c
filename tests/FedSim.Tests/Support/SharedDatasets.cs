namespace FedSim.Tests.Support;

/// <summary>
/// Finds the project's read-only real datasets: $FEDSIM_SHARED_DATASETS, else the first ancestor of the test
/// binaries that has a shared/datasets folder (the repository sits beside it, at ../shared/datasets).
/// </summary>
public static class SharedDatasets
{
    public const string Variable = "FEDSIM_SHARED_DATASETS";
    public const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    private static readonly Lazy<string?> Found = new(Locate);

    /// <summary>The shared datasets folder, or null when it is not there.</summary>
    public static string? Root => Found.Value;

    /// <summary>True on CI (CI=true): missing data must fail tests there, not skip them.</summary>
    public static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Path of an entry under the shared folder; throws a clear message when the folder is missing (CI).</summary>
    public static string PathOf(params string[] parts) =>
        Path.Combine([Root ?? throw new DirectoryNotFoundException(MissingMessage), .. parts]);

    public static string MissingMessage =>
        $"shared datasets not found at {string.Join(" or ", Candidates())}; they are in ../shared/datasets beside the repository (or set {Variable}).";

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } env)
            return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        return Candidates().FirstOrDefault(Directory.Exists);
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } env)
        {
            yield return env;
            yield break;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            yield return Path.Combine(dir.FullName, "shared", "datasets");
    }

    public static bool FashionMnistPresent => Directory.Exists(FashionMnistFolder);
}

/// <summary>A fact that needs ../shared/datasets: skipped when absent, except on CI (CI=true) where it runs and fails loudly.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedDatasets.Root is null && !SharedDatasets.OnCi) Skip = SharedDatasets.MissingMessage;
    }
}

/// <summary>A theory that needs ../shared/datasets; same skip rule as <see cref="SharedDataFactAttribute"/>.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (SharedDatasets.Root is null && !SharedDatasets.OnCi) Skip = SharedDatasets.MissingMessage;
    }
}

/// <summary>A fact that needs Debian's dataset-fashion-mnist package; skipped when absent except on CI.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!SharedDatasets.FashionMnistPresent && !SharedDatasets.OnCi)
            Skip = $"Fashion-MNIST not found at {SharedDatasets.FashionMnistFolder}; install it with `apt-get install dataset-fashion-mnist`.";
    }
}
