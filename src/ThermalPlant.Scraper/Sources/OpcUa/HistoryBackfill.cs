using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Storage.Writing;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>A gap of one variable: the values strictly between <paramref name="From"/> and <paramref name="To"/> are missing.</summary>
/// <param name="Variable">The variable.</param>
/// <param name="From">The newest value already queued or stored.</param>
/// <param name="To">The value that revealed the gap, queued after the back-fill.</param>
internal sealed record BackfillRange(ScrapedVariable Variable, DateTime From, DateTime To);

/// <summary>
/// Fills gaps of many variables from the server's history with few requests: variables whose gaps start and end
/// within <see cref="Alignment"/> of each other (a start-up, or a reconnection, gives every variable nearly the same
/// gap) are read together, several nodes per HistoryRead, window by window; each variable keeps only the values
/// inside its own gap, in time order, so they go to the queue ahead of the value that revealed the gap.
/// </summary>
internal sealed partial class HistoryBackfill(OpcUaEndpointOptions options, ILogger logger)
{
    // Gaps this close share requests; each request then carries at most twice this much of another variable's values.
    private static readonly TimeSpan Alignment = TimeSpan.FromSeconds(10);

    private int _noHistoryLogged;

    /// <summary>
    /// Queues the history of every range into <paramref name="pending"/> (handing full lists to <paramref name="flush"/>
    /// on the way) and returns the variables whose back-fill was interrupted by a lost connection: they must be tried
    /// again before their next value is queued. A variable the server keeps no history for is marked and counts as done.
    /// </summary>
    public async Task<IReadOnlySet<ScrapedVariable>> FillAsync(OpcUaClient client, IReadOnlyList<BackfillRange> ranges, List<Sample> pending, Action<List<Sample>> flush, CancellationToken cancellationToken)
    {
        var interrupted = new HashSet<ScrapedVariable>();
        var total = 0;
        var groups = ranges
            .Select(r => new Gap(r, r.From < r.To - options.BackfillMaxAge ? r.To - options.BackfillMaxAge : r.From))
            .GroupBy(g => (g.After.Ticks / Alignment.Ticks, g.Range.To.Ticks / Alignment.Ticks))
            .Select(g => g.ToArray())
            .ToList();
        for (var i = 0; i < groups.Count; i++)
        {
            try
            {
                await FillGroupAsync(client, groups[i], pending, flush, cancellationToken);
            }
            catch (OpcUaException ex) when (IsTransient(ex.Status))
            {
                // The connection went: this group and every later one wait for the next value of each variable. What
                // was queued stays (stored once even if read again); the next attempt starts after it.
                foreach (var gap in groups.Skip(i).SelectMany(g => g))
                {
                    if (gap.Done) continue;
                    if (gap.Count > 0) gap.Range.Variable.LastTimestamp = gap.After;
                    interrupted.Add(gap.Range.Variable);
                }
                LogBackfillInterrupted(logger, options.Url, interrupted.Count, ex.Message);
                break;
            }
            catch (OpcUaException ex)
            {
                // The server answered the request as a whole: it keeps no (readable) history here.
                foreach (var gap in groups[i]) MarkNoHistory(gap, ex.Status);
            }
            finally
            {
                total += groups[i].Sum(g => g.Count);
            }
        }
        flush(pending);
        if (total > 0)
        {
            ScraperMetrics.Backfilled.WithLabels(options.Url).Inc(total);
            var (first, last) = (ranges.Min(r => r.From), ranges.Max(r => r.To));
            LogBackfilled(logger, options.Url, total, ranges.Count, first, last);
        }
        return interrupted;
    }

    private async Task FillGroupAsync(OpcUaClient client, Gap[] group, List<Sample> pending, Action<List<Sample>> flush, CancellationToken cancellationToken)
    {
        var start = group.Min(g => g.After);
        var end = group.Max(g => g.Range.To);
        for (var windowStart = start; windowStart < end; windowStart += options.BackfillWindow)
        {
            var windowEnd = windowStart + options.BackfillWindow < end ? windowStart + options.BackfillWindow : end;
            var reading = group.Where(g => !g.Done && g.After < windowEnd && g.Range.To > windowStart).ToArray();
            if (reading.Length == 0) continue;
            var nodes = reading.Select(g => g.Range.Variable.Node).ToArray();
            // Bounds are inclusive on the server, so a value on a window's edge comes twice and is taken once.
            await foreach (var page in client.HistoryReadRawAsync(nodes, windowStart, windowEnd, (uint)options.HistoryValuesPerCall, options.HistoryNodesPerCall, false, TimestampsToReturn.Both, cancellationToken))
            {
                var gap = reading[page.Index];
                if (page.Status.IsBad)
                {
                    MarkNoHistory(gap, page.Status);
                    continue;
                }
                foreach (var value in page.Values)
                {
                    var stamp = ValueConverter.Timestamp(value, gap.Range.To);
                    if (stamp <= gap.After || stamp >= gap.Range.To) continue;
                    if (ValueConverter.AddSamples(gap.Range.Variable, value, stamp, pending)) gap.Count++;
                    gap.After = stamp;
                }
                if (pending.Count >= 5000) flush(pending);
            }
        }
    }

    private void MarkNoHistory(Gap gap, StatusCode status)
    {
        // Live values go on; the gap stays a gap.
        gap.Done = true;
        gap.Range.Variable.NoHistory = true;
        if (Interlocked.Increment(ref _noHistoryLogged) <= 10) LogNoHistory(logger, options.Url, gap.Range.Variable.Node.ToString(), status.ToString());
    }

    /// <summary>Whether a request failed because the connection or session went, so that trying again later can succeed.</summary>
    public static bool IsTransient(StatusCode status) => status.Code is StatusCodes.BadNotConnected or StatusCodes.BadConnectionClosed
        or StatusCodes.BadTimeout or StatusCodes.BadRequestTimeout or StatusCodes.BadSecureChannelClosed or StatusCodes.BadSessionClosed
        or StatusCodes.BadSessionIdInvalid or StatusCodes.BadCommunicationError or StatusCodes.BadServerNotConnected or StatusCodes.BadTooManyOperations;

    /// <summary>A range being filled: the newest value queued so far and how many were.</summary>
    private sealed class Gap(BackfillRange range, DateTime after)
    {
        public BackfillRange Range { get; } = range;

        public DateTime After { get; set; } = after;

        public int Count { get; set; }

        public bool Done { get; set; }
    }

    [LoggerMessage(EventId = 705, Level = LogLevel.Information, Message = "Back-filled {Count} values of {Variables} variables from {Url}'s history between {From:o} and {To:o}")]
    private static partial void LogBackfilled(ILogger logger, string url, int count, int variables, DateTime from, DateTime to);

    [LoggerMessage(EventId = 706, Level = LogLevel.Warning, Message = "{Url} keeps no readable history of {Node} ({Status}); its gaps cannot be back-filled, live values go on")]
    private static partial void LogNoHistory(ILogger logger, string url, string node, string status);

    [LoggerMessage(EventId = 707, Level = LogLevel.Warning, Message = "Back-fill of {Variables} variables from {Url} was interrupted ({Problem}); each is tried again with its next value")]
    private static partial void LogBackfillInterrupted(ILogger logger, string url, int variables, string problem);
}
