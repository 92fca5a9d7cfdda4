using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace RingCentralOAuthFunctions.Tests.Database;

/// <summary>
/// A fact that needs PostgreSQL 15: skipped with install instructions where it is missing, failed instead under
/// <c>REQUIRE_POSTGRES=1</c> (CI).
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresFixture.SkipReason() is { } reason) Skip = reason;
    }
}

/// <summary>The theory form of <see cref="PostgresFactAttribute"/>.</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PostgresFixture.SkipReason() is { } reason) Skip = reason;
    }
}

/// <summary>The tests that need a real PostgreSQL share one throwaway server (<see cref="PostgresFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}

/// <summary>
/// A throwaway PostgreSQL 15 (Debian's <c>postgresql-15</c>): <c>initdb</c> into a temp directory, the server on a
/// free loopback port with its unix socket in that directory, run as the <c>postgres</c> system user when the tests
/// run as root (initdb and postgres refuse root). One database holds the ERP's schema (<c>erp-schema.sql</c>) and every
/// file of <c>supabase/migrations</c> applied in name order, twice (a migration must survive being applied again).
/// Stopped and deleted on dispose.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const string Database = "erp";

    private string _root = "";
    private Process? _server;
    private readonly List<string> _serverOutput = [];

    public string ConnectionString { get; private set; } = "";

    /// <summary>The migration files applied, in order (file names).</summary>
    public IReadOnlyList<string> Migrations { get; private set; } = [];

    public static string MigrationsDirectory => Path.Combine(AppContext.BaseDirectory, "migrations");

    public const string RequireVariable = "REQUIRE_POSTGRES";

    private static bool Installed => File.Exists(Path.Combine(BinDirectory, "initdb")) && File.Exists(Path.Combine(BinDirectory, "postgres"));

    /// <summary>Why the PostgreSQL tests are skipped here, or null when they run (installed, or required).</summary>
    public static string? SkipReason() =>
        Installed || Environment.GetEnvironmentVariable(RequireVariable) == "1"
            ? null
            : $"PostgreSQL 15 is not installed ({BinDirectory}): apt-get install postgresql-15. (With {RequireVariable}=1 this is a failure, not a skip.)";

    public async Task InitializeAsync()
    {
        if (SkipReason() is not null) return; // every test of the collection is skipped
        if (!Installed)
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinDirectory}); install the Debian package postgresql-15 (bash .ci/run does).");

        _root = Path.Combine(Path.GetTempPath(), "rc-oauth-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_root);
        var data = Path.Combine(_root, "data");
        if (IsRoot) await RunAsync("chown", ["-R", "postgres:postgres", _root]);

        await RunAsync(Tool("initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"], asPostgres: true);

        var port = FreePort();
        var start = StartInfo(Tool("postgres"), ["-D", data, "-p", port.ToString(), "-k", _root, "-h", "127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=50"], asPostgres: true);
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_serverOutput) _serverOutput.Add(e.Data); };
        _server.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_serverOutput) _serverOutput.Add(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        var admin = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=5";
        await WaitUntilReadyAsync(admin);
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {Database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database={Database};Timeout=10;Command Timeout=30;Maximum Pool Size=40";
        await ExecuteFileAsync(Path.Combine(AppContext.BaseDirectory, "Database", "erp-schema.sql"));
        var files = Directory.GetFiles(MigrationsDirectory, "*.sql").OrderBy(Path.GetFileName, StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidOperationException("no migration found in " + MigrationsDirectory);
        Migrations = files.Select(f => Path.GetFileNameWithoutExtension(f)!).ToList();
        foreach (var file in files) await ExecuteFileAsync(file);
        foreach (var file in files) await ExecuteFileAsync(file); // again: every migration is idempotent
    }

    /// <summary>Runs a whole SQL file (several statements) as the owner, as the Supabase CLI or the SQL editor would.</summary>
    public async Task ExecuteFileAsync(string path)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(await File.ReadAllTextAsync(path), connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A new connection as <c>postgres</c> (the owner of the schema, as Supabase's migration role).</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A new connection that acts as <paramref name="role"/> (<c>service_role</c>, <c>anon</c>, <c>authenticated</c>), as PostgREST does.</summary>
    public async Task<NpgsqlConnection> OpenAsAsync(string role, Guid? jwtSubject = null)
    {
        var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select set_config('request.jwt.claim.sub', @sub, false); set role {role};", connection);
        command.Parameters.AddWithValue("sub", jwtSubject?.ToString() ?? "");
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    /// <summary>Adds a Supabase Auth user (the ERP's tables reference <c>auth.users</c>).</summary>
    public async Task<Guid> NewUserAsync()
    {
        var id = Guid.NewGuid();
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("insert into auth.users (id, email) values (@id, @email)", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("email", $"{id:N}@rebar.test");
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is { HasExited: false })
        {
            try
            {
                await RunAsync(Tool("pg_ctl"), ["stop", "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "-t", "20"], asPostgres: true);
            }
            catch (InvalidOperationException)
            {
                // fall through to killing it
            }

            if (!_server.WaitForExit(TimeSpan.FromSeconds(20))) _server.Kill(entireProcessTree: true);
        }

        _server?.Dispose();
        if (_root.Length > 0 && Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>As root: the same program under <c>setpriv</c> as the <c>postgres</c> user (exec, so the pid is the program's own).</summary>
    private static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, bool asPostgres)
    {
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres && IsRoot)
        {
            info.FileName = "setpriv";
            foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", program }) info.ArgumentList.Add(a);
        }
        else
        {
            info.FileName = program;
        }

        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["LC_ALL"] = "C";
        return info;
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments, bool asPostgres = false)
    {
        using var process = Process.Start(StartInfo(program, arguments, asPostgres))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await output}\n{await error}");
    }

    private async Task WaitUntilReadyAsync(string connectionString)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException && DateTime.UtcNow < deadline && _server is { HasExited: false })
            {
                await Task.Delay(100);
            }
            catch (Exception ex)
            {
                string log;
                lock (_serverOutput) log = string.Join('\n', _serverOutput);
                throw new InvalidOperationException("PostgreSQL did not start: " + ex.Message + "\n" + log, ex);
            }
        }
    }

    private static int FreePort() => FunctionsTestHost.FunctionsTestHost.FreePort();
}
