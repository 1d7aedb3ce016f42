// node-opcua as an independent OPC UA client subscribing to the server under test.
// Usage: node client-subscribe.mjs ENDPOINT_URL NAMESPACE_URI SECONDS
// In the namespace NAMESPACE_URI it monitors s=Plant.Ramp twice (sampling 0 and sampling 500 ms), s=Plant.Noisy
// with an absolute deadband of 5, and s=Plant.Idle in a second subscription that only sees keep-alives; after
// SECONDS it reads the raw history of s=Plant.Ramp over the last hour and prints one JSON document:
// { "ramp": [values], "rampSlow": [values], "noisy": [values], "keepalives": n, "history": [values] }.
import { OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, TimestampsToReturn, DataChangeFilter, DataChangeTrigger, DeadbandType, ClientMonitoredItem } from "node-opcua";

const [endpoint, namespaceUri, seconds] = process.argv.slice(2);
const client = OPCUAClient.create({
  applicationName: "thermalplant-interop",
  securityMode: MessageSecurityMode.None,
  securityPolicy: SecurityPolicy.None,
  endpointMustExist: false,
  connectionStrategy: { maxRetry: 0, initialDelay: 100 },
});

const out = { ramp: [], rampSlow: [], noisy: [], keepalives: 0, history: [] };
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
try {
  await client.connect(endpoint);
  const session = await client.createSession();
  const namespaces = (await session.read({ nodeId: "ns=0;i=2255", attributeId: AttributeIds.Value })).value.value;
  const ns = namespaces.indexOf(namespaceUri);
  if (ns < 0) throw new Error(`namespace ${namespaceUri} not served`);
  const id = name => `ns=${ns};s=Plant.${name}`;

  const subscription = await session.createSubscription2({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, publishingEnabled: true });
  const watch = async (sub, name, parameters, into) => {
    const item = await sub.monitor({ nodeId: id(name), attributeId: AttributeIds.Value }, { queueSize: 100, discardOldest: true, ...parameters }, TimestampsToReturn.Both);
    item.on("changed", value => into.push(value.value.value));
    return item;
  };
  await watch(subscription, "Ramp", { samplingInterval: 0 }, out.ramp);
  await watch(subscription, "Ramp", { samplingInterval: 500 }, out.rampSlow);
  await watch(subscription, "Noisy", { samplingInterval: 0, filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValue, deadbandType: DeadbandType.Absolute, deadbandValue: 5 }) }, out.noisy);

  const idle = await session.createSubscription2({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 3, requestedLifetimeCount: 30, publishingEnabled: true });
  idle.on("keepalive", () => { out.keepalives++; });
  await watch(idle, "Idle", { samplingInterval: 0 }, []);

  await sleep(Number(seconds) * 1000);
  const now = new Date();
  const [history] = await session.readHistoryValue([{ nodeId: id("Ramp") }], new Date(now.getTime() - 3600_000), now);
  if (history.statusCode.isNotGood()) throw new Error(`history read: ${history.statusCode.toString()}`);
  // Bounding values (BadBoundNotFound where none exists) are not values that were served.
  out.history = (history.historyData?.dataValues ?? []).filter(v => v.statusCode.isGood()).map(v => v.value.value);
  await subscription.terminate();
  await idle.terminate();
  await session.close();
} catch (err) {
  out.error = String(err?.stack ?? err);
} finally {
  await client.disconnect();
}
console.log(JSON.stringify(out));
