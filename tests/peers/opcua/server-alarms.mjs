// node-opcua as an independent OPC UA server with Alarms & Conditions, for our client.
// Usage: node server-alarms.mjs PORT
// Serves opc.tcp://127.0.0.1:PORT/UA/Alarms with SecurityPolicy None and anonymous access. Under Objects an object
// "Tank" (a notifier of the Server object) with a writable Double "Level" = 50 watched by an ExclusiveLimitAlarm
// "LevelAlarm" (node-opcua's instantiateExclusiveLimitAlarm: LowLow 10, Low 20, High 80, HighHigh 90), and a writable
// Boolean "PumpFault" = false watched by an OffNormalAlarm "PumpFaultAlarm" (instantiateOffNormalAlarm, normal state
// false). Writing the inputs drives the alarms. Prints "ready" and the conditions' NodeIds once listening; stops when killed.
import { OPCUAServer, DataType, Variant } from "node-opcua";

const port = Number(process.argv[2]);
const server = new OPCUAServer({ port, hostname: "127.0.0.1", resourcePath: "/UA/Alarms", allowAnonymous: true, buildInfo: { productName: "thermalplant-alarm-peer" } });
await server.initialize();
const space = server.engine.addressSpace;
// Binds ConditionRefresh and the condition methods (Acknowledge, Confirm, ...) on the standard types.
space.installAlarmsAndConditionsService();
const ns = space.getOwnNamespace();
const writable = { accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite" };

const tank = ns.addObject({ browseName: "Tank", nodeId: "s=Tank", organizedBy: space.rootFolder.objects, notifierOf: space.rootFolder.objects.server });
const level = ns.addVariable({ componentOf: tank, browseName: "Level", nodeId: "s=Tank.Level", dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: 50 }), ...writable });
const fault = ns.addVariable({ componentOf: tank, browseName: "PumpFault", nodeId: "s=Tank.PumpFault", dataType: DataType.Boolean, value: new Variant({ dataType: DataType.Boolean, value: false }), ...writable });
const normal = ns.addVariable({ componentOf: tank, browseName: "PumpFaultNormal", nodeId: "s=Tank.PumpFaultNormal", dataType: DataType.Boolean, value: new Variant({ dataType: DataType.Boolean, value: false }) });
tank.addReference({ referenceType: "HasEventSource", nodeId: level });
tank.addReference({ referenceType: "HasEventSource", nodeId: fault });

const levelAlarm = ns.instantiateExclusiveLimitAlarm("ExclusiveLimitAlarmType", {
  browseName: "LevelAlarm", nodeId: "s=Tank.LevelAlarm", componentOf: tank, conditionSource: level, inputNode: level,
  lowLowLimit: 10, lowLimit: 20, highLimit: 80, highHighLimit: 90,
});
const faultAlarm = ns.instantiateOffNormalAlarm({
  browseName: "PumpFaultAlarm", nodeId: "s=Tank.PumpFaultAlarm", componentOf: tank, conditionSource: fault, inputNode: fault, normalState: normal,
});
await server.start();
console.log("ready");
console.log(JSON.stringify({ levelAlarm: levelAlarm.nodeId.toString(), faultAlarm: faultAlarm.nodeId.toString() }));
process.on("SIGTERM", async () => { await server.shutdown(0); process.exit(0); });
