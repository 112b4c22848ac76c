using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class DatasetFetcherTests
{
    [SharedDataFact]
    public async Task Fetch_from_a_loopback_mirror_downloads_and_verifies_all_mnist_files()
    {
        // Prepare
        using var server = new LoopbackFileServer(SharedDatasets.PathOf());
        string target = TestData.TempDir();
        var reports = new List<FetchProgress>();
        var fetcher = new DatasetFetcher();

        // Execute
        FetchResult result, again;
        try
        {
            result = await fetcher.FetchAsync("mnist", target, server.BaseUri, new SyncProgress(reports.Add));
            again = await fetcher.FetchAsync("mnist", target, server.BaseUri);
            Assert.Equal(60_000, IdxReader.LoadFolder(target, "mnist").Train.Count);
            foreach (var f in DatasetFetcher.Find("mnist").Files)
                Assert.Equal(f.Sha256[0], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(target, f.FileName)))));
            Assert.Empty(Directory.GetFiles(target, "*.part-*"));
        }
        finally
        {
            Directory.Delete(target, recursive: true);  // 11 MB per run
        }

        // Assert
        Assert.Equal(4, result.Files.Count);
        Assert.All(result.Files, f => Assert.True(f.Downloaded));
        Assert.All(again.Files, f => Assert.False(f.Downloaded));  // verified files are not downloaded twice
        Assert.Equal(4, server.Requests);
        Assert.Equal(4, reports.Count(r => r.State == FetchState.Verified));
    }

    [SharedDataFact]
    public async Task Corrupted_download_fails_with_a_checksum_error_and_leaves_no_file()
    {
        // Prepare
        using var server = new LoopbackFileServer(SharedDatasets.PathOf(), corrupt: "t10k-labels-idx1-ubyte.gz");
        string target = TestData.TempDir();

        // Execute
        var e = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher().FetchAsync("mnist", target, server.BaseUri));

        // Assert
        try
        {
            Assert.Contains("checksum mismatch", e.Message);
            Assert.Contains("t10k-labels-idx1-ubyte.gz", e.Message);
            Assert.False(File.Exists(Path.Combine(target, "t10k-labels-idx1-ubyte.gz")));
            Assert.Empty(Directory.GetFiles(target, "*.part-*"));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public async Task Re_compressed_file_is_accepted_by_its_content_hash()
    {
        // Prepare: the same bytes gzipped differently have another file hash but the same content hash.
        string dir = TestData.TempDir();
        var content = TestData.IdxLabels(1, 2, 3);
        string path = Path.Combine(dir, "labels.gz");
        File.WriteAllBytes(path, TestData.Gzip(content));
        var known = new KnownFile("labels.gz", ["00"], Convert.ToHexStringLower(SHA256.HashData(content)));
        var wrong = known with { ContentSha256 = new string('0', 64) };

        // Execute
        var ok = await DatasetFetcher.VerifyAsync(path, known);
        var bad = await DatasetFetcher.VerifyAsync(path, wrong);

        // Assert
        Assert.Null(ok);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), bad);
    }

    [FashionMnistFact]
    public async Task Registry_hashes_match_the_debian_fashion_mnist_files()
    {
        // Prepare
        var files = DatasetFetcher.Find("fashion-mnist").Files;

        // Execute
        var results = await Task.WhenAll(files.Select(f => DatasetFetcher.VerifyAsync(Path.Combine(SharedDatasets.FashionMnistFolder, f.FileName), f)));

        // Assert
        Assert.All(results, Assert.Null);
    }

    [SharedDataFact]
    public async Task Registry_content_hashes_match_the_shared_mnist_files_whatever_their_compression()
    {
        // Prepare: drop the file hashes so only the gunzipped-content hash can accept the file.
        var files = DatasetFetcher.Find("mnist").Files.Select(f => f with { Sha256 = [] }).ToList();

        // Execute
        var results = await Task.WhenAll(files.Select(f => DatasetFetcher.VerifyAsync(SharedDatasets.PathOf("mnist", f.FileName), f)));

        // Assert
        Assert.All(results, Assert.Null);
    }

    [SharedDataFact]
    public async Task Registry_hashes_match_the_pinned_shared_adult_files()
    {
        // Prepare: SHA256SUMS pins the shared copies; the registry must hold the same values.
        var pinned = File.ReadAllLines(SharedDatasets.PathOf("SHA256SUMS"))
            .Select(l => l.Split("  ", 2)).ToDictionary(p => p[1], p => p[0]);
        var files = DatasetFetcher.Find("adult").Files;

        // Execute
        var results = await Task.WhenAll(files.Select(f => DatasetFetcher.VerifyAsync(SharedDatasets.PathOf("adult", f.FileName), f)));

        // Assert
        Assert.All(results, Assert.Null);
        Assert.All(files, f => Assert.Equal(pinned["./adult/" + f.FileName], Assert.Single(f.Sha256)));
    }

    [SharedDataFact]
    public async Task Data_fetch_adult_through_the_cli_downloads_files_the_reader_loads()
    {
        // Prepare
        using var server = new LoopbackFileServer(SharedDatasets.PathOf());
        string target = TestData.TempDir();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        // Execute
        int exit;
        DatasetSplit split;
        try
        {
            exit = await FedSim.Scenarios.Cli.FedSimCli.RunAsync(["data", "fetch", "adult", "--to", target, "--mirror", server.BaseUri.AbsoluteUri], stdout, stderr);
            split = AdultReader.LoadFolder(target);
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }

        // Assert
        Assert.Equal(0, exit);
        Assert.Equal("", stderr.ToString());
        Assert.Contains("Fetched adult", stdout.ToString());
        Assert.Equal(32_561, split.Train.Count);
        Assert.Equal(16_281, split.Test.Count);
    }

    [Fact]
    public async Task Unknown_dataset_name_lists_the_known_ones()
    {
        // Prepare / Execute
        var e = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher().FetchAsync("cifar10", TestData.TempDir()));

        // Assert
        Assert.Contains("cifar10", e.Message);
        Assert.Contains("mnist", e.Message);
        Assert.Contains("fashion-mnist", e.Message);
        Assert.Contains("adult", e.Message);
    }

    private sealed class SyncProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => report(value);
    }

    /// <summary>Serves a folder over HTTP on 127.0.0.1 (optionally with one file corrupted) for fetcher tests.</summary>
    private sealed class LoopbackFileServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _root;
        private readonly string? _corrupt;
        private readonly Task _loop;
        private int _requests;

        public LoopbackFileServer(string root, string? corrupt = null)
        {
            _root = root;
            _corrupt = corrupt;
            int port = FreePort();
            BaseUri = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(BaseUri.AbsoluteUri);
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public Uri BaseUri { get; }
        public int Requests => Volatile.Read(ref _requests);

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref _requests);
                string rel = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath.TrimStart('/'));
                string path = Path.GetFullPath(Path.Combine(_root, rel));
                if (!path.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(path))
                {
                    ctx.Response.StatusCode = 404;
                    ctx.Response.Close();
                    continue;
                }
                var bytes = await File.ReadAllBytesAsync(path);
                if (Path.GetFileName(path) == _corrupt) bytes[bytes.Length / 2] ^= 0xFF;
                ctx.Response.ContentLength64 = bytes.Length;
                await ctx.Response.OutputStream.WriteAsync(bytes);
                ctx.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        }
    }
}
