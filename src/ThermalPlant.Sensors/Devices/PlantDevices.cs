namespace ThermalPlant.Sensors.Devices;

/// <summary>The devices the samplers read: real ones in hardware mode, the simulated plant's otherwise.</summary>
internal sealed class PlantDevices(IThermocouple upper, IThermocouple lower, ITachometer tachometer, IVoltmeter voltmeter, IAudioSource audio) : IAsyncDisposable
{
    public IThermocouple Upper { get; } = upper;
    public IThermocouple Lower { get; } = lower;
    public ITachometer Tachometer { get; } = tachometer;
    public IVoltmeter Voltmeter { get; } = voltmeter;
    public IAudioSource Audio { get; } = audio;

    /// <summary>Releases the buses (SPI, I2C, GPIO) and stops the audio capture.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var device in new object[] { Upper, Lower, Tachometer, Voltmeter })
        {
            (device as IDisposable)?.Dispose();
        }
        await Audio.DisposeAsync();
    }
}
