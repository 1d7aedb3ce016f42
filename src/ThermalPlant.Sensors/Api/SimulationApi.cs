using Microsoft.Extensions.Options;
using ThermalPlant.Sensors.Settings;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Api;

/// <summary>Fault injection into the simulated plant; mapped only in simulated mode, never reachable through the DMZ.</summary>
internal static partial class SimulationApi
{
    public static IEndpointRouteBuilder MapSimulationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/simulation/faults").WithTags("Simulation");
        // Counting and injecting under one lock, so concurrent POSTs cannot pass the cap together.
        var injecting = new Lock();
        group.MapGet("", (PlantModel plant) => TypedResults.Ok(plant.Faults()));
        group.MapPost("", (FaultSpec spec, PlantModel plant, IOptions<SensorsOptions> options, ILoggerFactory loggers) =>
        {
            var errors = spec.Validate().ToArray();
            if (errors.Length > 0)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["fault"] = errors }, title: "Invalid fault");
            }
            var max = options.Value.MaxActiveFaults;
            ActiveFault fault;
            lock (injecting)
            {
                if (plant.Faults().Count >= max)
                {
                    LogFaultRefused(loggers.CreateLogger(typeof(SimulationApi)), max);
                    return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too many active faults",
                        detail: $"{max} faults are active, the most Sensors:MaxActiveFaults allows; clear one (DELETE /simulation/faults/{{id}}) first.");
                }
                fault = plant.Inject(spec);
            }
            return TypedResults.Created($"/simulation/faults/{fault.Id}", fault);
        });
        group.MapDelete("/{id:int}", (int id, PlantModel plant) => plant.Clear(id)
            ? Results.NoContent()
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such fault", detail: $"Fault {id} is not active."));
        group.MapDelete("", (PlantModel plant) =>
        {
            plant.ClearAll();
            return Results.NoContent();
        });
        return app;
    }

    [LoggerMessage(EventId = 130, Level = LogLevel.Warning, Message = "Fault injection refused: {MaxActiveFaults} faults are active already (Sensors:MaxActiveFaults)")]
    private static partial void LogFaultRefused(ILogger logger, int maxActiveFaults);
}
