using System.Collections.Concurrent;
using Dapper;
using Npgsql;

namespace ThermalPlant.Storage.Writing;

/// <summary>
/// Maps tags to their ids in the <c>tags</c> table, inserting the ones the database does not know yet.
/// Ids never change, so they are cached for the life of the resolver: a batch of known tags costs no query.
/// </summary>
public sealed class TagResolver
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ConcurrentDictionary<TagKey, int> _ids = new();

    /// <summary>A resolver over the tags table <paramref name="dataSource"/> connects to.</summary>
    public TagResolver(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <summary>How many tags are cached.</summary>
    public int Count => _ids.Count;

    /// <summary>The id of one tag.</summary>
    public async ValueTask<int> ResolveAsync(TagKey tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (_ids.TryGetValue(tag, out var id)) return id;
        await UpsertAsync([tag], cancellationToken);
        return _ids[tag];
    }

    /// <summary>Writes the tag id of each sample into <paramref name="ids"/>, at the same index.</summary>
    public async ValueTask ResolveAsync(ReadOnlyMemory<Sample> samples, Memory<int> ids, CancellationToken cancellationToken)
    {
        if (ids.Length < samples.Length) throw new ArgumentException("ids is shorter than samples.", nameof(ids));
        var unknown = Fill(samples.Span, ids.Span);
        if (unknown is null) return;
        await UpsertAsync(unknown, cancellationToken);
        Fill(samples.Span, ids.Span);
    }

    private HashSet<TagKey>? Fill(ReadOnlySpan<Sample> samples, Span<int> ids)
    {
        HashSet<TagKey>? unknown = null;
        for (var i = 0; i < samples.Length; i++)
        {
            var tag = samples[i].Tag ?? throw new ArgumentException($"Sample {i} has no tag.", nameof(samples));
            if (_ids.TryGetValue(tag, out var id))
            {
                ids[i] = id;
            }
            else
            {
                (unknown ??= []).Add(tag);
            }
        }
        return unknown;
    }

    private async Task UpsertAsync(IReadOnlyCollection<TagKey> tags, CancellationToken cancellationToken)
    {
        // Sorted so that two writers inserting overlapping sets lock the rows in the same order and never deadlock.
        var sorted = tags.OrderBy(t => t.Endpoint, StringComparer.Ordinal).ThenBy(t => t.NodeId, StringComparer.Ordinal).ToArray();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // DO UPDATE rather than DO NOTHING: RETURNING then answers the id of tags that exist already too.
        var rows = await connection.QueryAsync<TagRow>(new CommandDefinition("""
            INSERT INTO tags (endpoint, nodeid, sensorname, tagname)
            SELECT * FROM unnest(@endpoints, @nodeIds, @sensorNames, @tagNames)
            ON CONFLICT (endpoint, nodeid) DO UPDATE SET sensorname = excluded.sensorname, tagname = excluded.tagname
            RETURNING id, endpoint, nodeid
            """,
            new
            {
                endpoints = sorted.Select(t => t.Endpoint).ToArray(),
                nodeIds = sorted.Select(t => t.NodeId).ToArray(),
                sensorNames = sorted.Select(t => t.SensorName).ToArray(),
                tagNames = sorted.Select(t => t.TagName).ToArray(),
            },
            cancellationToken: cancellationToken));
        var byKey = sorted.ToDictionary(t => (t.Endpoint, t.NodeId));
        foreach (var row in rows)
        {
            _ids[byKey[(row.Endpoint, row.NodeId)]] = row.Id;
        }
    }

    private sealed record TagRow(int Id, string Endpoint, string NodeId);
}
