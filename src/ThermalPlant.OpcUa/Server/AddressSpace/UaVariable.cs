using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>A Variable node (Part 3, 5.6): its value with status and timestamps, and how it may be accessed.</summary>
public sealed class UaVariable : UaNode
{
    // DataValue is a struct too large to write atomically, and a new object per value (a plant's 10,000 variables
    // renewed every second) would be garbage at that rate: the value is written in place under a sequence number
    // instead (a seqlock). The number is odd while a writer is in the middle of a value; a reader copies the value and
    // keeps the copy only when the number was even and the same before and after, so it never sees half of one value
    // and half of the next, and it never blocks a writer.
    private DataValue _value = new() { Status = StatusCodes.BadWaitingForInitialData };
    private int _sequence;
    private readonly byte _accessLevel = 0x01;

    // The monitored items watching the value, without a delegate each: one alone, more in an array that is replaced,
    // never changed, so that SetValue reads it without a lock.
    private object? _observers;

    /// <summary>Creates a variable.</summary>
    public UaVariable(NodeId nodeId, QualifiedName browseName, LocalizedText displayName, NodeId dataType)
        : base(nodeId, NodeClass.Variable, browseName, displayName)
    {
        DataType = dataType;
    }

    /// <summary>The data type of the value.</summary>
    public NodeId DataType { get; }

    /// <summary>-1 scalar, 1 one-dimensional array, and so on (Part 3, 5.6.2).</summary>
    public int ValueRank { get; init; } = -1;

    /// <summary>Lengths of the array dimensions, when fixed.</summary>
    public uint[]? ArrayDimensions { get; init; }

    /// <summary>AccessLevel bits: 0x01 CurrentRead, 0x02 CurrentWrite, 0x04 HistoryRead (set whenever the variable is historizing).</summary>
    public byte AccessLevel
    {
        get => (byte)(_accessLevel | (Historizing ? 0x04 : 0));
        init => _accessLevel = value;
    }

    /// <summary>Fastest rate the value changes at, in ms (0 for as fast as it changes).</summary>
    public double MinimumSamplingInterval { get; init; }

    /// <summary>Whether the server keeps the value's history.</summary>
    public bool Historizing { get; init; }

    /// <summary>
    /// Decides a client's write of the Value (the variable must have CurrentWrite access): return Good to store the
    /// value, or the Bad code to answer with. Without a handler a writable variable stores what is written.
    /// </summary>
    public Func<DataValue, StatusCode>? WriteHandler { get; init; }

    /// <summary>Computes the value on every read instead of storing it (e.g. the server's current time).</summary>
    public Func<DataValue>? ValueSource { get; init; }

    /// <summary>The current value; replaced atomically by <see cref="SetValue(DataValue)"/>.</summary>
    public DataValue Value => ValueSource is { } source ? source() : ReadStored();

    /// <summary>Raised after the value changed (for subscriptions).</summary>
    public event Action<UaVariable, DataValue>? ValueChanged;

    /// <summary>Where the value's history goes when the variable is historizing; set by the address space.</summary>
    internal IHistoryStore? History { get; set; }

    /// <summary>Sets the value, status and timestamps as one, and records it when the variable is historizing.</summary>
    public void SetValue(DataValue value) => SetValue(value, historize: true);

    /// <summary>
    /// Sets the value, status and timestamps as one; with <paramref name="historize"/> false the change is not
    /// recorded (a status change that carries no new sample, such as a source turning unreachable).
    /// </summary>
    public void SetValue(DataValue value, bool historize)
    {
        Store(value);
        if (historize) History?.Append(NodeId, value);
        switch (Volatile.Read(ref _observers))
        {
            case IValueObserver one:
                one.OnValueChanged(value);
                break;
            case IValueObserver[] many:
                foreach (var observer in many) observer.OnValueChanged(value);
                break;
        }
        ValueChanged?.Invoke(this, value);
    }

    /// <summary>
    /// Sets the values of many variables as one update, as a host's poll of a whole plant does:
    /// <paramref name="values"/>[i] becomes the value of <paramref name="variables"/>[i], recorded when that variable is
    /// historizing and <paramref name="historize"/> is true. The same as setting them one by one, but a run of values
    /// for the monitored items of one subscription is passed on under one hold of its lock and one reading of the clock
    /// (a value recorded as history, or one with a <see cref="ValueChanged"/> handler, ends the run: neither runs with
    /// a subscription's lock held).
    /// </summary>
    /// <exception cref="ArgumentException">The two spans differ in length.</exception>
    public static void SetValues(ReadOnlySpan<UaVariable> variables, ReadOnlySpan<DataValue> values, bool historize = true)
    {
        if (variables.Length != values.Length) throw new ArgumentException("One value is needed per variable.", nameof(values));
        var batch = default(ValuePushBatch);
        try
        {
            for (var i = 0; i < variables.Length; i++)
            {
                var variable = variables[i];
                ref readonly var value = ref values[i];
                variable.Store(value);
                if (historize && variable.History is { } history)
                {
                    // A history store may write to disk: not while a subscription's lock is held.
                    batch.Release();
                    history.Append(variable.NodeId, value);
                }
                switch (Volatile.Read(ref variable._observers))
                {
                    case IValueObserver one:
                        one.OnValueChanged(value, ref batch);
                        break;
                    case IValueObserver[] many:
                        foreach (var observer in many) observer.OnValueChanged(value, ref batch);
                        break;
                }
                if (variable.ValueChanged is { } changed)
                {
                    // A host's handler may take any lock: none of the batch's is held while it runs.
                    batch.Release();
                    changed(variable, value);
                }
            }
        }
        finally
        {
            batch.Release();
        }
    }

    /// <summary>Has <paramref name="observer"/> told of every value set from now on.</summary>
    internal void AddObserver(IValueObserver observer)
    {
        while (true)
        {
            var current = Volatile.Read(ref _observers);
            object next = current switch
            {
                null => observer,
                IValueObserver one => new[] { one, observer },
                _ => (IValueObserver[])[.. (IValueObserver[])current, observer],
            };
            if (Interlocked.CompareExchange(ref _observers, next, current) == current) return;
        }
    }

    /// <summary>Stops telling <paramref name="observer"/> of values.</summary>
    internal void RemoveObserver(IValueObserver observer)
    {
        while (true)
        {
            var current = Volatile.Read(ref _observers);
            object? next;
            if (ReferenceEquals(current, observer)) next = null;
            else if (current is IValueObserver[] many && Array.IndexOf(many, observer) is var at and >= 0)
            {
                next = many.Length == 2 ? many[1 - at] : (IValueObserver[])[.. many.AsSpan(0, at), .. many.AsSpan(at + 1)];
            }
            else return;
            if (Interlocked.CompareExchange(ref _observers, next, current) == current) return;
        }
    }

    private DataValue ReadStored()
    {
        var spin = default(SpinWait);
        while (true)
        {
            var before = Volatile.Read(ref _sequence);
            if ((before & 1) == 0)
            {
                var value = _value;
                // The copy's loads complete before the number is read again (weakly ordered CPUs, the Pi's ARM64, could
                // otherwise move them after it).
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _sequence) == before) return value;
            }
            spin.SpinOnce();
        }
    }

    private void Store(in DataValue value)
    {
        // Writers take turns (a host's poll and a client's Write may set the same variable): the one that makes the
        // number odd writes, the others wait for it to turn even again.
        var spin = default(SpinWait);
        int sequence;
        while (((sequence = Volatile.Read(ref _sequence)) & 1) != 0 || Interlocked.CompareExchange(ref _sequence, sequence + 1, sequence) != sequence)
        {
            spin.SpinOnce();
        }
        _value = value;
        Volatile.Write(ref _sequence, sequence + 2);
    }
}
