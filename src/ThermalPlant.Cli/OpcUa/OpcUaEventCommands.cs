using System.CommandLine;
using System.Globalization;
using System.Reflection;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using static ThermalPlant.OpcUa.Client.EventFilters;
using MethodArgument = ThermalPlant.OpcUa.Generated.Argument;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// <c>thermalplant opcua events|alarms|ack|call URL ...</c>: watch events, list the active conditions (ConditionRefresh),
/// acknowledge one, and call any method with arguments typed from its InputArguments.
/// </summary>
internal static class OpcUaEventCommands
{
    private static readonly string[] Headers = ["time", "severity", "type", "source", "message", "condition", "active", "acked", "confirmed", "retain"];

    public static Command Events(Argument<string> url, OpcUaConnection connection)
    {
        var node = new Argument<string>("node") { Description = "Event notifier to watch (default: the Server object, i=2253, which reports all)", DefaultValueFactory = _ => "i=2253" };
        var where = new Option<string[]>("--where")
        {
            Description = "Only events where FIELD OP VALUE holds (OP one of = != > >= < <=; FIELD e.g. Severity, SourceName, AckedState/Id; 'type=OffNormalAlarmType' for an event type and its subtypes); several are ANDed",
            AllowMultipleArgumentsPerToken = true,
        };
        var interval = new Option<double>("--interval") { Description = "Publishing interval in ms", DefaultValueFactory = _ => 500 };
        var count = new Option<int>("--count") { Description = "Stop after this many events (0: until interrupted)" };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (0: until interrupted)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per event" };
        var history = new Option<bool>("--history") { Description = "Print the events the server kept between --from and --to (HistoryRead), oldest first, instead of watching" };
        var from = new Option<DateTime>("--from")
        {
            Description = "With --history: start (UTC, ISO 8601; default an hour ago)",
            CustomParser = r => OpcUaMonitorCommands.ParseTime(r.Tokens[0].Value),
            DefaultValueFactory = _ => DateTime.UtcNow.AddHours(-1),
        };
        var to = new Option<DateTime>("--to") { Description = "With --history: end (UTC, ISO 8601; default now)", CustomParser = r => OpcUaMonitorCommands.ParseTime(r.Tokens[0].Value), DefaultValueFactory = _ => DateTime.UtcNow };
        var command = new Command("events", "Print the events of a notifier as they arrive, or those the server kept (--history)") { url, node, where, interval, count, seconds, json, history, from, to };
        command.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var filter = Select(Fields(), Where(result.GetValue(where) ?? []));
            if (result.GetValue(history))
            {
                var printed = 0;
                var most = result.GetValue(count);
                await foreach (var page in client.HistoryReadEventPagesAsync(NodeId.Parse(result.GetValue(node)!), filter, result.GetValue(from), result.GetValue(to), cancellationToken: cancel))
                {
                    foreach (var fields in page)
                    {
                        await connection.Output.WriteLineAsync(Line(fields, result.GetValue(json)));
                        if (most > 0 && ++printed >= most) return;
                    }
                }
                return;
            }
            await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = result.GetValue(interval) }, cancel);
            var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Parse(result.GetValue(node)!), filter)], cancel);
            if (items[0].Status.IsBad) throw new OpcUaException(items[0].Status, $"the server refused the event filter{EventFilterRefusedException.Describe(items[0].EventFilterResult)}");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (result.GetValue(seconds) > 0) stop.CancelAfter(TimeSpan.FromSeconds(result.GetValue(seconds)));
            var limit = result.GetValue(count);
            var seen = 0;
            try
            {
                await foreach (var e in subscription.ReadEventsAsync(stop.Token))
                {
                    await connection.Output.WriteLineAsync(Line(e.Fields, result.GetValue(json)));
                    if (limit > 0 && ++seen >= limit) break;
                }
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                // --seconds ran out.
            }
        }, session: true, cancel));
        return command;
    }

    public static Command Alarms(Argument<string> url, Option<bool> json, OpcUaConnection connection)
    {
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the refresh to end", DefaultValueFactory = _ => 10 };
        var command = new Command("alarms", "List the retained conditions (ConditionRefresh): active, unacknowledged or unconfirmed") { url, timeout, json };
        command.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var conditions = await RefreshAsync(client, TimeSpan.FromSeconds(result.GetValue(timeout)), cancel);
            OpcUaCommands.Print(connection.Output, result.GetValue(json), Headers, conditions.Select(Row));
        }, session: true, cancel));
        return command;
    }

    public static Command Acknowledge(Argument<string> url, OpcUaConnection connection)
    {
        var condition = new Argument<string>("condition") { Description = "NodeId of the condition (its ConditionId)" };
        var comment = new Option<string>("--comment") { Description = "The operator's comment", Required = true };
        var confirm = new Option<bool>("--confirm") { Description = "Confirm instead of acknowledge" };
        var command = new Command("ack", "Acknowledge (or confirm) a condition's latest event") { url, condition, comment, confirm };
        command.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var id = NodeId.Parse(result.GetValue(condition)!);
            var conditions = await RefreshAsync(client, TimeSpan.FromSeconds(10), cancel);
            var latest = conditions.FirstOrDefault(c => id.Equals(c[ConditionIdField].Value))
                ?? throw new OpcUaException(StatusCodes.BadEventIdUnknown, $"{id} is not a retained condition (nothing to acknowledge)");
            var eventId = latest[EventIdField].Value as byte[] ?? [];
            var status = result.GetValue(confirm)
                ? await client.ConfirmAsync(id, eventId, result.GetValue(comment), cancel)
                : await client.AcknowledgeAsync(id, eventId, result.GetValue(comment), cancel);
            await connection.Output.WriteLineAsync(status.ToString());
            if (status.IsBad) throw new OpcUaException(status, "the server refused");
        }, session: true, cancel));
        return command;
    }

    public static Command Call(Argument<string> url, OpcUaConnection connection)
    {
        var target = new Argument<string>("object") { Description = "NodeId of the object (or ObjectType) the method is called on" };
        var method = new Argument<string>("method") { Description = "NodeId of the method" };
        var arguments = new Argument<string[]>("args") { Description = "Input arguments, typed from the method's InputArguments", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("call", "Call a method and print its outputs") { url, target, method, arguments };
        command.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var methodId = NodeId.Parse(result.GetValue(method)!);
            var texts = result.GetValue(arguments) ?? [];
            var declared = await InputArgumentsAsync(client, methodId, cancel);
            if (texts.Length != declared.Length) throw new FormatException($"the method takes {declared.Length} arguments ({string.Join(", ", declared.Select(a => $"{a.Name}: {TypeName(a.DataType)}"))}), {texts.Length} given");
            var inputs = texts.Select((text, i) => Parse(declared[i], text)).ToArray();
            var called = await client.CallMethodAsync(NodeId.Parse(result.GetValue(target)!), methodId, inputs, cancel);
            await connection.Output.WriteLineAsync(called.StatusCode.ToString());
            foreach (var output in called.OutputArguments ?? []) await connection.Output.WriteLineAsync(OpcUaCommands.Format(output));
            if (called.StatusCode.IsBad)
            {
                var perInput = (called.InputArgumentResults ?? []).Select((s, i) => s.IsBad ? $" {declared[i].Name}: {s}" : null).Where(s => s is not null);
                throw new OpcUaException(called.StatusCode, "the method refused the call" + string.Concat(perInput));
            }
        }, session: true, cancel));
        return command;
    }

    private const int TimeField = 0, SeverityField = 1, TypeField = 2, SourceField = 3, MessageField = 4, ConditionIdField = 5,
        ActiveField = 6, AckedField = 7, ConfirmedField = 8, RetainField = 9, EventIdField = 10;

    private static SimpleAttributeOperand[] Fields() =>
    [
        Field("Time"), Field("Severity"), Field("EventType"), Field("SourceName"), Field("Message"), ConditionId(),
        Field("ActiveState/Id", ObjectTypeIds.AlarmConditionType), Field("AckedState/Id", ObjectTypeIds.AcknowledgeableConditionType),
        Field("ConfirmedState/Id", ObjectTypeIds.AcknowledgeableConditionType), Field("Retain", ObjectTypeIds.ConditionType), Field("EventId"),
    ];

    /// <summary>The retained conditions' latest events, from a ConditionRefresh on a subscription of their own.</summary>
    private static async Task<List<Variant[]>> RefreshAsync(OpcUaClient client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100 }, cancellationToken);
        var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), Select(Fields()))], cancellationToken);
        if (items[0].Status.IsBad) throw new OpcUaException(items[0].Status, "the server refused an event subscription");
        var status = await client.ConditionRefreshAsync(subscription, cancellationToken);
        if (status.IsBad) throw new OpcUaException(status, "ConditionRefresh was refused");
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var conditions = new List<Variant[]>();
        var refreshing = false;
        try
        {
            await foreach (var e in subscription.ReadEventsAsync(bounded.Token))
            {
                var type = e.Fields[TypeField].Value as NodeId;
                if (type == NodeId.Of(ObjectTypeIds.RefreshStartEventType)) refreshing = true;
                else if (type == NodeId.Of(ObjectTypeIds.RefreshEndEventType) && refreshing) return conditions;
                else if (refreshing && e.Fields[ConditionIdField].Value is NodeId) conditions.Add(e.Fields);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        throw new OpcUaException(StatusCodes.BadTimeout, $"no RefreshEndEvent within {timeout.TotalSeconds} s");
    }

    /// <summary>The where clause of <c>--where</c> expressions, ANDed.</summary>
    internal static ContentFilter? Where(IReadOnlyList<string> expressions) =>
        expressions.Count == 0 ? null : new ContentFilter { Elements = [.. Build(expressions, 0, 0)] };

    /// <summary>The elements of expressions <paramref name="i"/> on, the first (at <paramref name="start"/>) their root: And(this one, the rest).</summary>
    private static List<ContentFilterElement> Build(IReadOnlyList<string> expressions, int i, uint start)
    {
        if (i == expressions.Count - 1) return [.. Expression(expressions[i], start)];
        var own = Expression(expressions[i], start + 1).ToList();
        var rest = Build(expressions, i + 1, start + 1 + (uint)own.Count);
        return [Element(FilterOperator.And, ElementAt(start + 1), ElementAt(start + 1 + (uint)own.Count)), .. own, .. rest];
    }

    private static IEnumerable<ContentFilterElement> Expression(string expression, uint index)
    {
        string[] operators = [">=", "<=", "!=", "=", ">", "<"];
        var op = operators.FirstOrDefault(o => expression.Contains(o, StringComparison.Ordinal)) ?? throw new FormatException($"'{expression}' is not FIELD OP VALUE");
        var at = expression.IndexOf(op, StringComparison.Ordinal);
        var field = expression[..at].Trim();
        var text = expression[(at + op.Length)..].Trim();
        if (field.Length == 0 || text.Length == 0) throw new FormatException($"'{expression}' is not FIELD OP VALUE");
        if (field.Equals("type", StringComparison.OrdinalIgnoreCase))
        {
            if (op is not ("=" or "!=")) throw new FormatException("type takes = or !=");
            var ofType = Element(FilterOperator.OfType, Literal(new Variant(BuiltInType.NodeId, EventType(text))));
            if (op == "=") return [ofType];
            return [Element(FilterOperator.Not, ElementAt(index + 1)), ofType];
        }
        var operand = Operand(Field(field, FieldType(field)));
        var literal = Literal(Value(text));
        return op switch
        {
            "=" => [Element(FilterOperator.Equals, operand, literal)],
            "!=" => [Element(FilterOperator.Not, ElementAt(index + 1)), Element(FilterOperator.Equals, operand, literal)],
            ">" => [Element(FilterOperator.GreaterThan, operand, literal)],
            ">=" => [Element(FilterOperator.GreaterThanOrEqual, operand, literal)],
            "<" => [Element(FilterOperator.LessThan, operand, literal)],
            _ => [Element(FilterOperator.LessThanOrEqual, operand, literal)],
        };
    }

    /// <summary>The type declaring a field, so that the select or where operand names it as UaExpert does.</summary>
    private static uint FieldType(string path) => path.Split('/')[0] switch
    {
        "ActiveState" or "InputNode" or "SuppressedOrShelved" => ObjectTypeIds.AlarmConditionType,
        "AckedState" or "ConfirmedState" => ObjectTypeIds.AcknowledgeableConditionType,
        "ConditionName" or "BranchId" or "Retain" or "EnabledState" or "Quality" or "LastSeverity" or "Comment" or "ClientUserId" => ObjectTypeIds.ConditionType,
        "HighHighLimit" or "HighLimit" or "LowLimit" or "LowLowLimit" => ObjectTypeIds.LimitAlarmType,
        "LimitState" => ObjectTypeIds.ExclusiveLimitAlarmType,
        _ => ObjectTypeIds.BaseEventType,
    };

    private static NodeId EventType(string text)
    {
        if (text.Contains('=', StringComparison.Ordinal)) return NodeId.Parse(text);
        var field = typeof(ObjectTypeIds).GetField(text, BindingFlags.Public | BindingFlags.Static) ?? throw new FormatException($"'{text}' is no event type name of namespace 0 (give a NodeId, e.g. i=10637)");
        return NodeId.Of((uint)field.GetValue(null)!);
    }

    private static Variant Value(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? Variant.From(number)
        : bool.TryParse(text, out var flag) ? Variant.From(flag)
        : Variant.From(text);

    private static async Task<MethodArgument[]> InputArgumentsAsync(OpcUaClient client, NodeId method, CancellationToken cancellationToken)
    {
        NodeId property;
        try
        {
            property = await client.TranslateAsync(method, [new QualifiedName(0, "InputArguments")], cancellationToken);
        }
        catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadNoMatch or StatusCodes.BadNodeIdUnknown)
        {
            return [];
        }
        var value = await client.ReadValueAsync(property, cancellationToken);
        return value.Value.Value is ExtensionObject[] bodies ? [.. bodies.Select(b => b.Decode() as MethodArgument ?? throw new FormatException("an InputArguments entry is not an Argument"))] : [];
    }

    private static Variant Parse(MethodArgument argument, string text)
    {
        var type = argument.DataType.NamespaceIndex == 0 ? argument.DataType.Numeric : 0;
        return type switch
        {
            DataTypeIds.Boolean => Variant.From(bool.Parse(text)),
            DataTypeIds.SByte => Variant.From(sbyte.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.Byte => Variant.From(byte.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.Int16 => Variant.From(short.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.UInt16 => Variant.From(ushort.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.Int32 => Variant.From(int.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.UInt32 or DataTypeIds.IntegerId or DataTypeIds.Counter or DataTypeIds.Index => Variant.From(uint.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.Int64 => Variant.From(long.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.UInt64 => Variant.From(ulong.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.Float => Variant.From(float.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.Double or DataTypeIds.Duration => Variant.From(double.Parse(text, CultureInfo.InvariantCulture)),
            DataTypeIds.String or DataTypeIds.LocaleId or DataTypeIds.NumericRange => Variant.From(text),
            DataTypeIds.DateTime or DataTypeIds.UtcTime => Variant.From(DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)),
            DataTypeIds.ByteString => new Variant(BuiltInType.ByteString, Convert.FromHexString(text)),
            DataTypeIds.LocalizedText => new Variant(BuiltInType.LocalizedText, new LocalizedText(null, text)),
            DataTypeIds.NodeId => new Variant(BuiltInType.NodeId, NodeId.Parse(text)),
            _ => throw new FormatException($"argument {argument.Name} is a {TypeName(argument.DataType)}, which the command line cannot write"),
        };
    }

    private static string TypeName(NodeId dataType) =>
        dataType.NamespaceIndex == 0 && typeof(DataTypeIds).GetFields(BindingFlags.Public | BindingFlags.Static).FirstOrDefault(f => f.GetValue(null) is uint id && id == dataType.Numeric) is { } field ? field.Name : dataType.ToString();

    private static object?[] Row(Variant[] fields) =>
    [
        fields[TimeField].Type == BuiltInType.DateTime ? fields[TimeField].AsDateTime().ToString("O", CultureInfo.InvariantCulture) : "",
        fields[SeverityField],
        fields[TypeField].Value is NodeId type ? TypeLabel(type) : "",
        fields[SourceField],
        (fields[MessageField].Value as LocalizedText?)?.Text ?? "",
        fields[ConditionIdField].Value?.ToString() ?? "",
        fields[ActiveField],
        fields[AckedField],
        fields[ConfirmedField],
        fields[RetainField],
    ];

    private static string TypeLabel(NodeId type) =>
        type.NamespaceIndex == 0 && typeof(ObjectTypeIds).GetFields(BindingFlags.Public | BindingFlags.Static).FirstOrDefault(f => f.GetValue(null) is uint id && id == type.Numeric) is { } field ? field.Name : type.ToString();

    private static string Line(Variant[] fields, bool json)
    {
        var row = Row(fields);
        if (json) return JsonOutput.Serialize(Headers.Zip(row).ToDictionary(p => p.First, p => OpcUaCommands.Json(p.Second)));
        return string.Join("  ", row.Select(OpcUaCommands.Text).Where(c => c.Length > 0));
    }
}
