using System.Text.Json;
using ThermalPlant.Testing;

namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>
/// The diagnosis alerts and the dashboard's diagnosis queries, evaluated by Debian's promtool on series shaped as the
/// service serves them: the alert fires with the evidence and the time to alarm, and the tables show the evidence.
/// </summary>
public sealed class AlertAndDashboardTests : IDisposable
{
    private const string Labels = "job=\"analytics\",instance=\"analytics:8126\",component=\"MainShaft.Bearing\",fault_type=\"bearing_wear\"";
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-analytics-promtool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_warning_diagnosis_fires_MachineFaultDiagnosed_with_its_evidence_and_time_to_alarm_and_an_advisory_does_not()
    {
        var test = $$"""
            rule_files:
              - {{RepositoryPaths.Combine("prometheus", "rules", "thermalplant.yml")}}
            evaluation_interval: 5s
            tests:
              - interval: 5s
                input_series:
                  - series: 'thermalplant_analytics_diagnosis_severity{{{Labels}}}'
                    values: '1x5 2x10 3x10'
                  - series: 'thermalplant_analytics_diagnosis_info{{{Labels}},evidence="order 3.6: +7.1 dB against a baseline of 37.5 dB"}'
                    values: '1x25'
                  - series: 'thermalplant_analytics_diagnosis_time_to_alarm_seconds{{{Labels}}}'
                    values: '7200x25'
                  - series: 'up{job="analytics",instance="analytics:8126"}'
                    values: '1x25'
                alert_rule_test:
                  - eval_time: 10s
                    alertname: MachineFaultDiagnosed
                    exp_alerts: []
                  - eval_time: 45s
                    alertname: MachineFaultDiagnosed
                    exp_alerts:
                      - exp_labels: { severity: warning, instance: "analytics:8126", component: MainShaft.Bearing, fault_type: bearing_wear }
                        exp_annotations:
                          summary: "MainShaft.Bearing: bearing_wear (plan maintenance)"
                          description: "order 3.6: +7.1 dB against a baseline of 37.5 dB Alarm level in about 2h 0m 0s."
                  - eval_time: 45s
                    alertname: MachineFaultCritical
                    exp_alerts: []
                  - eval_time: 110s
                    alertname: MachineFaultCritical
                    exp_alerts:
                      - exp_labels: { severity: critical, instance: "analytics:8126", component: MainShaft.Bearing, fault_type: bearing_wear }
                        exp_annotations:
                          summary: "MainShaft.Bearing: bearing_wear (act now)"
                          description: "order 3.6: +7.1 dB against a baseline of 37.5 dB"
            """;
        await PromtoolAsync(test);
    }

    [Fact]
    public async Task The_dashboards_alert_table_shows_a_diagnosis_alert_with_its_evidence_and_every_other_alert_as_it_is()
    {
        var firing = PanelExpression("Firing alerts");
        var diagnoses = PanelExpression("Diagnoses");
        // No rules here: the ALERTS series are the input, as Prometheus would store them.
        var none = Path.Combine(_directory, "none.yml");
        await File.WriteAllTextAsync(none, "groups: []\n");
        var test = $$"""
            rule_files:
              - {{none}}
            evaluation_interval: 5s
            tests:
              - interval: 5s
                input_series:
                  - series: 'ALERTS{alertname="MachineFaultDiagnosed",alertstate="firing",severity="warning",instance="analytics:8126",component="MainShaft.Bearing",fault_type="bearing_wear"}'
                    values: '1x10'
                  - series: 'ALERTS{alertname="ServiceDown",alertstate="firing",severity="critical",job="sensors",instance="sensors:8123"}'
                    values: '1x10'
                  - series: 'thermalplant_analytics_diagnosis_info{{{Labels}},evidence="order 3.6: +7.1 dB"}'
                    values: '1x10'
                  - series: 'thermalplant_analytics_diagnosis_severity{{{Labels}}}'
                    values: '2x10'
                promql_expr_test:
                  - expr: {{JsonSerializer.Serialize(firing)}}
                    eval_time: 30s
                    exp_samples:
                      - labels: '{alertname="MachineFaultDiagnosed",alertstate="firing",severity="warning",instance="analytics:8126",component="MainShaft.Bearing",fault_type="bearing_wear",evidence="order 3.6: +7.1 dB"}'
                        value: 1
                      - labels: 'ALERTS{alertname="ServiceDown",alertstate="firing",severity="critical",job="sensors",instance="sensors:8123"}'
                        value: 1
                  - expr: {{JsonSerializer.Serialize(diagnoses)}}
                    eval_time: 30s
                    exp_samples:
                      - labels: '{{{Labels}},evidence="order 3.6: +7.1 dB"}'
                        value: 2
            """;
        await PromtoolAsync(test);
    }

    private async Task PromtoolAsync(string test)
    {
        var promtool = PeerPrograms.Find("/usr/bin/promtool");
        Assert.True(promtool is not null, "promtool is needed (scripts/test installs it: apt-get install prometheus)");
        var file = Path.Combine(_directory, "test.yml");
        await File.WriteAllTextAsync(file, test);
        var (exit, output) = await ManagedProcess.RunAsync(promtool, ["test", "rules", file], TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    private static string PanelExpression(string title)
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("grafana", "dashboards", "plant-overview.json")));
        var panel = dashboard.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("title").GetString() == title);
        return panel.GetProperty("targets")[0].GetProperty("expr").GetString()!;
    }
}
