// node-opcua as an independent client of the plant's OPC UA server service.
// Usage: node client-plant.mjs ENDPOINT_URL NAMESPACE_URI SECONDS
// Browses Objects/Plant completely, reads Value, DataType, AccessLevel and Historizing of every variable,
// subscribes to s=Plant.Temperature.Upper for SECONDS and reads its raw history of the last hour; prints one JSON
// document: { "variables": [{ "path", "nodeId", "status", "value", "dataType", "accessLevel", "historizing" }],
// "changes": n, "history": n }.
import { OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, BrowseDirection, NodeClass, TimestampsToReturn } from "node-opcua";

const [endpoint, namespaceUri, seconds] = process.argv.slice(2);
const client = OPCUAClient.create({
  applicationName: "thermalplant-interop",
  securityMode: MessageSecurityMode.None,
  securityPolicy: SecurityPolicy.None,
  endpointMustExist: true,
  connectionStrategy: { maxRetry: 0, initialDelay: 100 },
});
const out = { variables: [], changes: 0, history: 0 };
try {
  await client.connect(endpoint);
  const session = await client.createSession();
  const namespaces = (await session.read({ nodeId: "ns=0;i=2255", attributeId: AttributeIds.Value })).value.value;
  const ns = namespaces.indexOf(namespaceUri);
  if (ns < 0) throw new Error(`namespace ${namespaceUri} not served`);
  const walk = async (nodeId, path) => {
    const result = await session.browse({ nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: "HierarchicalReferences", includeSubtypes: true, resultMask: 63 });
    for (const ref of result.references ?? []) {
      if (ref.browseName.namespaceIndex !== ns) continue;
      const child = `${path}/${ref.browseName.name}`;
      if (ref.nodeClass === NodeClass.Variable) out.variables.push({ path: child, nodeId: ref.nodeId.toString() });
      else await walk(ref.nodeId, child);
    }
  };
  await walk(`ns=${ns};s=Plant`, "Plant");
  for (const variable of out.variables) {
    const [value, dataType, accessLevel, historizing] = await session.read(
      [AttributeIds.Value, AttributeIds.DataType, AttributeIds.AccessLevel, AttributeIds.Historizing].map(attributeId => ({ nodeId: variable.nodeId, attributeId })));
    variable.status = value.statusCode.name;
    variable.value = value.value.value;
    variable.dataType = dataType.value.value?.toString();
    variable.accessLevel = accessLevel.value.value;
    variable.historizing = historizing.value.value;
  }
  const subscription = await session.createSubscription2({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, publishingEnabled: true });
  const item = await subscription.monitor({ nodeId: `ns=${ns};s=Plant.Temperature.Upper`, attributeId: AttributeIds.Value }, { samplingInterval: 0, queueSize: 100, discardOldest: true }, TimestampsToReturn.Both);
  item.on("changed", () => { out.changes++; });
  await new Promise(resolve => setTimeout(resolve, Number(seconds) * 1000));
  const now = new Date();
  const [history] = await session.readHistoryValue([{ nodeId: `ns=${ns};s=Plant.Temperature.Upper` }], new Date(now.getTime() - 3600_000), now);
  out.history = (history.historyData?.dataValues ?? []).filter(v => v.statusCode.isGood()).length;
  await subscription.terminate();
  await session.close();
} catch (err) {
  out.error = String(err?.stack ?? err);
} finally {
  await client.disconnect();
}
console.log(JSON.stringify(out));
