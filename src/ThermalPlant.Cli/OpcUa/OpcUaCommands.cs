using System.CommandLine;
using System.Globalization;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// <c>thermalplant opcua endpoints|browse|read|write|subscribe|history|events|alarms|ack|call URL ...</c>: a plant engineer's check of a server
/// without UaExpert; <c>opcua hash-password</c> for the users in a server's configuration.
/// </summary>
internal static class OpcUaCommands
{
    public static Command Create(TextWriter output, TextReader? input = null, Func<string, string?>? environment = null, TextWriter? error = null)
    {
        var login = new LoginOptions(environment ?? Environment.GetEnvironmentVariable);
        var security = new SecurityOptions();
        var connection = new OpcUaConnection(login, security, output, error ?? Console.Error);
        var url = new Argument<string>("url") { Description = "Endpoint URL, e.g. opc.tcp://host:4840/freeopcua/server/" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("opcua", "Talk to an OPC UA server (any security policy and mode; anonymous or --user) and manage certificate stores");

        var endpoints = new Command("endpoints", "List the server's endpoints") { url, json };
        // Discovery goes over a None channel whatever the server offers, so a server without a None endpoint answers too.
        endpoints.SetAction((result, cancel) => connection.RunDiscoveryAsync(result, async options =>
        {
            var list = await OpcUaClient.GetEndpointsAsync(result.GetValue(url)!, options, cancellationToken: cancel);
            Print(output, result.GetValue(json), ["url", "security mode", "security policy", "user tokens"],
                list.Select(e => new[] { e.EndpointUrl ?? "", e.SecurityMode.ToString(), e.SecurityPolicyUri ?? "", string.Join(",", (e.UserIdentityTokens ?? []).Select(t => t.TokenType)) }));
        }));

        var browseNode = new Argument<string>("node") { Description = "NodeId to browse (default: Objects, i=85)", DefaultValueFactory = _ => "i=85" };
        var browse = new Command("browse", "List the children of a node") { url, browseNode, json };
        browse.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var references = await client.BrowseAsync(NodeId.Parse(result.GetValue(browseNode)!), cancellationToken: cancel);
            Print(output, result.GetValue(json), ["browse name", "node id", "class", "type definition"],
                references.Select(r => new[] { r.BrowseName.ToString(), r.NodeId.NodeId.ToString(), r.NodeClass.ToString(), r.TypeDefinition.NodeId.IsNull ? "" : r.TypeDefinition.NodeId.ToString() }));
        }, session: true, cancel));

        var readNodes = new Argument<string[]>("nodes") { Description = "NodeIds to read", Arity = ArgumentArity.OneOrMore };
        var read = new Command("read", "Read the values of nodes") { url, readNodes, json };
        read.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var ids = result.GetValue(readNodes)!;
            var values = await client.ReadAsync([.. ids.Select(id => new ReadValueId { NodeId = NodeId.Parse(id), AttributeId = (uint)AttributeId.Value })], TimestampsToReturn.Both, cancel);
            Print(output, result.GetValue(json), ["node id", "value", "status", "source timestamp"],
                ids.Zip(values, (id, v) => new object?[] { id, v.Value, v.Status.ToString(), v.SourceTimestamp?.ToString("O", CultureInfo.InvariantCulture) ?? "" }));
        }, session: true, cancel));

        var writeNode = new Argument<string>("node") { Description = "NodeId to write" };
        var writeValue = new Argument<string>("value") { Description = "The value" };
        var type = new Option<BuiltInType>("--type") { Description = "Data type of the value", DefaultValueFactory = _ => BuiltInType.Double };
        var write = new Command("write", "Write the value of a node") { url, writeNode, writeValue, type };
        write.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var value = Parse(result.GetValue(type), result.GetValue(writeValue)!);
            var status = await client.WriteValueAsync(NodeId.Parse(result.GetValue(writeNode)!), value, cancel);
            await output.WriteLineAsync(status.ToString());
            if (status.IsBad) throw new OpcUaException(status, "the server refused the write");
        }, session: true, cancel));

        // --user and the security options go on the commands that connect, not on hash-password or certificates.
        Command Connecting(Command connecting)
        {
            connecting.Options.Add(login.User);
            return security.AddTo(connecting);
        }
        command.Subcommands.Add(Connecting(endpoints));
        command.Subcommands.Add(Connecting(browse));
        command.Subcommands.Add(Connecting(read));
        command.Subcommands.Add(Connecting(write));
        command.Subcommands.Add(Connecting(OpcUaMonitorCommands.Subscribe(url, connection)));
        command.Subcommands.Add(Connecting(OpcUaMonitorCommands.History(url, json, connection)));
        command.Subcommands.Add(Connecting(OpcUaEventCommands.Events(url, connection)));
        command.Subcommands.Add(Connecting(OpcUaEventCommands.Alarms(url, json, connection)));
        command.Subcommands.Add(Connecting(OpcUaEventCommands.Acknowledge(url, connection)));
        command.Subcommands.Add(Connecting(OpcUaEventCommands.Call(url, connection)));
        command.Subcommands.Add(HashPasswordCommand.Create(input ?? Console.In, output, Console.Error));
        command.Subcommands.Add(OpcUaCertificateCommands.Create(output, error ?? Console.Error));
        return command;
    }

    private static Variant Parse(BuiltInType type, string text) => type switch
    {
        BuiltInType.Boolean => Variant.From(bool.Parse(text)),
        BuiltInType.Int32 => Variant.From(int.Parse(text, CultureInfo.InvariantCulture)),
        BuiltInType.UInt32 => Variant.From(uint.Parse(text, CultureInfo.InvariantCulture)),
        BuiltInType.Int16 => Variant.From(short.Parse(text, CultureInfo.InvariantCulture)),
        BuiltInType.UInt16 => Variant.From(ushort.Parse(text, CultureInfo.InvariantCulture)),
        BuiltInType.Float => Variant.From(float.Parse(text, CultureInfo.InvariantCulture)),
        BuiltInType.Double => Variant.From(double.Parse(text, CultureInfo.InvariantCulture)),
        BuiltInType.String => Variant.From(text),
        _ => throw new FormatException($"writing {type} from the command line is not supported"),
    };

    internal static string Format(Variant value) => value.Value switch
    {
        null => "",
        Array array => "[" + string.Join(", ", array.Cast<object?>().Select(e => Convert.ToString(e, CultureInfo.InvariantCulture))) + "]",
        var scalar => Convert.ToString(scalar, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>A cell as the table prints it: a value formatted invariantly, text as it is.</summary>
    internal static string Text(object? cell) => cell switch
    {
        null => "",
        string text => text,
        Variant value => Format(value),
        _ => Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>A cell as <c>--json</c> prints it: values as JSON numbers, booleans and arrays (<see cref="JsonOutput"/>).</summary>
    internal static object? Json(object? cell) => cell is Variant value ? JsonOutput.Value(value) : cell;

    /// <summary>Prints rows (cells of text or <see cref="Variant"/> values) as a table, or as a JSON array of objects keyed by the headers.</summary>
    internal static void Print(TextWriter output, bool json, string[] headers, IEnumerable<object?[]> rows)
    {
        var cells = rows.ToList();
        if (json)
        {
            output.WriteLine(JsonOutput.Serialize(cells.Select(r => headers.Zip(r).ToDictionary(p => p.First, p => Json(p.Second)))));
            return;
        }
        var table = cells.Select(r => r.Select(Text).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, table.Count == 0 ? 0 : table.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))));
        foreach (var row in table)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))));
        }
    }
}
