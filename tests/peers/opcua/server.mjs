// node-opcua as an independent OPC UA server for our client.
// Usage: node server.mjs PORT
// Serves opc.tcp://127.0.0.1:PORT/UA/Peer with SecurityPolicy None and anonymous access. Under Objects it has
// a folder "Unit" with a Double "FlowSetpoint" = 16.7, an Int32 "Mode" = 3, a String "Name" = "methanation",
// and a folder "Many" with 40 Double variables, so that browsing needs continuation points at small limits.
// Prints "ready" once listening; stops when killed.
import { OPCUAServer, DataType, Variant, StatusCodes, SecurityPolicy, MessageSecurityMode } from "node-opcua";

const port = Number(process.argv[2]);
const server = new OPCUAServer({
  port,
  hostname: "127.0.0.1",
  resourcePath: "/UA/Peer",
  securityPolicies: [SecurityPolicy.None],
  securityModes: [MessageSecurityMode.None],
  allowAnonymous: true,
  buildInfo: { productName: "thermalplant-peer" },
});
await server.initialize();
const space = server.engine.addressSpace;
const ns = space.getOwnNamespace();
const unit = ns.addFolder(space.rootFolder.objects, { browseName: "Unit", nodeId: "s=Unit" });
ns.addVariable({ componentOf: unit, browseName: "FlowSetpoint", nodeId: "s=Unit.FlowSetpoint", dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: 16.7 }) });
ns.addVariable({ componentOf: unit, browseName: "Mode", nodeId: "s=Unit.Mode", dataType: DataType.Int32, value: new Variant({ dataType: DataType.Int32, value: 3 }) });
ns.addVariable({ componentOf: unit, browseName: "Name", nodeId: "s=Unit.Name", dataType: DataType.String, value: new Variant({ dataType: DataType.String, value: "methanation" }) });
const many = ns.addFolder(space.rootFolder.objects, { browseName: "Many", nodeId: "s=Many" });
for (let i = 0; i < 40; i++) {
  ns.addVariable({ componentOf: many, browseName: `V${i}`, nodeId: `s=Many.V${i}`, dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: i }) });
}
await server.start();
console.log("ready");
process.on("SIGTERM", async () => { await server.shutdown(0); process.exit(0); });
