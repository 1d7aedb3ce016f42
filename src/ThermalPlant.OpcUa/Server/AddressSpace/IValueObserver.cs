using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>Told of every value set on a <see cref="UaVariable"/> it observes (monitored items), on the setter's thread.</summary>
internal interface IValueObserver
{
    /// <summary>The variable's value is now <paramref name="value"/>.</summary>
    void OnValueChanged(DataValue value);

    /// <summary>The same, as one of many values set together (<see cref="UaVariable.SetValues"/>), through <paramref name="batch"/>.</summary>
    void OnValueChanged(in DataValue value, ref ValuePushBatch batch);
}
