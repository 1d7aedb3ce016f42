using Microsoft.Extensions.Options;
using ThermalPlant.Sensors.Devices;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Settings;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>
/// Captures audio block by block (one update interval, 0.1 s by default) and analyses the latest chunk after
/// each block into the mel spectrum, the MFCCs and the level. The capture paces the loop: no timer needed.
/// A capture error or the end of a finite source makes the three readings bad; capture is retried.
/// </summary>
internal sealed partial class AudioSampler : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly PlantDevices _devices;
    private readonly RuntimeSettings _settings;
    private readonly AudioFeatureOptions _features;
    private readonly ReadingPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger<AudioSampler> _logger;
    private volatile bool _settingsChanged;

    public AudioSampler(PlantDevices devices, RuntimeSettings settings, IOptions<SensorsOptions> options, ReadingPublisher publisher, TimeProvider time, ILogger<AudioSampler> logger)
    {
        _devices = devices;
        _settings = settings;
        _features = options.Value.AudioFeatures;
        _publisher = publisher;
        _time = time;
        _logger = logger;
        settings.AudioChanged += _ => _settingsChanged = true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var analysis = Build();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_settingsChanged)
            {
                _settingsChanged = false;
                analysis = Build();
            }
            int read;
            try
            {
                read = await _devices.Audio.ReadAsync(analysis.Block, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                PublishBad(Faults.DeviceError, ex.Message);
                await Task.Delay(RetryDelay, _time, stoppingToken);
                continue;
            }
            if (read == 0)
            {
                PublishBad(Faults.NoSignal, "the audio source ended");
                await Task.Delay(RetryDelay, _time, stoppingToken);
                continue;
            }
            if (analysis.Append(read))
            {
                analysis.Compute();
                _publisher.Vector(SensorIds.Spectrum, [.. analysis.Spectrum], analysis.SpectrumParameters);
                _publisher.Vector(SensorIds.Mfcc, [.. analysis.Mfcc], analysis.MfccParameters);
                _publisher.Good(SensorIds.AudioLevel, analysis.LevelDbfs);
            }
        }
    }

    private AudioAnalysis Build()
    {
        var settings = _settings.Audio;
        LogAnalysis(settings.SampleDuration, settings.MfccCount, _devices.Audio.SampleRate);
        return new AudioAnalysis(_features, settings, _devices.Audio.SampleRate);
    }

    private void PublishBad(string fault, string message)
    {
        _publisher.Bad(SensorIds.Spectrum, fault, message);
        _publisher.Bad(SensorIds.Mfcc, fault, message);
        _publisher.Bad(SensorIds.AudioLevel, fault, message);
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Audio analysis: {ChunkSeconds} s chunks, {MfccCount} MFCCs, {SampleRate} Hz")]
    private partial void LogAnalysis(double chunkSeconds, int mfccCount, int sampleRate);
}
