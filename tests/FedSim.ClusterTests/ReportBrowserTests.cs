using System.Text.RegularExpressions;
using FedSim.ClusterTests.Postgres;
using FedSim.Scenarios.Cli;
using FedSim.Scenarios.Reports;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace FedSim.ClusterTests;

/// <summary>The system's Chromium (Debian's chromium package), driven headless: never one downloaded by the tests.</summary>
public static class HeadlessChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static bool Available => File.Exists(ExecutablePath);

    public static string MissingMessage =>
        $"Chromium is not installed at {ExecutablePath}: install it (Debian: apt-get install chromium) to check report.html in a real browser; .ci/run does.";

    /// <summary>--no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.</summary>
    public static Task<IBrowser> LaunchAsync() => Puppeteer.LaunchAsync(new LaunchOptions
    {
        ExecutablePath = ExecutablePath,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
}

/// <summary>
/// A fact that opens pages in headless Chromium: skipped, saying how to install it, when Chromium is missing, except
/// under CI=true, where it runs (and fails without it).
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!PostgresFactAttribute.OnCi && !HeadlessChromium.Available) Skip = HeadlessChromium.MissingMessage;
    }
}

/// <summary>
/// The results the browser tests open, made once on first use (a skipped test makes nothing): a shortened
/// examples/compare/quick.yaml (whose runs' folders hold the run reports) and a tiny <c>fedsim attack</c> with DP,
/// so its ROC figure has a DP bound. And the browser, started once.
/// </summary>
public sealed class ReportResults : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-report-pages-").FullName;
    private readonly Lazy<Task<string>> _compare;
    private readonly Lazy<Task<string>> _attack;
    private readonly Lazy<Task<IBrowser>> _browser = new(HeadlessChromium.LaunchAsync);

    public ReportResults()
    {
        _compare = new(() => CommandAsync("compare", ShortenedQuickComparison(), "quick"));
        _attack = new(() => CommandAsync("attack", Write("tiny-attack.yaml", TinyAttack), "attack"));
    }

    public Task<string> CompareFolder => _compare.Value;

    public Task<string> AttackFolder => _attack.Value;

    public Task<IBrowser> Browser => _browser.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_browser.IsValueCreated) await (await _browser.Value).DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private async Task<string> CommandAsync(string command, string file, string output)
    {
        string folder = Path.Combine(_folder, output);
        var stderr = new StringWriter();
        // compare prints one line per run and has no --quiet; its output goes nowhere here either way.
        string[] quiet = command == "compare" ? [] : ["--quiet"];
        int exit = await FedSimCli.RunAsync([command, file, "--output", folder, .. quiet], TextWriter.Null, stderr);
        Assert.True(exit == 0, $"fedsim {command} exited {exit}: {stderr}");
        return folder;
    }

    /// <summary>quick.yaml with 3 rounds, 3,000 samples and 2 seeds: its 6 configurations and figures in a few seconds.</summary>
    private string ShortenedQuickComparison()
    {
        string examples = Path.Combine(GoldenOutputTests.RepositoryRoot, "src", "Scenarios", "examples");
        string text = File.ReadAllText(Path.Combine(examples, "compare", "quick.yaml"));
        foreach (var (pattern, replacement) in new[]
                 {
                     (@"(?m)^base: \.\./quickstart\.yaml", $"base: {Path.Combine(examples, "quickstart.yaml")}"),
                     (@"(?m)^  training\.rounds: 30\b", "  training.rounds: 3\n  dataset.samples: 3000"),
                     (@"(?m)^seeds: \[1, 2, 3\]", "seeds: [1, 2]"),
                 })
        {
            Assert.Matches(pattern, text);
            text = Regex.Replace(text, pattern, replacement);
        }
        return Write("quick.yaml", text);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Two rounds of local DP on synthetic data, audited once by an outsider (two attacks that score alike) and the server.</summary>
    private const string TinyAttack = """
        name: tiny-attack
        seed: 3
        devices: 5
        dataset:
          kind: synthetic
          samples: 2000
          partition:
            kind: iid
        model:
          kind: logistic
        training:
          rounds: 2
          devices_per_round: 5
          batch_size: 10
          learning_rate: 0.1
          optimizer: sgd
        audit:
          every: 2
          members: 200
          holdout: 0.5
        attacks:
          - kind: outsider
            attacks: [loss, confidence]
          - kind: server
            max_devices: 5
        privacy:
          delta: 1.0e-4
          local:
            noise_multiplier: 1.0
            clip_norm: 1.0
        """;
}

/// <summary>
/// report.html of <c>fedsim compare</c>, <c>run</c> and <c>attack</c> in headless Chromium: each loads without a
/// console or page error, every image has loaded, every link points at a file or folder that exists, sorting a
/// column reorders the rows, and a screenshot of each page is kept in bin/.../report-screenshots/.
/// </summary>
public sealed class ReportBrowserTests(ReportResults results, ITestOutputHelper output) : IClassFixture<ReportResults>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "report-screenshots");

    [ChromiumFact]
    public async Task Compare_report_loads_cleanly_and_sorts_its_rows_by_value()
    {
        // Prepare
        string report = Path.Combine(await results.CompareFolder, RunReport.FileName);

        // Execute
        var (page, problems) = await OpenAsync(report);
        await using var _ = page;
        await ClickHeaderAsync(page, "final accuracy");
        var ascending = await ColumnAsync(page, "final accuracy");
        var keysAscending = await ColumnTextAsync(page, "strategy.aggregator.kind");
        await ClickHeaderAsync(page, "final accuracy");
        var descending = await ColumnAsync(page, "final accuracy");
        await page.ClickAsync("button.toggle");
        bool detailsShown = await page.EvaluateExpressionAsync<bool>("!document.querySelector('tr.details').hidden");

        // Assert
        await AssertLoadedCleanlyAsync(page, report, problems, images: 2);
        Assert.Equal(6, ascending.Length);
        Assert.Equal(ascending.Order(), ascending);
        Assert.Equal(ascending.Reverse(), descending);
        Assert.NotEqual(keysAscending, await ColumnTextAsync(page, "strategy.aggregator.kind")); // the rows moved, not just the numbers
        Assert.True(detailsShown, "a row's seeds button shows its per-seed values");
        await ScreenshotAsync(page, "compare-report.png");
    }

    [ChromiumFact]
    public async Task Run_report_of_a_comparisons_run_loads_cleanly_with_its_curves()
    {
        string report = Path.Combine(await results.CompareFolder, "runs", "c01-mean-null", "seed-1", RunReport.FileName);

        var (page, problems) = await OpenAsync(report);
        await using var _ = page;

        await AssertLoadedCleanlyAsync(page, report, problems, images: 1);
        Assert.Contains("Accuracy and loss per round", await page.GetContentAsync());
        await ScreenshotAsync(page, "run-report.png");
    }

    [ChromiumFact]
    public async Task Attack_report_loads_cleanly_and_sorts_its_attack_table()
    {
        string report = Path.Combine(await results.AttackFolder, RunReport.FileName);

        var (page, problems) = await OpenAsync(report);
        await using var _ = page;
        await ClickHeaderAsync(page, "AUC [95% CI]");
        var auc = await ColumnAsync(page, "AUC [95% CI]");
        await ClickHeaderAsync(page, "AUC [95% CI]");

        await AssertLoadedCleanlyAsync(page, report, problems, images: 2); // the curves and the ROC
        Assert.Equal(4, auc.Length);
        Assert.Equal(auc.Order(), auc);
        Assert.Equal(auc.Reverse(), await ColumnAsync(page, "AUC [95% CI]"));
        await ScreenshotAsync(page, "attack-report.png");
    }

    /// <summary>Opens a page, recording console errors, uncaught exceptions and failed requests.</summary>
    private async Task<(IPage Page, List<string> Problems)> OpenAsync(string file)
    {
        var browser = await results.Browser;
        var page = await browser.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) lock (problems) problems.Add($"console error: {e.Message.Text}"); };
        page.PageError += (_, e) => { lock (problems) problems.Add($"page error: {e.Message}"); };
        page.RequestFailed += (_, e) => { lock (problems) problems.Add($"request failed: {e.Request.Url}"); };
        await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        return (page, problems);
    }

    private static async Task AssertLoadedCleanlyAsync(IPage page, string file, List<string> problems, int images)
    {
        lock (problems) Assert.True(problems.Count == 0, string.Join("\n", problems));
        var widths = await page.EvaluateExpressionAsync<int[]>("Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)");
        Assert.True(widths.Length >= images, $"{widths.Length} image(s), expected at least {images}");
        Assert.All(widths, w => Assert.True(w > 0, "an image did not load"));
        var hrefs = await page.EvaluateExpressionAsync<string[]>("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))");
        Assert.NotEmpty(hrefs);
        string folder = Path.GetDirectoryName(file)!;
        foreach (string href in hrefs)
        {
            Assert.False(Uri.TryCreate(href, UriKind.Absolute, out _), $"{href} is not a relative link");
            string target = Path.Combine(folder, Uri.UnescapeDataString(href));
            Assert.True(href.EndsWith('/') ? Directory.Exists(target) : File.Exists(target), $"{href} points at nothing ({target})");
        }
    }

    private static async Task ClickHeaderAsync(IPage page, string header)
    {
        foreach (var button in await page.QuerySelectorAllAsync("table.sortable > thead button.sort"))
            if (await button.EvaluateFunctionAsync<string>("b => b.textContent") == header)
            {
                await button.ClickAsync();
                return;
            }
        Assert.Fail($"no sortable column '{header}'");
    }

    private const string CellsOfColumn = """
        (header, attribute) => {
          const table = document.querySelector('table.sortable');
          const column = Array.from(table.tHead.rows[0].cells).findIndex(h => h.textContent.trim() === header);
          return Array.from(table.tBodies).map(b => attribute ? b.rows[0].cells[column].getAttribute('data-sort') : b.rows[0].cells[column].textContent);
        }
        """;

    /// <summary>A numeric column's values in row order (from the cells' sort values).</summary>
    private static async Task<double[]> ColumnAsync(IPage page, string header)
        => (await page.EvaluateFunctionAsync<string[]>(CellsOfColumn, header, true)).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static Task<string[]> ColumnTextAsync(IPage page, string header) => page.EvaluateFunctionAsync<string[]>(CellsOfColumn, header, false);

    private async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        string path = Path.Combine(Screenshots, name);
        await page.ScreenshotAsync(path, new ScreenshotOptions { FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }
}
