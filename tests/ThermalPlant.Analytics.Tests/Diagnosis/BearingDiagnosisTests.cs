using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Simulation;

namespace ThermalPlant.Analytics.Tests.Diagnosis;

/// <summary>Bearing wear from the audio spectrum of the simulated plant, against the machine's baseline at each speed.</summary>
public sealed class BearingDiagnosisTests
{
    private static readonly TimeSpan Learned = TimeSpan.FromHours(3);

    [Fact]
    public void Wear_is_flagged_within_ninety_minutes_with_a_time_to_alarm_and_nothing_else_is_raised()
    {
        var rig = new PlantRig(seed: 2, audio: true);
        rig.Run(Learned);
        var since = rig.Plant.Now;
        rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.BearingWear, Harmonics = [3.6, 5.4], GrowthPerHour = 3 });
        var delay = rig.RunUntil(PlantComponents.Bearing, PlantFaultTypes.BearingWear, TimeSpan.FromHours(3));
        Assert.True(delay is not null && delay <= TimeSpan.FromMinutes(90), $"flagged after {delay}");
        Assert.InRange(rig.Diagnoser.BearingRiseDb, 1.5, 6);
        rig.Run(TimeSpan.FromMinutes(30));
        var diagnosis = rig.Diagnoser.Active.Single();
        Assert.Equal(PlantComponents.Bearing, diagnosis.Component);
        Assert.NotNull(diagnosis.TimeToAlarm);
        Assert.NotNull(diagnosis.TimeToAlarmUncertainty);
        Assert.Contains("order 3.6", diagnosis.Evidence, StringComparison.Ordinal);
        Assert.Single(rig.RaisedSince(since));
    }

    [Fact]
    public void A_speed_change_alone_is_not_bearing_wear()
    {
        var rig = new PlantRig(seed: 3, audio: true);
        rig.Run(Learned);
        var since = rig.Plant.Now;
        var scored = rig.Diagnoser.SpectraScored;
        // A lower speed range, overlapping the learned one: the tones all move, the baseline moves with them.
        rig.Simulation.NominalRpm = 1450;
        rig.Run(TimeSpan.FromHours(2));
        Assert.Empty(rig.RaisedSince(since));
        Assert.True(rig.Diagnoser.SpectraScored - scored > 300, "the new speeds were scored, not only learned");
    }

    [Fact]
    public void The_band_of_a_frequency_is_where_the_sensors_service_puts_a_tone_of_it()
    {
        var options = new ThermalPlant.Simulation.Dsp.AudioFeatureOptions();
        var extractor = new ThermalPlant.Simulation.Dsp.AudioFeatureExtractor(options, 1);
        var layout = new MelBandLayout(new PlantDiagnosisOptions().Spectrum);
        var samples = new float[options.SampleRate];
        var bands = new double[extractor.SpectrumBands];
        var mfcc = new double[1];
        foreach (var hz in new[] { 40.0, 81.0, 120.0, 333.0, 1000.0, 5000.0 })
        {
            for (var i = 0; i < samples.Length; i++) samples[i] = (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / options.SampleRate));
            extractor.Compute(samples, bands, mfcc);
            var loudest = Array.IndexOf(bands, bands.Max());
            Assert.Equal(loudest, layout.BandOf(hz));
        }
    }
}
