using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using DiagnosisRecord = ThermalPlant.Analytics.Diagnosis.Diagnosis;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>The results' NodeIds are the documented ones, browse paths reach them, and they carry the scores and diagnoses.</summary>
public sealed class AddressSpaceTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task A_tags_score_and_state_are_served_at_their_documented_NodeIds_and_browse_paths()
    {
        await using var test = TestEngine.Create();
        var voltage = test.Tag("Plant/Voltage/MainSupply");
        var random = new Random(3);
        for (var i = 0; i < 400; i++) test.Score(Start.AddSeconds(i), (voltage, 24 + (0.05 * random.NextDouble())));
        test.Score(Start.AddSeconds(400), (voltage, 60));

        test.Server.Start();
        await using var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{test.Server.Port}/thermalplant/analytics/");
        await client.OpenSessionAsync("analytics-test");
        Assert.Equal(2, test.Namespace);
        var score = NodeId.Parse("ns=2;s=Analytics.Tags.Plant.Voltage.MainSupply.AnomalyScore");
        var state = NodeId.Parse("ns=2;s=Analytics.Tags.Plant.Voltage.MainSupply.State");
        Assert.Equal(score, await client.TranslateAsync(NodeId.Of(ObjectIds.ObjectsFolder), Path("Analytics", "Tags", "Plant", "Voltage", "MainSupply", "AnomalyScore")));
        Assert.Equal(state, await client.TranslateAsync(NodeId.Of(ObjectIds.ObjectsFolder), Path("Analytics", "Tags", "Plant", "Voltage", "MainSupply", "State")));

        var values = await client.ReadAsync(
        [
            new ReadValueId { NodeId = score, AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = state, AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = score, AttributeId = (uint)AttributeId.DataType },
            new ReadValueId { NodeId = state, AttributeId = (uint)AttributeId.DataType },
        ]);
        var spikeScore = Assert.IsType<double>(values[0].Value.Value);
        Assert.InRange(spikeScore, 0.5, 1);
        Assert.Equal((int)AnomalyState.Anomalous, values[1].Value.Value);
        Assert.Equal(Start.AddSeconds(400), values[0].SourceTimestamp);
        Assert.Equal(NodeId.Of(DataTypeIds.Double), values[2].Value.Value);
        Assert.Equal(NodeId.Of(DataTypeIds.Int32), values[3].Value.Value);

        // The score is historized, so a client that lost its connection reads what it missed.
        var history = await client.HistoryReadRawAsync(score, Start, Start.AddSeconds(401));
        Assert.Equal(401, history.Length);
        Assert.All(history[..50], v => Assert.Equal(0.0, v.Value.Value));
    }

    [Fact]
    public async Task Every_plant_component_is_served_healthy_from_the_start_and_a_change_of_state_goes_through_the_one_hook()
    {
        await using var test = TestEngine.Create();
        var changes = new List<(DiagnosisRecord? Previous, DiagnosisRecord Current)>();
        test.Engine.DiagnosisChanged += (previous, current) => changes.Add((previous, current));
        test.Server.Start();
        await using var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{test.Server.Port}/thermalplant/analytics/");
        await client.OpenSessionAsync("analytics-test");

        foreach (var component in PlantComponents.All)
        {
            var folders = component.Split('.');
            var severity = NodeId.Parse($"ns=2;s=Analytics.Diagnoses.{component}.Severity");
            Assert.Equal(severity, await client.TranslateAsync(NodeId.Of(ObjectIds.ObjectsFolder), Path(["Analytics", "Diagnoses", .. folders, "Severity"])));
            Assert.Equal(0, (await client.ReadValueAsync(severity)).Value.Value);
            Assert.Equal(PlantFaultTypes.None, (await client.ReadValueAsync(NodeId.Parse($"ns=2;s=Analytics.Diagnoses.{component}.FaultType"))).Value.Value);
            Assert.Equal(StatusCodes.BadNoData, (await client.ReadValueAsync(NodeId.Parse($"ns=2;s=Analytics.Diagnoses.{component}.TimeToAlarm"))).Status.Code);
        }

        // The upper thermocouple reads Bad (open circuit): the diagnoser raises it at once, the hook sees it once.
        var upper = test.Tag("Plant/Temperature/Upper");
        test.Engine.Score([new Engine.TagValue(upper, new DataValue { Value = Variant.From(650.0), SourceTimestamp = Start })]);
        test.Engine.Score([new Engine.TagValue(upper, new DataValue { Value = Variant.From(650.0), Status = StatusCodes.BadSensorFailure, SourceTimestamp = Start.AddSeconds(1) })]);
        test.Engine.Score([new Engine.TagValue(upper, new DataValue { Value = Variant.From(650.0), Status = StatusCodes.BadSensorFailure, SourceTimestamp = Start.AddSeconds(2) })]);
        var raised = Assert.Single(changes);
        Assert.Equal(FaultSeverity.None, raised.Previous!.Severity);
        Assert.Equal((PlantComponents.UpperThermocouple, PlantFaultTypes.BadReading, FaultSeverity.Critical), (raised.Current.Component, raised.Current.FaultType, raised.Current.Severity));
        Assert.Equal(3, (await client.ReadValueAsync(NodeId.Parse("ns=2;s=Analytics.Diagnoses.Temperature.Upper.Severity"))).Value.Value);
        Assert.Equal(PlantFaultTypes.BadReading, (await client.ReadValueAsync(NodeId.Parse("ns=2;s=Analytics.Diagnoses.Temperature.Upper.FaultType"))).Value.Value);
        var evidence = (string)(await client.ReadValueAsync(NodeId.Parse("ns=2;s=Analytics.Diagnoses.Temperature.Upper.Evidence"))).Value.Value!;
        Assert.Contains("Bad", evidence, StringComparison.Ordinal);
        var since = await client.ReadValueAsync(NodeId.Parse("ns=2;s=Analytics.Diagnoses.Temperature.Upper.Since"));
        Assert.True(since.Status.IsGood);

        // A Good reading again clears it: the hook sees the way back to healthy.
        test.Engine.Score([new Engine.TagValue(upper, new DataValue { Value = Variant.From(651.0), SourceTimestamp = Start.AddSeconds(3) })]);
        Assert.Equal(2, changes.Count);
        Assert.Equal(FaultSeverity.Critical, changes[1].Previous!.Severity);
        Assert.Equal(FaultSeverity.None, changes[1].Current.Severity);
        Assert.Equal(0, (await client.ReadValueAsync(NodeId.Parse("ns=2;s=Analytics.Diagnoses.Temperature.Upper.Severity"))).Value.Value);
    }

    [Fact]
    public async Task A_diagnosis_is_raised_as_an_OPC_UA_alarm_with_its_evidence_and_cleared_when_healthy()
    {
        await using var test = TestEngine.Create();
        var alarms = new Server.DiagnosisAlarms(test.Server, 2);
        test.Engine.DiagnosisChanged += alarms.OnDiagnosisChanged;
        var alarmId = NodeId.Parse("ns=2;s=" + Server.DiagnosisAlarms.AlarmId(PlantComponents.UpperThermocouple));
        var upper = test.Tag("Plant/Temperature/Upper");
        test.Engine.Score([new Engine.TagValue(upper, new DataValue { Value = Variant.From(650.0), SourceTimestamp = Start })]);
        Assert.Null(test.Server.Conditions.Find(alarmId));

        test.Engine.Score([new Engine.TagValue(upper, new DataValue { Value = Variant.From(650.0), Status = StatusCodes.BadSensorFailure, SourceTimestamp = Start.AddSeconds(1) })]);
        var alarm = test.Server.Conditions.Find(alarmId);
        Assert.NotNull(alarm);
        Assert.True(alarm.State.Active);
        Assert.False(alarm.State.Acked);
        Assert.Equal(800, alarm.State.Severity);
        Assert.Contains(PlantFaultTypes.BadReading, alarm.State.Message.Text, StringComparison.Ordinal);
        Assert.Contains("Bad", alarm.State.Message.Text, StringComparison.Ordinal);
        Assert.Equal(NodeId.Parse("ns=2;s=Analytics.Diagnoses.Temperature.Upper"), alarm.Source);

        test.Engine.Score([new Engine.TagValue(upper, new DataValue { Value = Variant.From(651.0), SourceTimestamp = Start.AddSeconds(2) })]);
        Assert.False(alarm.State.Active);
    }

    [Fact]
    public async Task A_tag_path_belongs_to_the_first_endpoint_that_has_it()
    {
        await using var test = TestEngine.Create();
        var first = test.Tag("Plant/RPM/MainShaft");
        var variable = new Sources.FoundVariable(NodeId.Parse("ns=3;s=Other.Speed"), "Plant/RPM/MainShaft");
        Assert.Same(first, test.Engine.Register(TestEngine.Endpoint, variable));
        Assert.Null(test.Engine.Register("opc.tcp://127.0.0.1:4841/", variable));
        Assert.Equal(1, test.Engine.TagCount);
    }

    private static QualifiedName[] Path(params string[] names) => [.. names.Select(n => new QualifiedName(2, n))];
}
