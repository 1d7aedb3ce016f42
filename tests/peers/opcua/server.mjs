// node-opcua as an independent OPC UA server for our client.
// Usage: node server.mjs PORT [USER:PASSWORD]
// Serves opc.tcp://127.0.0.1:PORT/UA/Peer with SecurityPolicy None and anonymous access; given USER:PASSWORD it
// refuses anonymous sessions and accepts only that user; it then also offers Basic256Sha256 (SignAndEncrypt), as
// node-opcua lists a password policy on its None endpoint only for security policies the server has. Under Objects it has
// a folder "Unit" with a Double "FlowSetpoint" = 16.7, an Int32 "Mode" = 3, a String "Name" = "methanation",
// a historizing Double "Counter" that counts up every 100 ms, a folder "Many" with 40 Double variables, so that browsing needs continuation points at small limits, and a
// deep tree "Site" of several hundred nodes: 4 areas (folders, Organizes) of 5 units (objects, HasComponent) of 3
// devices (objects) of 6 variables each (Double, Int32, Boolean, String, a writable Double "Setpoint" and a
// read-only Double "Limit"), with NodeIds "Site.A<a>.U<u>.D<d>.<name>".
// Prints "ready" once listening; stops when killed.
import { OPCUAServer, DataType, Variant, StatusCodes, SecurityPolicy, MessageSecurityMode } from "node-opcua";

const port = Number(process.argv[2]);
const login = process.argv[3];
const [requiredUser, requiredPassword] = login ? [login.slice(0, login.indexOf(":")), login.slice(login.indexOf(":") + 1)] : [];
const server = new OPCUAServer({
  port,
  hostname: "127.0.0.1",
  resourcePath: "/UA/Peer",
  securityPolicies: login ? [SecurityPolicy.None, SecurityPolicy.Basic256Sha256] : [SecurityPolicy.None],
  securityModes: login ? [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt] : [MessageSecurityMode.None],
  allowAnonymous: !login,
  userManager: login ? { isValidUser: (userName, password) => userName === requiredUser && password === requiredPassword } : undefined,
  buildInfo: { productName: "thermalplant-peer" },
});
await server.initialize();
const space = server.engine.addressSpace;
const ns = space.getOwnNamespace();
const unit = ns.addFolder(space.rootFolder.objects, { browseName: "Unit", nodeId: "s=Unit" });
ns.addVariable({ componentOf: unit, browseName: "FlowSetpoint", nodeId: "s=Unit.FlowSetpoint", dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: 16.7 }) });
ns.addVariable({ componentOf: unit, browseName: "Mode", nodeId: "s=Unit.Mode", dataType: DataType.Int32, value: new Variant({ dataType: DataType.Int32, value: 3 }) });
ns.addVariable({ componentOf: unit, browseName: "Name", nodeId: "s=Unit.Name", dataType: DataType.String, value: new Variant({ dataType: DataType.String, value: "methanation" }) });
const counter = ns.addVariable({ componentOf: unit, browseName: "Counter", nodeId: "s=Unit.Counter", dataType: DataType.Double, minimumSamplingInterval: 0 });
space.installHistoricalDataNode(counter, { maxOnlineValues: 1000 });
let ticks = 0;
counter.setValueFromSource(new Variant({ dataType: DataType.Double, value: ticks }));
setInterval(() => counter.setValueFromSource(new Variant({ dataType: DataType.Double, value: ++ticks })), 100);
const many = ns.addFolder(space.rootFolder.objects, { browseName: "Many", nodeId: "s=Many" });
for (let i = 0; i < 40; i++) {
  ns.addVariable({ componentOf: many, browseName: `V${i}`, nodeId: `s=Many.V${i}`, dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: i }) });
}
const site = ns.addFolder(space.rootFolder.objects, { browseName: "Site", nodeId: "s=Site" });
for (let a = 0; a < 4; a++) {
  const area = ns.addFolder(site, { browseName: `A${a}`, nodeId: `s=Site.A${a}` });
  for (let u = 0; u < 5; u++) {
    const unitNode = ns.addObject({ organizedBy: area, browseName: `U${u}`, nodeId: `s=Site.A${a}.U${u}` });
    for (let d = 0; d < 3; d++) {
      const id = `Site.A${a}.U${u}.D${d}`;
      const device = ns.addObject({ componentOf: unitNode, browseName: `D${d}`, nodeId: `s=${id}` });
      const add = (name, dataType, value, writable) => ns.addVariable({
        componentOf: device, browseName: name, nodeId: `s=${id}.${name}`, dataType,
        accessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
        userAccessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
        value: new Variant({ dataType, value }),
      });
      add("Temperature", DataType.Double, a * 100 + u * 10 + d + 0.5, false);
      add("Count", DataType.Int32, a * 100 + u * 10 + d, false);
      add("Running", DataType.Boolean, d % 2 === 0, false);
      add("Tag", DataType.String, id, false);
      add("Setpoint", DataType.Double, 0, true);
      add("Limit", DataType.Double, 99, false);
    }
  }
}
await server.start();
console.log("ready");
process.on("SIGTERM", async () => { await server.shutdown(0); process.exit(0); });
