using Npgsql;

namespace CallEvents.TestSupport;

/// <summary>A row of the PostgreSQL membership table (<c>orleansmembershiptable</c>).</summary>
/// <param name="Address">The advertised address.</param>
/// <param name="Port">The silo port.</param>
/// <param name="ProxyPort">The gateway port (0: none).</param>
/// <param name="Status">3 is Active, 6 Dead.</param>
public sealed record MembershipRow(string Address, int Port, int ProxyPort, int Status)
{
    /// <summary>The status of an active silo.</summary>
    public const int Active = 3;

    /// <summary>The rows of one cluster.</summary>
    public static async Task<IReadOnlyList<MembershipRow>> ReadAsync(string connectionString, string clusterId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT address, port, coalesce(proxyport, 0), status FROM orleansmembershiptable WHERE deploymentid = @id", connection);
        command.Parameters.AddWithValue("id", clusterId);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var rows = new List<MembershipRow>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            rows.Add(new MembershipRow(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3)));
        }

        return rows;
    }
}
