using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace CallEvents.TestSupport;

/// <summary>
/// A PostgreSQL server for tests: either a throwaway cluster started from the local PostgreSQL
/// binaries, or an existing server named by the environment variable
/// <see cref="ExternalServerVariable"/>.
/// </summary>
/// <remarks>
/// <para>A throwaway cluster is created with <c>initdb</c> in a fresh temporary directory (trust
/// authentication, user <c>postgres</c>, UTF8, no fsync) and listens on a free port of 127.0.0.1.
/// When the tests run as root, <c>initdb</c> and <c>pg_ctl</c> run as the <c>postgres</c> OS user
/// (PostgreSQL refuses to run as root). <see cref="DisposeAsync"/> stops the server and deletes the
/// directory; a process-exit handler stops it as well if a test run ends without disposing.</para>
/// <para>With an external server, <see cref="CanRestart"/> is <see langword="false"/> and the
/// databases created by <see cref="CreateDatabaseAsync"/> are dropped on dispose.</para>
/// </remarks>
public sealed partial class PostgresServer : IAsyncDisposable
{
    /// <summary>
    /// Environment variable with a connection string to an existing server (a user with CREATEDB);
    /// when set, no server is started.
    /// </summary>
    public const string ExternalServerVariable = "CALLEVENTS_TEST_POSTGRES";

    private const string SuperUser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly LocalCluster? _cluster;
    private readonly List<string> _createdDatabases = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    private PostgresServer(string adminConnectionString, int port, LocalCluster? cluster)
    {
        AdminConnectionString = adminConnectionString;
        Port = port;
        _cluster = cluster;
    }

    /// <summary>Connection string of the superuser (or the external user) to the maintenance database.</summary>
    public string AdminConnectionString { get; }

    /// <summary>TCP port the server listens on (127.0.0.1 for a started cluster).</summary>
    public int Port { get; }

    /// <summary>
    /// Whether <see cref="StopAsync"/> and <see cref="StartAsync"/> are supported: true for a
    /// cluster this class started, false for an external server.
    /// </summary>
    public bool CanRestart => _cluster is not null;

    /// <summary>
    /// Uses the server named by <see cref="ExternalServerVariable"/> if that variable is set,
    /// and otherwise initialises and starts a throwaway cluster.
    /// </summary>
    /// <exception cref="InvalidOperationException">No PostgreSQL binaries were found, or the server
    /// did not start (the message includes the end of the server log).</exception>
    public static async Task<PostgresServer> CreateAsync()
    {
        var external = Environment.GetEnvironmentVariable(ExternalServerVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            try
            {
                return External(external);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException(
                    $"{ExternalServerVariable} is not a valid Npgsql connection string: {ex.Message}", ex);
            }
        }

        var cluster = await LocalCluster.CreateAndStartAsync().ConfigureAwait(false);
        return new PostgresServer(cluster.AdminConnectionString, cluster.Port, cluster);
    }

    /// <summary>
    /// An existing server, used as it is (what <see cref="ExternalServerVariable"/> selects): it is never stopped or
    /// started (<see cref="CanRestart"/> is false), and the databases created through this instance are dropped on
    /// dispose. Any running server can stand in for one, so external mode can be tested without one.
    /// </summary>
    /// <param name="connectionString">A connection string of a user with CREATEDB rights.</param>
    /// <exception cref="ArgumentException">It is not a valid Npgsql connection string.</exception>
    public static PostgresServer External(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new PostgresServer(builder.ConnectionString, builder.Port, cluster: null);
    }

    /// <summary>
    /// Creates a new database with a unique name that starts with <paramref name="namePrefix"/>
    /// and returns a connection string to it (same server and user as <see cref="AdminConnectionString"/>).
    /// </summary>
    /// <param name="namePrefix">Readable start of the name; characters other than a-z, 0-9 and _ are dropped.</param>
    public async Task<string> CreateDatabaseAsync(string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(namePrefix);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var prefix = NotIdentifierCharacters().Replace(namePrefix.ToLowerInvariant(), string.Empty);
        if (prefix.Length == 0 || !char.IsAsciiLetterLower(prefix[0]))
        {
            prefix = "db_" + prefix;
        }

        // PostgreSQL identifiers have at most 63 bytes: up to 40 of the prefix, "_", 12 random hex digits.
        var name = $"{prefix[..Math.Min(prefix.Length, 40)]}_{Guid.NewGuid().ToString("N")[..12]}";

        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        lock (_gate)
        {
            _createdDatabases.Add(name);
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m fast</c>), e.g. to test behaviour during an outage.</summary>
    /// <exception cref="InvalidOperationException">The server is external (<see cref="CanRestart"/> is false).</exception>
    public async Task StopAsync()
    {
        var cluster = RequireCluster(nameof(StopAsync));
        await cluster.StopAsync("fast").ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>
    /// Stops the server the way a crash would (<c>pg_ctl stop -m immediate</c>: no checkpoint, transactions in flight
    /// aborted, recovery on the next start).
    /// </summary>
    /// <exception cref="InvalidOperationException">The server is external (<see cref="CanRestart"/> is false).</exception>
    public async Task KillAsync()
    {
        var cluster = RequireCluster(nameof(KillAsync));
        await cluster.StopAsync("immediate").ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts a stopped server again, on the same port and data directory.</summary>
    /// <exception cref="InvalidOperationException">The server is external (<see cref="CanRestart"/> is false),
    /// or it did not start.</exception>
    public async Task StartAsync()
    {
        var cluster = RequireCluster(nameof(StartAsync));
        await cluster.StartAsync().ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>
    /// Stops a started cluster immediately and deletes its directory; for an external server,
    /// drops the databases this instance created.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NpgsqlConnection.ClearAllPools();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
            return;
        }

        string[] databases;
        lock (_gate)
        {
            databases = [.. _createdDatabases];
        }

        await DropDatabasesAsync(databases).ConfigureAwait(false);
    }

    private LocalCluster RequireCluster(string operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _cluster ?? throw new InvalidOperationException(
            $"{operation} is not supported for the external PostgreSQL server given by {ExternalServerVariable}; "
            + $"check {nameof(CanRestart)} before stopping or starting the server.");
    }

    private async Task DropDatabasesAsync(IEnumerable<string> databases)
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            foreach (var database in databases)
            {
                // WITH (FORCE) (PostgreSQL 13+) ends sessions that tests left open.
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        catch (NpgsqlException)
        {
            // Best effort: the databases have unique names and do not affect later runs.
        }
    }

    [GeneratedRegex("[^a-z0-9_]")]
    private static partial Regex NotIdentifierCharacters();

    /// <summary>A cluster created by initdb in a temporary directory and run with pg_ctl.</summary>
    private sealed class LocalCluster : IAsyncDisposable
    {
        private const int StartAttempts = 3;

        private readonly PostgresBinaries _binaries;
        private readonly string _baseDirectory;
        private readonly string _dataDirectory;
        private readonly string _logFile;
        private readonly Lock _stateGate = new();
        private bool _running;
        private bool _disposed;

        private LocalCluster(PostgresBinaries binaries, string baseDirectory)
        {
            _binaries = binaries;
            _baseDirectory = baseDirectory;
            _dataDirectory = Path.Combine(baseDirectory, "data");
            _logFile = Path.Combine(baseDirectory, "server.log");
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }

        public int Port { get; private set; }

        public string AdminConnectionString => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = SuperUser,
            Database = "postgres",
            Timeout = 5,
            CommandTimeout = 60,
            IncludeErrorDetail = true,
        }.ConnectionString;

        public static async Task<LocalCluster> CreateAndStartAsync()
        {
            var binaries = PostgresBinaries.Find();

            // As root, the postgres user must be able to reach and own the directory: /tmp is
            // world-traversable, unlike e.g. /root.
            var tempRoot = binaries.RunAsPostgres ? "/tmp" : Path.GetTempPath();
            var baseDirectory = Path.Combine(tempRoot, "callevents-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(baseDirectory);
            var cluster = new LocalCluster(binaries, baseDirectory);
            try
            {
                if (binaries.RunAsPostgres)
                {
                    await RunAsync("chown", [SuperUser, baseDirectory], "chown the PostgreSQL test directory").ConfigureAwait(false);
                }

                await cluster.RunToolAsync(
                    binaries.InitDb,
                    ["-D", cluster._dataDirectory, "-U", SuperUser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                    "initdb").ConfigureAwait(false);

                for (var attempt = 1; ; attempt++)
                {
                    cluster.Port = FreePort.Get();
                    try
                    {
                        await cluster.StartAsync().ConfigureAwait(false);
                        return cluster;
                    }
                    catch (InvalidOperationException ex) when (attempt < StartAttempts && ex.Message.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
                    {
                        // Another process took the port between FreePort.Get() and the bind; pick another.
                    }
                }
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async Task StartAsync()
        {
            var options = string.Join(
                ' ',
                $"-p {Port.ToString(CultureInfo.InvariantCulture)}",
                $"-k {_baseDirectory}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
                "-c max_parallel_workers_per_gather=0");
            var logLength = File.Exists(_logFile) ? new FileInfo(_logFile).Length : 0;
            try
            {
                await RunToolAsync(
                    _binaries.PgCtl,
                    ["start", "-w", "-t", "60", "-D", _dataDirectory, "-l", _logFile, "-o", options],
                    "pg_ctl start").ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                throw new InvalidOperationException(
                    $"{ex.Message}{Environment.NewLine}--- end of {_logFile} ---{Environment.NewLine}{ReadLogTail(logLength)}", ex);
            }

            lock (_stateGate)
            {
                _running = true;
            }
        }

        public async Task StopAsync(string mode)
        {
            await RunToolAsync(_binaries.PgCtl, ["stop", "-w", "-t", "60", "-D", _dataDirectory, "-m", mode], "pg_ctl stop")
                .ConfigureAwait(false);
            lock (_stateGate)
            {
                _running = false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            lock (_stateGate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }

            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            try
            {
                if (IsRunning())
                {
                    await StopAsync("immediate").ConfigureAwait(false);
                }
            }
            finally
            {
                DeleteDirectory();
            }
        }

        private bool IsRunning()
        {
            lock (_stateGate)
            {
                return _running || File.Exists(Path.Combine(_dataDirectory, "postmaster.pid"));
            }
        }

        private void OnProcessExit(object? sender, EventArgs e)
        {
            // Backstop for a test run that ends without disposing: never leave a postmaster behind.
            try
            {
                if (IsRunning())
                {
                    var (fileName, arguments) = _binaries.Command(
                        _binaries.PgCtl, ["stop", "-w", "-t", "10", "-D", _dataDirectory, "-m", "immediate"]);
                    using var process = Process.Start(CreateStartInfo(fileName, arguments));
                    process?.WaitForExit(TimeSpan.FromSeconds(15));
                }

                DeleteDirectory();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                // Nothing more can be done while the process exits.
            }
        }

        private void DeleteDirectory()
        {
            try
            {
                if (Directory.Exists(_baseDirectory))
                {
                    Directory.Delete(_baseDirectory, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover directory under /tmp is harmless.
            }
        }

        private string ReadLogTail(long from)
        {
            try
            {
                var text = File.ReadAllText(_logFile);
                if (from > 0 && from < text.Length)
                {
                    text = text[(int)from..];
                }

                return text.Length > 4000 ? text[^4000..] : text;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"(server log unreadable: {ex.Message})";
            }
        }

        private Task RunToolAsync(string tool, IReadOnlyList<string> arguments, string description)
        {
            var (fileName, fullArguments) = _binaries.Command(tool, arguments);
            return RunAsync(fileName, fullArguments, description);
        }
    }

    /// <summary>Locations of initdb and pg_ctl, and whether they must run as the postgres user.</summary>
    private sealed record PostgresBinaries(string InitDb, string PgCtl, bool RunAsPostgres, string? RunUser)
    {
        private const string DebianRoot = "/usr/lib/postgresql";

        private static readonly string[] RunUserLocations = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"];

        public static PostgresBinaries Find()
        {
            var directory = FindOnPath() ?? FindDebianVersion() ?? throw new InvalidOperationException(
                "No PostgreSQL server binaries (initdb, pg_ctl) were found on PATH or under "
                + $"{DebianRoot}/<version>/bin. Install the Debian/Ubuntu package 'postgresql' "
                + $"(apt-get install postgresql), or set {ExternalServerVariable} to a connection string "
                + "of an existing server whose user may create databases.");

            var runAsPostgres = Environment.UserName == "root";
            string? runUser = null;
            if (runAsPostgres)
            {
                runUser = RunUserLocations.FirstOrDefault(File.Exists);
                if (runUser is null && !File.Exists("/usr/bin/su") && !File.Exists("/bin/su"))
                {
                    throw new InvalidOperationException(
                        "The tests run as root, and PostgreSQL refuses to run as root, but neither runuser nor su "
                        + $"is available to switch to the '{SuperUser}' user. Run the tests as another user or set {ExternalServerVariable}.");
                }
            }

            return new PostgresBinaries(
                Path.Combine(directory, "initdb"), Path.Combine(directory, "pg_ctl"), runAsPostgres, runUser);
        }

        /// <summary>The command line that runs a tool, switching to the postgres user when needed.</summary>
        public (string FileName, IReadOnlyList<string> Arguments) Command(string tool, IReadOnlyList<string> arguments)
        {
            if (!RunAsPostgres)
            {
                return (tool, arguments);
            }

            if (RunUser is not null)
            {
                return (RunUser, ["-u", SuperUser, "--", tool, .. arguments]);
            }

            var shellCommand = string.Join(' ', new[] { tool }.Concat(arguments).Select(QuoteForShell));
            return ("su", [SuperUser, "-s", "/bin/sh", "-c", shellCommand]);
        }

        private static string QuoteForShell(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

        private static string? FindOnPath() =>
            (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .FirstOrDefault(HasServerTools);

        private static string? FindDebianVersion()
        {
            if (!Directory.Exists(DebianRoot))
            {
                return null;
            }

            return Directory.EnumerateDirectories(DebianRoot)
                .Select(path => (Path: Path.Combine(path, "bin"), Version: ParseVersion(Path.GetFileName(path))))
                .Where(candidate => candidate.Version is not null && HasServerTools(candidate.Path))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Path)
                .FirstOrDefault();
        }

        private static Version? ParseVersion(string name) =>
            Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version) ? version : null;

        private static bool HasServerTools(string directory) =>
            File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));
    }

    private static ProcessStartInfo CreateStartInfo(string fileName, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Messages in English, whatever the machine's locale, so failures can be matched and read.
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";
        return startInfo;
    }

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, string description)
    {
        using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments) };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException(
                $"{description} did not finish within {CommandTimeout.TotalSeconds} s: {fileName} {string.Join(' ', arguments)}{Environment.NewLine}{Snapshot()}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{description} failed with exit code {process.ExitCode}: {fileName} {string.Join(' ', arguments)}{Environment.NewLine}{Snapshot()}");
        }

        void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }
        }

        string Snapshot()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }
}
