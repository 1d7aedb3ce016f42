using System.Globalization;
using System.Security;
using System.Text;
using System.Xml.Linq;

namespace ThermalPlant.OpcUa.Generator;

/// <summary>
/// Generates the enumerations and structures of Opc.Ua.Types.bsd with their binary encode and decode
/// (Part 6, 5.2.6: fields in order, arrays as an Int32 count then elements, nested structures inline).
/// The built-in types the bsd also describes (NodeId, Variant, ...) are hand-written and skipped.
/// </summary>
internal sealed class TypeDictionaryGenerator(string bsdPath, IReadOnlyDictionary<string, uint> objectIds, string header)
{
    private static readonly XNamespace Opc = "http://opcfoundation.org/BinarySchema/";

    private static readonly HashSet<string> BuiltIns =
    [
        "XmlElement", "TwoByteNodeId", "FourByteNodeId", "NumericNodeId", "StringNodeId", "GuidNodeId", "ByteStringNodeId",
        "NodeId", "ExpandedNodeId", "DiagnosticInfo", "QualifiedName", "LocalizedText", "DataValue", "ExtensionObject", "Variant", "NodeIdType",
    ];

    // Built-in field types: C# type, default value, encoder call, decoder call.
    private static readonly Dictionary<string, (string Type, string Default, string Write, string Read)> Primitives = new()
    {
        ["opc:Boolean"] = ("bool", "", "WriteBoolean", "ReadBoolean"),
        ["opc:SByte"] = ("sbyte", "", "WriteSByte", "ReadSByte"),
        ["opc:Byte"] = ("byte", "", "WriteByte", "ReadByte"),
        ["opc:Int16"] = ("short", "", "WriteInt16", "ReadInt16"),
        ["opc:UInt16"] = ("ushort", "", "WriteUInt16", "ReadUInt16"),
        ["opc:Int32"] = ("int", "", "WriteInt32", "ReadInt32"),
        ["opc:UInt32"] = ("uint", "", "WriteUInt32", "ReadUInt32"),
        ["opc:Int64"] = ("long", "", "WriteInt64", "ReadInt64"),
        ["opc:UInt64"] = ("ulong", "", "WriteUInt64", "ReadUInt64"),
        ["opc:Float"] = ("float", "", "WriteFloat", "ReadFloat"),
        ["opc:Double"] = ("double", "", "WriteDouble", "ReadDouble"),
        ["opc:String"] = ("string?", "", "WriteString", "ReadString"),
        ["opc:CharArray"] = ("string?", "", "WriteString", "ReadString"),
        ["ua:XmlElement"] = ("string?", "", "WriteString", "ReadString"),
        ["opc:DateTime"] = ("DateTime", "", "WriteDateTime", "ReadDateTime"),
        ["opc:Guid"] = ("Guid", "", "WriteGuid", "ReadGuid"),
        ["opc:ByteString"] = ("byte[]?", "", "WriteByteStringOrNull", "ReadByteString"),
        ["ua:NodeId"] = ("NodeId", " = global::ThermalPlant.OpcUa.Types.NodeId.Null;", "WriteNodeId", "ReadNodeId"),
        ["ua:ExpandedNodeId"] = ("ExpandedNodeId", " = global::ThermalPlant.OpcUa.Types.ExpandedNodeId.Null;", "WriteExpandedNodeId", "ReadExpandedNodeId"),
        ["ua:StatusCode"] = ("StatusCode", "", "WriteStatusCode", "ReadStatusCode"),
        ["ua:QualifiedName"] = ("QualifiedName", "", "WriteQualifiedName", "ReadQualifiedName"),
        ["ua:LocalizedText"] = ("LocalizedText", "", "WriteLocalizedText", "ReadLocalizedText"),
        ["ua:ExtensionObject"] = ("ExtensionObject", " = global::ThermalPlant.OpcUa.Types.ExtensionObject.Null;", "WriteExtensionObject", "ReadExtensionObject"),
        ["ua:DataValue"] = ("DataValue", " = new();", "WriteDataValue", "ReadDataValue"),
        ["ua:Variant"] = ("Variant", " = global::ThermalPlant.OpcUa.Types.Variant.Null;", "WriteVariant", "ReadVariant"),
        ["ua:DiagnosticInfo"] = ("DiagnosticInfo", " = global::ThermalPlant.OpcUa.Types.DiagnosticInfo.Empty;", "WriteDiagnosticInfo", "ReadDiagnosticInfo"),
    };

    public IEnumerable<(string File, string Text)> Generate()
    {
        var root = XDocument.Load(bsdPath).Root!;
        var enums = root.Elements(Opc + "EnumeratedType").Where(e => !BuiltIns.Contains(Name(e))).ToDictionary(Name);
        var structs = root.Elements(Opc + "StructuredType").Where(e => !BuiltIns.Contains(Name(e))).ToDictionary(Name);
        yield return ("Enumerations.g.cs", Enumerations(enums.Values));
        yield return ("Structures.g.cs", Structures(structs.Values, enums));
        yield return ("EncodeableTypes.g.cs", Factory(structs.Keys));
    }

    private static string Name(XElement element) => (string)element.Attribute("Name")!;

    private string Enumerations(IEnumerable<XElement> enums)
    {
        var text = new StringBuilder(header);
        text.AppendLine("namespace ThermalPlant.OpcUa.Generated;");
        foreach (var e in enums)
        {
            var optionSet = (string?)e.Attribute("IsOptionSet") == "true";
            var underlying = UnderlyingType(e);
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"/// <summary>{Doc(e, $"The {Name(e)} enumeration.")}</summary>");
            if (optionSet) text.AppendLine("[Flags]");
            text.AppendLine(CultureInfo.InvariantCulture, $"public enum {Name(e)} : {underlying}");
            text.AppendLine("{");
            foreach (var value in e.Elements(Opc + "EnumeratedValue"))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    /// <summary>{Name(value)}.</summary>");
                text.AppendLine(CultureInfo.InvariantCulture, $"    {Name(value)} = {(string)value.Attribute("Value")!},");
            }
            text.AppendLine("}");
        }
        return text.ToString();
    }

    private static string UnderlyingType(XElement e) => ((string)e.Attribute("LengthInBits")!, (string?)e.Attribute("IsOptionSet") == "true") switch
    {
        ("8", _) => "byte",
        ("16", true) => "ushort",
        ("16", false) => "short",
        ("32", true) => "uint",
        _ => "int",
    };

    private string Structures(IEnumerable<XElement> structs, Dictionary<string, XElement> enums)
    {
        var text = new StringBuilder(header);
        text.AppendLine("using ThermalPlant.OpcUa.Encoding;");
        text.AppendLine("using ThermalPlant.OpcUa.Messages;");
        text.AppendLine("using ThermalPlant.OpcUa.Types;");
        text.AppendLine();
        text.AppendLine("namespace ThermalPlant.OpcUa.Generated;");
        foreach (var s in structs)
        {
            var name = Name(s);
            var fields = s.Elements(Opc + "Field").ToList();
            var lengthFields = fields.Select(f => (string?)f.Attribute("LengthField")).Where(l => l is not null).ToHashSet();
            var members = fields.Where(f => !lengthFields.Contains(Name(f))).Select(f => Member(f, enums)).ToList();
            var encodingId = objectIds.TryGetValue($"{name}_Encoding_DefaultBinary", out var id) ? id : 0;

            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"/// <summary>{Doc(s, $"The {name} structure.")}</summary>");
            var role = members.Any(m => m.Name == "RequestHeader" && m.Type == "RequestHeader") ? ", IServiceRequest"
                : members.Any(m => m.Name == "ResponseHeader" && m.Type == "ResponseHeader") ? ", IServiceResponse"
                : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"public sealed partial class {name} : IEncodeable{role}");
            text.AppendLine("{");
            text.AppendLine(CultureInfo.InvariantCulture, $"    /// <summary>The numeric id of the DefaultBinary encoding node (0 when the structure has none).</summary>");
            text.AppendLine(CultureInfo.InvariantCulture, $"    public const uint BinaryEncodingId = {encodingId};");
            text.AppendLine();
            text.AppendLine("    /// <inheritdoc />");
            text.AppendLine("    public uint EncodingId => BinaryEncodingId;");
            foreach (var m in members)
            {
                text.AppendLine();
                text.AppendLine(CultureInfo.InvariantCulture, $"    /// <summary>The {m.Name} field.</summary>");
                text.AppendLine(CultureInfo.InvariantCulture, $"    public {m.Type} {m.Name} {{ get; set; }}{m.Default}");
            }
            text.AppendLine();
            text.AppendLine("    /// <inheritdoc />");
            text.AppendLine("    public void Encode(BinaryEncoder encoder)");
            text.AppendLine("    {");
            foreach (var m in members) text.AppendLine(CultureInfo.InvariantCulture, $"        {m.Write}");
            text.AppendLine("    }");
            text.AppendLine();
            text.AppendLine("    /// <summary>Decodes the structure's fields.</summary>");
            text.AppendLine(CultureInfo.InvariantCulture, $"    public static {name} Decode(ref BinaryDecoder decoder)");
            text.AppendLine("    {");
            text.AppendLine(CultureInfo.InvariantCulture, $"        var value = new {name}();");
            foreach (var m in members) text.AppendLine(CultureInfo.InvariantCulture, $"        {m.Read}");
            text.AppendLine("        return value;");
            text.AppendLine("    }");
            text.AppendLine("}");
        }
        return text.ToString();
    }

    private static (string Name, string Type, string Default, string Write, string Read) Member(XElement field, Dictionary<string, XElement> enums)
    {
        var name = Name(field);
        var typeName = (string)field.Attribute("TypeName")!;
        var isArray = field.Attribute("LengthField") is not null;
        string elementType, defaultValue, write, read;
        if (Primitives.TryGetValue(typeName, out var primitive))
        {
            (elementType, defaultValue) = (primitive.Type, primitive.Default);
            write = $"encoder.{primitive.Write}(#)";
            read = $"decoder.{primitive.Read}()";
        }
        else if (typeName.StartsWith("tns:", StringComparison.Ordinal) && enums.TryGetValue(typeName[4..], out var e))
        {
            elementType = typeName[4..];
            defaultValue = "";
            var underlying = UnderlyingType(e);
            var (w, r) = underlying switch
            {
                "byte" => ("WriteByte((byte)#)", "ReadByte()"),
                "short" => ("WriteInt16((short)#)", "ReadInt16()"),
                "ushort" => ("WriteUInt16((ushort)#)", "ReadUInt16()"),
                "uint" => ("WriteUInt32((uint)#)", "ReadUInt32()"),
                _ => ("WriteInt32((int)#)", "ReadInt32()"),
            };
            write = $"encoder.{w}";
            read = $"({elementType})decoder.{r}";
        }
        else if (typeName.StartsWith("tns:", StringComparison.Ordinal))
        {
            elementType = typeName[4..];
            defaultValue = " = new();";
            write = "#.Encode(encoder)";
            read = $"{elementType}.Decode(ref decoder)";
        }
        else
        {
            throw new InvalidDataException($"field {name} has unknown type {typeName}");
        }

        if (!isArray)
        {
            return (name, elementType, defaultValue, write.Replace("#", name, StringComparison.Ordinal) + ";", $"value.{name} = {read};");
        }
        var element = elementType.TrimEnd('?');
        var arrayWrite = $"encoder.WriteArray({name}, static (e, item) => {write.Replace("encoder", "e", StringComparison.Ordinal).Replace("#", "item", StringComparison.Ordinal)});";
        // An array of arrays (ByteString[]) is created as new byte[count][].
        var creation = element.EndsWith("[]", StringComparison.Ordinal) ? $"{element[..^2]}[count][]" : $"{element}[count]";
        var arrayRead = $"{{ var count = decoder.ReadArrayLength(); if (count >= 0) {{ value.{name} = new {creation}; for (var i = 0; i < count; i++) value.{name}[i] = {read}; }} }}";
        return (name, $"{elementType}[]?", "", arrayWrite, arrayRead);
    }

    private string Factory(IEnumerable<string> structs)
    {
        var text = new StringBuilder(header);
        text.AppendLine("using ThermalPlant.OpcUa.Encoding;");
        text.AppendLine();
        text.AppendLine("namespace ThermalPlant.OpcUa.Generated;");
        text.AppendLine();
        text.AppendLine("/// <summary>Decodes a structure from the numeric id of its DefaultBinary encoding node.</summary>");
        text.AppendLine("public static class EncodeableTypes");
        text.AppendLine("{");
        text.AppendLine("    /// <summary>The decoded structure, or null when the id is not a known DefaultBinary encoding.</summary>");
        text.AppendLine("    public static IEncodeable? Decode(uint encodingId, ref BinaryDecoder decoder) => encodingId switch");
        text.AppendLine("    {");
        foreach (var name in structs)
        {
            if (objectIds.TryGetValue($"{name}_Encoding_DefaultBinary", out var id))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"        {id} => {name}.Decode(ref decoder),");
            }
        }
        text.AppendLine("        _ => null,");
        text.AppendLine("    };");
        text.AppendLine("}");
        return text.ToString();
    }

    private static string Doc(XElement element, string fallback)
    {
        var doc = (string?)element.Element(Opc + "Documentation");
        return SecurityElement.Escape(string.IsNullOrWhiteSpace(doc) ? fallback : doc.Trim());
    }
}
