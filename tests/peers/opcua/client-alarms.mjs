// node-opcua as an independent OPC UA client of the server's events and alarms.
// Usage: node client-alarms.mjs ENDPOINT_URL CONDITION_ID
// Logs in as THERMALPLANT_TEST_USER / THERMALPLANT_TEST_PASSWORD (an Operator) over SecurityPolicy None, subscribes to
// the Server object's events with node-opcua's constructEventFilter (every field by path under BaseEventType, the
// ConditionId as ConditionType's NodeId attribute), runs ConditionRefresh, acknowledges and then confirms
// CONDITION_ID's latest event, and tries a stale EventId, a mistyped argument and Acknowledge on the Server object.
// Then a session as THERMALPLANT_TEST_OBSERVER / THERMALPLANT_TEST_OBSERVER_PASSWORD tries to acknowledge and refresh,
// and reads the Server object's event history (HistoryRead with ReadEventDetails and the same filter, two events per
// request, following continuation points), as the operator does with a where clause (AckedState/Id = true).
// Prints one JSON document with the statuses and the events seen, each as its field values.
import {
  OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, TimestampsToReturn, DataType, UserTokenType, constructEventFilter,
  HistoryReadRequest, ReadEventDetails, ContentFilter, ContentFilterElement, FilterOperator, SimpleAttributeOperand, LiteralOperand, Variant,
} from "node-opcua";

const [endpoint, conditionId] = process.argv.slice(2);
const fields = ["EventId", "EventType", "SourceName", "Severity", "Message", "ConditionId", "ActiveState.Id", "AckedState.Id", "ConfirmedState.Id", "Retain", "Comment"];
const client = OPCUAClient.create({
  applicationName: "thermalplant-interop-alarms",
  securityMode: MessageSecurityMode.None,
  securityPolicy: SecurityPolicy.None,
  endpointMustExist: false,
  connectionStrategy: { maxRetry: 0, initialDelay: 100 },
});
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const out = { events: [] };

const refresh = (session, subscriptionId) => session.call({
  objectId: "ns=0;i=2782",
  methodId: "ns=0;i=3875",
  inputArguments: [{ dataType: DataType.UInt32, value: subscriptionId }],
});
const commented = (session, methodId, eventId, text, objectId = conditionId) => session.call({
  objectId,
  methodId,
  inputArguments: [{ dataType: DataType.ByteString, value: eventId }, { dataType: DataType.LocalizedText, value: { text } }],
});
const latest = async predicate => {
  for (let i = 0; i < 100; i++) {
    const found = [...out.events].reverse().find(predicate);
    if (found) return found;
    await sleep(50);
  }
  throw new Error("the expected event did not arrive");
};
const ofCondition = e => e.ConditionId === conditionId;
const toEvent = values => {
  const e = {};
  fields.forEach((name, i) => {
    const v = values[i]?.value;
    e[name] = v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString("hex") : typeof v === "object" && "text" in v ? v.text : typeof v === "object" ? v.toString() : v;
  });
  return e;
};
// The event history of the Server object from an hour ago to a minute ahead, two events per request.
const history = async (session, whereClause) => {
  const filter = constructEventFilter(fields);
  if (whereClause) filter.whereClause = whereClause;
  const details = new ReadEventDetails({ startTime: new Date(Date.now() - 3600_000), endTime: new Date(Date.now() + 60_000), numValuesPerNode: 2, filter });
  const read = { events: [], requests: 0 };
  let continuationPoint = null;
  do {
    const response = await session.historyRead(new HistoryReadRequest({
      historyReadDetails: details,
      timestampsToReturn: TimestampsToReturn.Neither,
      nodesToRead: [{ nodeId: "ns=0;i=2253", continuationPoint }],
    }));
    const result = response.results[0];
    read.requests++;
    read.status = result.statusCode.name;
    if (result.statusCode.isNotGood() && result.statusCode.name !== "GoodNoData") break;
    for (const e of result.historyData?.events ?? []) read.events.push(toEvent(e.eventFields));
    continuationPoint = result.continuationPoint?.length ? result.continuationPoint : null;
  } while (continuationPoint && read.requests < 100);
  return read;
};
const ackedOnly = new ContentFilter({
  elements: [new ContentFilterElement({
    filterOperator: FilterOperator.Equals,
    filterOperands: [
      new SimpleAttributeOperand({ typeDefinitionId: "ns=0;i=2881", browsePath: [{ namespaceIndex: 0, name: "AckedState" }, { namespaceIndex: 0, name: "Id" }], attributeId: AttributeIds.Value }),
      new LiteralOperand({ value: new Variant({ dataType: DataType.Boolean, value: true }) }),
    ],
  })],
});

try {
  await client.connect(endpoint);
  const session = await client.createSession({ type: UserTokenType.UserName, userName: process.env.THERMALPLANT_TEST_USER, password: process.env.THERMALPLANT_TEST_PASSWORD });
  const notifier = (await session.read({ nodeId: "ns=0;i=2253", attributeId: AttributeIds.EventNotifier })).value.value;
  out.serverEventNotifier = notifier;
  const subscription = await session.createSubscription2({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, publishingEnabled: true });
  const item = await subscription.monitor(
    { nodeId: "ns=0;i=2253", attributeId: AttributeIds.EventNotifier },
    { queueSize: 100, discardOldest: true, samplingInterval: 0, filter: constructEventFilter(fields) },
    TimestampsToReturn.Neither);
  item.on("changed", values => {
    const e = toEvent(values);
    e.eventIdBytes = values[0]?.value;
    out.events.push(e);
  });
  await sleep(300);

  out.refresh = (await refresh(session, subscription.subscriptionId)).statusCode.name;
  const refreshed = await latest(ofCondition);
  await latest(e => e.EventType === "ns=0;i=2788");
  out.ack = (await commented(session, "ns=0;i=9111", refreshed.eventIdBytes, "node-opcua acknowledges")).statusCode.name;
  const acked = await latest(e => ofCondition(e) && e["AckedState.Id"] === true);
  out.stale = (await commented(session, "ns=0;i=9111", refreshed.eventIdBytes, "stale")).statusCode.name;
  out.mistyped = (await session.call({ objectId: conditionId, methodId: "ns=0;i=9111", inputArguments: [{ dataType: DataType.String, value: "x" }, { dataType: DataType.LocalizedText, value: { text: "x" } }] })).statusCode.name;
  out.wrongObject = (await commented(session, "ns=0;i=9111", acked.eventIdBytes, "x", "ns=0;i=2253")).statusCode.name;
  out.confirm = (await commented(session, "ns=0;i=9113", acked.eventIdBytes, "node-opcua confirms")).statusCode.name;
  // The refreshed event was confirmed already (nothing to confirm then): wait for the confirmation's own event.
  await latest(e => ofCondition(e) && e["ConfirmedState.Id"] === true && e.Comment === "node-opcua confirms");

  const observer = await client.createSession({ type: UserTokenType.UserName, userName: process.env.THERMALPLANT_TEST_OBSERVER, password: process.env.THERMALPLANT_TEST_OBSERVER_PASSWORD });
  const observed = await observer.createSubscription2({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, publishingEnabled: true });
  out.observerRefresh = (await refresh(observer, observed.subscriptionId)).statusCode.name;
  out.observerAck = (await commented(observer, "ns=0;i=9111", acked.eventIdBytes, "observer")).statusCode.name;
  out.observerOnOthersSubscription = (await refresh(observer, subscription.subscriptionId)).statusCode.name;
  out.history = await history(observer);
  out.ackedHistory = await history(session, ackedOnly);
  await observed.terminate();
  await observer.close();
  await subscription.terminate();
  await session.close();
} catch (err) {
  out.error = String(err?.stack ?? err);
} finally {
  await client.disconnect();
}
for (const e of out.events) delete e.eventIdBytes;
console.log(JSON.stringify(out));
