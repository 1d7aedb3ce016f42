using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace ThermalPlant.Storage.WideRows;

/// <summary>
/// Writes rows into a configured wide table. <see cref="PrepareAsync"/> creates the table when asked to and then
/// checks that it has every configured column with a type that holds the values, so a misspelt column is an error
/// at start rather than a failed insert every cycle. Every name is quoted, so configuration is never SQL.
/// A table it creates has the timestamp as primary key, which makes a row written again after a lost commit one row.
/// </summary>
public sealed class WideRowTable
{
    // Types a double converts to on INSERT (assignment casts), plus boolean, which gets value != 0.
    private static readonly HashSet<string> NumericTypes = new(StringComparer.Ordinal)
    {
        "double precision", "real", "numeric", "smallint", "integer", "bigint",
    };

    private readonly NpgsqlDataSource _dataSource;
    private readonly WideRowTableDefinition _definition;
    private string? _insert;
    private NpgsqlDbType _timestampType = NpgsqlDbType.TimestampTz;
    private bool[] _boolean = [];

    /// <summary>A writer for <paramref name="definition"/>; nothing is sent before <see cref="PrepareAsync"/>.</summary>
    public WideRowTable(NpgsqlDataSource dataSource, WideRowTableDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(definition);
        var problems = definition.Validate("table").ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems), nameof(definition));
        _dataSource = dataSource;
        _definition = definition;
    }

    /// <summary>The table's name as written in SQL (quoted, with its schema when one is configured).</summary>
    public string QualifiedName => _definition.Schema is null
        ? PgIdentifier.Quote(_definition.Table)
        : PgIdentifier.Quote(_definition.Schema) + "." + PgIdentifier.Quote(_definition.Table);

    /// <summary>
    /// Creates the table when <paramref name="create"/> is set and it does not exist, then checks its columns.
    /// </summary>
    /// <exception cref="WideRowTableException">The table is missing, lacks a column, or a column's type cannot hold the values.</exception>
    public async Task PrepareAsync(bool create, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (create)
        {
            await using var command = new NpgsqlCommand(CreateSql(), connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var types = await ColumnTypesAsync(connection, cancellationToken);
        if (types.Count == 0)
        {
            throw new WideRowTableException($"the wide-row table {QualifiedName} does not exist; create it or let the scraper create it (CreateTable)");
        }
        var problems = new List<string>();
        if (!types.TryGetValue(_definition.TimestampColumn, out var timestampType))
        {
            problems.Add($"no column {PgIdentifier.Quote(_definition.TimestampColumn)} for the timestamp");
        }
        else if (timestampType is not ("timestamp with time zone" or "timestamp without time zone"))
        {
            problems.Add($"the timestamp column {PgIdentifier.Quote(_definition.TimestampColumn)} is {timestampType}, not a timestamp");
        }
        var boolean = new bool[_definition.Columns.Count];
        for (var i = 0; i < _definition.Columns.Count; i++)
        {
            var name = _definition.Columns[i];
            if (!types.TryGetValue(name, out var type)) problems.Add($"no column {PgIdentifier.Quote(name)}");
            else if (type == "boolean") boolean[i] = true;
            else if (!NumericTypes.Contains(type)) problems.Add($"column {PgIdentifier.Quote(name)} is {type}, which cannot hold a number");
        }
        if (problems.Count > 0) throw new WideRowTableException($"the wide-row table {QualifiedName} does not fit the configuration: {string.Join("; ", problems)}");

        // A timestamp without time zone gets the UTC wall time: converting through the session's time zone would shift it.
        _timestampType = timestampType == "timestamp with time zone" ? NpgsqlDbType.TimestampTz : NpgsqlDbType.Timestamp;
        _boolean = boolean;
        _insert = InsertSql();
    }

    /// <summary>Inserts <paramref name="rows"/> in one transaction, in order; a row whose timestamp the table already holds (primary key) is skipped.</summary>
    /// <exception cref="InvalidOperationException"><see cref="PrepareAsync"/> has not succeeded yet.</exception>
    public async Task InsertAsync(IReadOnlyList<WideRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sql = _insert ?? throw new InvalidOperationException("PrepareAsync must succeed before rows are inserted");
        if (rows.Count == 0) return;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        var timestamp = command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = _timestampType });
        var values = new NpgsqlParameter[_definition.Columns.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = _boolean[i] ? NpgsqlDbType.Boolean : NpgsqlDbType.Double });
        }
        foreach (var row in rows)
        {
            if (row.Values.Count != values.Length) throw new ArgumentException($"a row has {row.Values.Count} values for {values.Length} columns", nameof(rows));
            var utc = DateTime.SpecifyKind(row.Timestamp, DateTimeKind.Utc);
            timestamp.Value = _timestampType == NpgsqlDbType.TimestampTz ? utc : DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);
            for (var i = 0; i < values.Length; i++)
            {
                values[i].Value = row.Values[i] switch
                {
                    null => DBNull.Value,
                    var v when _boolean[i] => v.Value != 0,
                    var v => v.Value,
                };
            }
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private string CreateSql()
    {
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE IF NOT EXISTS {QualifiedName} ({PgIdentifier.Quote(_definition.TimestampColumn)} timestamptz NOT NULL PRIMARY KEY");
        foreach (var column in _definition.Columns) sql.Append(CultureInfo.InvariantCulture, $", {PgIdentifier.Quote(column)} double precision");
        return sql.Append(')').ToString();
    }

    private string InsertSql()
    {
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO {QualifiedName} ({PgIdentifier.Quote(_definition.TimestampColumn)}");
        foreach (var column in _definition.Columns) sql.Append(", ").Append(PgIdentifier.Quote(column));
        sql.Append(") VALUES ($1");
        for (var i = 0; i < _definition.Columns.Count; i++) sql.Append(CultureInfo.InvariantCulture, $", ${i + 2}");
        // Without a conflict target this skips a row only where a unique index (the created table's key) says it is stored.
        return sql.Append(") ON CONFLICT DO NOTHING").ToString();
    }

    private async Task<Dictionary<string, string>> ColumnTypesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2
            """;
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)_definition.Schema ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = _definition.Table });
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) types[reader.GetString(0)] = reader.GetString(1);
        return types;
    }
}
