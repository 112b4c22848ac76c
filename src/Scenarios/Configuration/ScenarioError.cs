using FedSim.Scenario;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// One problem in a scenario file, at a 1-based line and column; or, with line 0, in something that has no lines
/// (a <c>--set</c> override, named in <see cref="File"/>).
/// </summary>
public sealed record ScenarioError(string File, int Line, int Column, string Message)
{
    /// <summary>The compiler-style form editors and terminals link: <c>FILE:LINE:COLUMN: message</c> (line 0: <c>FILE: message</c>).</summary>
    public override string ToString() => Line == 0 ? $"{File}: {Message}" : $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Either a loaded, validated scenario or every problem found in it.</summary>
public sealed class ScenarioLoadResult
{
    internal ScenarioLoadResult(string file, string baseDirectory, ScenarioSpec? spec, IReadOnlyList<ScenarioError> errors)
    {
        File = file;
        BaseDirectory = baseDirectory;
        Errors = errors;
        Spec = errors.Count == 0 ? spec : null;
    }

    /// <summary>The file name as given (used in error locations).</summary>
    public string File { get; }
    /// <summary>Absolute folder that relative paths in the file resolve against.</summary>
    public string BaseDirectory { get; }
    /// <summary>The scenario with defaults applied, exactly as written (paths not resolved); null when there are errors.</summary>
    public ScenarioSpec? Spec { get; }
    /// <summary>Every problem found, in file order; empty on success.</summary>
    public IReadOnlyList<ScenarioError> Errors { get; }
    public bool Succeeded => Spec is not null;

    /// <summary>The spec, or a <see cref="ScenarioException"/> carrying all errors.</summary>
    public ScenarioSpec GetSpecOrThrow() => Spec ?? throw new ScenarioException(Errors);
}

/// <summary>A scenario file is invalid. A user error: the CLI prints the located messages and exits with 2.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(IReadOnlyList<ScenarioError> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
    {
        Errors = errors;
    }

    public IReadOnlyList<ScenarioError> Errors { get; }
}
