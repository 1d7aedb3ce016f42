namespace ThermalPlant.Cli.Import;

// The seed bridge's four YAML files as it reads them. Keys are snake_case in the files; unknown keys are ignored
// so that a user's extra comments-as-keys or newer fields do not stop the import.

/// <summary><c>general.yaml</c>: the intervals of the bridge's tasks, in seconds.</summary>
internal sealed class PycomintGeneral
{
    public double ControlInterval { get; set; } = 1;

    public double StorageInterval { get; set; } = 10;

    public double SupervisorInterval { get; set; } = 5;
}

/// <summary><c>modbus.yaml</c>: the electrolyzer (PEMEL) over Modbus TCP.</summary>
internal sealed class PycomintModbus
{
    public string Address { get; set; } = "";

    public int Port { get; set; } = 502;

    public int UnitRead { get; set; }

    public int? UnitWrite { get; set; }

    public string BaseOffset { get; set; } = "0";

    public int Retries { get; set; } = 3;

    public double Timeout { get; set; } = 1;

    public PycomintRegisters Registers { get; set; } = new();

    public PycomintCurrent Current { get; set; } = new();

    public string CalibrationTable { get; set; } = "";
}

/// <summary>The register addresses of <c>modbus.yaml</c> (hex or decimal).</summary>
internal sealed class PycomintRegisters
{
    public string Status { get; set; } = "0x8061";

    public string ProcessValues { get; set; } = "0x8065";

    public string CurrentSetpoint { get; set; } = "0x8006";
}

/// <summary>The current limits of <c>modbus.yaml</c>, amperes.</summary>
internal sealed class PycomintCurrent
{
    public int Max { get; set; } = 52;

    public int Min { get; set; } = 8;
}

/// <summary><c>opcua.yaml</c>: the methanation unit's PLC.</summary>
internal sealed class PycomintOpcUa
{
    public string Url { get; set; } = "";

    public string? User { get; set; }

    public string? Password { get; set; }

    public PycomintNodes Nodes { get; set; } = new();
}

/// <summary>The node ids of <c>opcua.yaml</c>: the control input and the values stored every cycle.</summary>
internal sealed class PycomintNodes
{
    public string H2FlowRequest { get; set; } = "";

    public Dictionary<string, string> Storage { get; set; } = [];
}

/// <summary><c>sql.yaml</c>: the wide-row table; only what the import reports on is read.</summary>
internal sealed class PycomintSql
{
    public string Host { get; set; } = "";

    public int Port { get; set; } = 5432;

    public string Database { get; set; } = "";

    public string? User { get; set; }

    public string? Password { get; set; }

    public string Table { get; set; } = "";

    public List<string> Columns { get; set; } = [];
}
