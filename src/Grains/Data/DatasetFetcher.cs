using System.IO.Compression;
using System.Security.Cryptography;

namespace FedSim.Data;

/// <summary>One file of a known dataset and the hashes that prove a download is the real thing.</summary>
/// <param name="FileName">Name on the server and on disk.</param>
/// <param name="Sha256">Accepted SHA-256 values of the file as downloaded (lower-case hex).</param>
/// <param name="ContentSha256">
/// SHA-256 of the gunzipped content, or null. Mirrors sometimes re-compress a file (Debian's Fashion-MNIST, the
/// project's shared MNIST copy); the content hash still pins the data, so such a copy is accepted too.
/// </param>
public sealed record KnownFile(string FileName, IReadOnlyList<string> Sha256, string? ContentSha256 = null);

/// <summary>A dataset the fetcher knows: where it lives and its files.</summary>
public sealed record KnownDataset(string Name, string Description, Uri BaseUri, IReadOnlyList<KnownFile> Files, string Licence);

/// <summary>Progress of one fetch: a file's bytes so far, or its final state.</summary>
public sealed record FetchProgress(string FileName, FetchState State, long BytesReceived, long? TotalBytes);

public enum FetchState { Downloading, Verified, Skipped }

/// <summary>The result of a fetch: every file's final path and whether it was downloaded or already there.</summary>
public sealed record FetchResult(string Name, string Directory, IReadOnlyList<(string Path, bool Downloaded)> Files);

/// <summary>
/// Downloads known public datasets (<c>fedsim data fetch NAME --to DIR</c>): each file goes to a temporary file,
/// is SHA-256 verified, then moved into place; files already present and verified are skipped; a mismatch deletes
/// the partial file and fails. The server can be replaced by a mirror laid out as <c>{mirror}/{name}/{file}</c>,
/// given as an argument or through the FEDSIM_DATA_MIRROR environment variable.
/// </summary>
public sealed class DatasetFetcher
{
    public const string MirrorVariable = "FEDSIM_DATA_MIRROR";

    /// <summary>The registry. MNIST hashes: the project's pinned copies (shared/datasets/SHA256SUMS); the train-image
    /// file there was re-compressed, so its content hash (equal to the original's) is listed too. Fashion-MNIST: the
    /// hashes of Debian's dataset-fashion-mnist files and of their content.</summary>
    public static IReadOnlyList<KnownDataset> Known { get; } =
    [
        new("mnist", "MNIST handwritten digits, 60,000 train + 10,000 test, 28x28, 10 classes",
            new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            [
                new("train-images-idx3-ubyte.gz", ["0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971"],
                    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
                new("train-labels-idx1-ubyte.gz", ["3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"],
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
                new("t10k-images-idx3-ubyte.gz", ["8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"],
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
                new("t10k-labels-idx1-ubyte.gz", ["f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"],
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
            ], "CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)"),
        new("fashion-mnist", "Fashion-MNIST (Zalando), 60,000 train + 10,000 test, 28x28, 10 classes",
            new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
            [
                new("train-images-idx3-ubyte.gz", ["b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"],
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
                new("train-labels-idx1-ubyte.gz", ["0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"],
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
                new("t10k-images-idx3-ubyte.gz", ["cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"],
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
                new("t10k-labels-idx1-ubyte.gz", ["8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"],
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            ], "MIT (Zalando SE)"),
    ];

    private readonly HttpClient _http;

    /// <param name="http">Client to use; a default one (10-minute timeout) is created when null.</param>
    public DatasetFetcher(HttpClient? http = null)
    {
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
    }

    public static KnownDataset Find(string name) =>
        Known.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new DatasetException($"unknown dataset '{name}' for fetch; known: {string.Join(", ", Known.Select(d => d.Name))}.");

    /// <summary>
    /// Fetches dataset <paramref name="name"/> into <paramref name="targetDirectory"/> (created if needed).
    /// <paramref name="mirrorBase"/> (else $FEDSIM_DATA_MIRROR) replaces the public server: files are then read from
    /// <c>{mirror}/{name}/{file}</c>.
    /// </summary>
    public async Task<FetchResult> FetchAsync(string name, string targetDirectory, Uri? mirrorBase = null,
        IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var dataset = Find(name);
        Directory.CreateDirectory(targetDirectory);
        var baseUri = ResolveBase(dataset, mirrorBase);
        var results = new List<(string, bool)>();
        foreach (var file in dataset.Files)
        {
            string final = Path.Combine(targetDirectory, file.FileName);
            if (File.Exists(final) && await VerifyAsync(final, file, cancellationToken).ConfigureAwait(false) is null)
            {
                progress?.Report(new FetchProgress(file.FileName, FetchState.Skipped, new FileInfo(final).Length, null));
                results.Add((final, false));
                continue;
            }
            var uri = new Uri(baseUri, file.FileName);
            string temp = final + ".part-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                await DownloadAsync(uri, temp, file.FileName, progress, cancellationToken).ConfigureAwait(false);
                if (await VerifyAsync(temp, file, cancellationToken).ConfigureAwait(false) is { } actual)
                    throw new DatasetException($"{uri}: checksum mismatch for {file.FileName}: SHA-256 {actual}, expected {string.Join(" or ", file.Sha256)}" +
                                               (file.ContentSha256 is null ? "" : $" (or gunzipped content {file.ContentSha256})") +
                                               ". The download was deleted; the server or mirror serves a different or corrupt file.");
                File.Move(temp, final, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            progress?.Report(new FetchProgress(file.FileName, FetchState.Verified, new FileInfo(final).Length, null));
            results.Add((final, true));
        }
        return new FetchResult(dataset.Name, Path.GetFullPath(targetDirectory), results);
    }

    private static Uri ResolveBase(KnownDataset dataset, Uri? mirrorBase)
    {
        if (mirrorBase is null && Environment.GetEnvironmentVariable(MirrorVariable) is { Length: > 0 } env)
        {
            if (!Uri.TryCreate(env, UriKind.Absolute, out mirrorBase))
                throw new DatasetException($"{MirrorVariable}='{env}' is not an absolute URL (e.g. http://host/datasets/).");
        }
        if (mirrorBase is null) return dataset.BaseUri;
        string root = mirrorBase.AbsoluteUri.EndsWith('/') ? mirrorBase.AbsoluteUri : mirrorBase.AbsoluteUri + "/";
        return new Uri(new Uri(root), dataset.Name + "/");
    }

    private async Task DownloadAsync(Uri uri, string path, string fileName, IProgress<FetchProgress>? progress, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DatasetException($"{uri}: download failed ({e.Message}). Check the network, or point {MirrorVariable} at a mirror.", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new DatasetException($"{uri}: server answered {(int)response.StatusCode} {response.ReasonPhrase}. Try again later or point {MirrorVariable} at a mirror.");
            long? total = response.Content.Headers.ContentLength;
            await using var source = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long received = 0, lastReport = 0;
            int n;
            while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                received += n;
                if (received - lastReport >= 1 << 20)
                {
                    lastReport = received;
                    progress?.Report(new FetchProgress(fileName, FetchState.Downloading, received, total));
                }
            }
            progress?.Report(new FetchProgress(fileName, FetchState.Downloading, received, total));
        }
    }

    /// <summary>Returns null when the file matches, else the file's actual SHA-256.</summary>
    public static async Task<string?> VerifyAsync(string path, KnownFile file, CancellationToken ct = default)
    {
        string actual;
        await using (var s = File.OpenRead(path))
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(s, ct).ConfigureAwait(false));
        if (file.Sha256.Contains(actual, StringComparer.OrdinalIgnoreCase)) return null;
        if (file.ContentSha256 is null) return actual;
        try
        {
            await using var s = File.OpenRead(path);
            await using var gz = new GZipStream(s, CompressionMode.Decompress);
            string content = Convert.ToHexStringLower(await SHA256.HashDataAsync(gz, ct).ConfigureAwait(false));
            return string.Equals(content, file.ContentSha256, StringComparison.OrdinalIgnoreCase) ? null : actual;
        }
        catch (InvalidDataException)
        {
            return actual; // not gzip at all
        }
    }
}
