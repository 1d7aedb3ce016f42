using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Subscriptions;

/// <summary>
/// Pushes the values of many variables set together (<see cref="AddressSpace.UaVariable.SetValues"/>) into their
/// monitored items: a run of values for the items of one subscription takes its lock and reads the clock once, not once
/// per value (17 % of the server's CPU at 10,000 items renewed every second). The lock is let go after
/// <see cref="MaxOffersPerHold"/> values, so a publishing cycle waits for a few microseconds at most, and before anything
/// outside the batch runs (<see cref="Release"/>), so no other lock is ever taken while it is held.
/// </summary>
internal struct ValuePushBatch
{
    /// <summary>Values offered under one hold of a subscription's lock (about 15 us at most).</summary>
    internal const int MaxOffersPerHold = 256;

    private Subscription? _held;
    private DateTimeOffset _now;
    private int _offers;

    /// <summary>Offers <paramref name="value"/> to <paramref name="item"/> under its subscription's lock, taken unless already held.</summary>
    public void Offer(MonitoredItem item, in DataValue value)
    {
        if (item.Owner is not { } owner) return;
        if (!ReferenceEquals(owner, _held))
        {
            Release();
            // The clock is read once the lock is held, so the time is never earlier than that of a cycle that ran
            // before: a value is never judged against a sample taken after it.
            _now = owner.EnterForPushes();
            _held = owner;
        }
        _held.OfferHeld(item, value, _now);
        if (++_offers >= MaxOffersPerHold) Release();
    }

    /// <summary>Lets go of the subscription's lock the batch holds, if any.</summary>
    public void Release()
    {
        if (_held is null) return;
        _held.Gate.Exit();
        _held = null;
        _offers = 0;
    }
}
