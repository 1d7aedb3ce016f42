using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// Bounds the password verifications that run at once. A PBKDF2 check costs about 0.3 s of CPU, so a burst of
/// password logins (an attacker, or a fleet of misconfigured clients) would otherwise take every core from the
/// sessions being served. At most <c>maxConcurrent</c> checks run, at most <c>maxQueued</c> wait for a slot, and
/// any beyond are refused at once, without hashing, with BadServerTooBusy.
/// </summary>
internal sealed class PasswordCheckGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _maxAdmitted;
    private int _admitted;
    private int _running;
    private int _peak;
    private long _completed;

    public PasswordCheckGate(int maxConcurrent, int maxQueued)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueued);
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        _maxAdmitted = maxConcurrent + maxQueued;
    }

    /// <summary>Checks running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Checks admitted and waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _admitted) - Running;

    /// <summary>The most checks that ever ran at once.</summary>
    public int PeakRunning => Volatile.Read(ref _peak);

    /// <summary>Checks that ran to the end.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>
    /// Runs <paramref name="check"/> in a slot, after waiting for one when all are taken. BadServerTooBusy when the
    /// wait queue is full: Part 4, 7.39 describes it as "the Server does not have the resources to process the
    /// request at this time", which is the case; BadTooManyOperations would blame the request for carrying too many
    /// operations, and an ActivateSession carries one.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<T> check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (Interlocked.Increment(ref _admitted) > _maxAdmitted)
        {
            Interlocked.Decrement(ref _admitted);
            throw new OpcUaException(StatusCodes.BadServerTooBusy, "too many password checks are running or waiting; try again later");
        }
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                NoteRunning(Interlocked.Increment(ref _running));
                var result = check();
                Interlocked.Increment(ref _completed);
                return result;
            }
            finally
            {
                Interlocked.Decrement(ref _running);
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _admitted);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private void NoteRunning(int running)
    {
        var peak = Volatile.Read(ref _peak);
        while (running > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peak, running, peak);
            if (seen == peak) return;
            peak = seen;
        }
    }
}
