/* open62541's client: the load generator of bench/run's OPC UA steps and the peer of the interop tests.
 *
 * Load (every session on one event loop in one thread, so the generator costs little and reports its own CPU):
 *   tp-open62541-client read-load URL [--seconds 10] [--warmup 2] [--variables 1000] [--per-request 105]
 *       [--in-flight 4] [--sessions 2] [--server-pid PID] [--secure]
 *     ReadRequests of --per-request Values of the benchmark tree (timestamps Both), --in-flight outstanding per
 *     session, back to back; prints "read-load values=N requests=N errors=N seconds=S client_cpu_s=S server_cpu_s=S".
 *   tp-open62541-client subscribe-load URL [--seconds 10] [--warmup 3] [--variables 1000] [--items 1000]
 *       [--sessions 1] [--publishing-ms 1000] [--server-pid PID]
 *     One subscription per session, --items monitored items over them all (item j watches Var_(j mod variables),
 *     sampling interval 0, queue 1), created 1,000 a call; prints "subscribe-load notifications=N seconds=S
 *     client_cpu_s=S server_cpu_s=S rss_start_kib=N rss_sessions_kib=N rss_items_kib=N".
 * Interop (one session; a node is "nsu=URI;s=ID" or "ns=N;s=ID"/"i=N"; prints one line per result):
 *   tp-open62541-client browse URL NODE          "ref BROWSENAME NODEID" per hierarchical forward reference
 *   tp-open62541-client read URL NODE...         "value STATUS VALUE" per node
 *   tp-open62541-client write URL NODE DOUBLE    "write STATUS"
 *   tp-open62541-client subscribe URL NODE COUNT TIMEOUT_S   "notification STATUS VALUE" until COUNT arrived
 *   tp-open62541-client history URL NODE START_MS END_MS     "history STATUS VALUE SOURCE_MS" (raw, Unix ms)
 * With --secure the channel is Basic256Sha256 SignAndEncrypt with a new self-signed client certificate, accepting
 * the server's. Exits 1 with the reason on stderr when a step fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <open62541/client.h>
#include <open62541/client_config_default.h>
#include <open62541/client_highlevel.h>
#include <open62541/client_highlevel_async.h>
#include <open62541/client_subscriptions.h>
#include <open62541/plugin/log_stdout.h>
#include <open62541/plugin/pki_default.h>

#include "common.h"

#define CLIENT_URI "urn:thermalplant:bench:open62541-client"
#define BASIC256SHA256 "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"

typedef struct {
    const char *url;
    UA_Boolean secure;
    UA_ByteString certificate;
    UA_ByteString key;
} Connection;

static const char *option(int argc, char **argv, const char *name, const char *fallback) {
    for(int i = 0; i + 1 < argc; i++) {
        if(strcmp(argv[i], name) == 0)
            return argv[i + 1];
    }
    return fallback;
}

static UA_Boolean flag(int argc, char **argv, const char *name) {
    for(int i = 0; i < argc; i++) {
        if(strcmp(argv[i], name) == 0)
            return true;
    }
    return false;
}

static int fail(const char *what, UA_StatusCode status) {
    fprintf(stderr, "%s: %s\n", what, UA_StatusCode_name(status));
    return 1;
}

/* A connected client; with shared set, on that event loop (the caller deletes the loop's owner last). */
static UA_Client *connect(Connection *connection, UA_EventLoop *shared, UA_StatusCode *status) {
    UA_ClientConfig config;
    memset(&config, 0, sizeof(config));
    config.logging = UA_Log_Stdout_new(UA_LOGLEVEL_ERROR);
    if(shared) {
        config.eventLoop = shared;
        config.externalEventLoop = true;
    }
    if(connection->secure) {
        *status = UA_ClientConfig_setDefaultEncryption(&config, connection->certificate, connection->key, NULL, 0, NULL, 0);
        if(*status == UA_STATUSCODE_GOOD) {
            config.certificateVerification.clear(&config.certificateVerification);
            UA_CertificateVerification_AcceptAll(&config.certificateVerification);
            config.securityMode = UA_MESSAGESECURITYMODE_SIGNANDENCRYPT;
            config.securityPolicyUri = UA_STRING_ALLOC(BASIC256SHA256);
        }
    } else {
        *status = UA_ClientConfig_setDefault(&config);
        config.securityMode = UA_MESSAGESECURITYMODE_NONE;
    }
    if(*status != UA_STATUSCODE_GOOD) {
        UA_ClientConfig_clear(&config);
        return NULL;
    }
    UA_String_clear(&config.clientDescription.applicationUri);
    config.clientDescription.applicationUri = UA_STRING_ALLOC(CLIENT_URI);
    config.timeout = 30000;
    UA_Client *client = UA_Client_newWithConfig(&config);
    *status = UA_Client_connect(client, connection->url);
    if(*status != UA_STATUSCODE_GOOD) {
        UA_Client_delete(client);
        return NULL;
    }
    return client;
}

static UA_StatusCode resolveNamespace(void *context, const char *uri, UA_UInt16 *index) {
    UA_String text = UA_STRING((char *)(uintptr_t)uri);
    return UA_Client_NamespaceGetIndex((UA_Client *)context, &text, index);
}

/* ---- read load ---- */

typedef struct {
    UA_UInt64 values, requests, errors;
    UA_Boolean running;
    UA_ReadRequest request;
    size_t perRequest;
} ReadLoad;

static void onRead(UA_Client *client, void *userdata, UA_UInt32 requestId, UA_ReadResponse *response) {
    (void)requestId;
    ReadLoad *load = (ReadLoad *)userdata;
    load->requests++;
    if(response->responseHeader.serviceResult != UA_STATUSCODE_GOOD || response->resultsSize != load->perRequest) {
        load->errors++;
    } else {
        for(size_t i = 0; i < response->resultsSize; i++) {
            if(response->results[i].hasStatus && response->results[i].status != UA_STATUSCODE_GOOD)
                load->errors++;
            else
                load->values++;
        }
    }
    if(load->running)
        UA_Client_sendAsyncReadRequest(client, &load->request, onRead, load, NULL);
}

static void runFor(UA_Client *loopOwner, double seconds) {
    double end = tp_now() + seconds;
    while(tp_now() < end)
        UA_Client_run_iterate(loopOwner, 20);
}

static int readLoad(int argc, char **argv, Connection *connection) {
    double seconds = atof(option(argc, argv, "--seconds", "10"));
    double warmup = atof(option(argc, argv, "--warmup", "2"));
    long variables = atol(option(argc, argv, "--variables", "1000"));
    long perRequest = atol(option(argc, argv, "--per-request", "105"));
    long inFlight = atol(option(argc, argv, "--in-flight", "4"));
    long sessions = atol(option(argc, argv, "--sessions", "2"));
    long pid = atol(option(argc, argv, "--server-pid", "0"));
    if(variables < 1 || perRequest < 1 || perRequest > 100000 || inFlight < 1 || inFlight > 1000 || sessions < 1 ||
       sessions > 1000) {
        fprintf(stderr, "read-load: out-of-range option\n");
        return 2;
    }
    UA_Client **clients = (UA_Client **)calloc((size_t)sessions, sizeof(UA_Client *));
    ReadLoad *loads = (ReadLoad *)calloc((size_t)sessions, sizeof(ReadLoad));
    UA_StatusCode status = UA_STATUSCODE_GOOD;
    UA_UInt16 ns = 0;
    for(long s = 0; s < sessions; s++) {
        clients[s] = connect(connection, s == 0 ? NULL : UA_Client_getConfig(clients[0])->eventLoop, &status);
        if(!clients[s])
            return fail("connect", status);
    }
    UA_String uri = UA_STRING(TP_NAMESPACE_URI);
    status = UA_Client_NamespaceGetIndex(clients[0], &uri, &ns);
    if(status != UA_STATUSCODE_GOOD)
        return fail("namespace " TP_NAMESPACE_URI, status);
    for(long s = 0; s < sessions; s++) {
        ReadLoad *load = &loads[s];
        load->running = true;
        load->perRequest = (size_t)perRequest;
        UA_ReadRequest_init(&load->request);
        load->request.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
        load->request.nodesToRead = (UA_ReadValueId *)UA_Array_new((size_t)perRequest, &UA_TYPES[UA_TYPES_READVALUEID]);
        load->request.nodesToReadSize = (size_t)perRequest;
        for(long j = 0; j < perRequest; j++) {
            char identifier[64];
            tp_var_identifier(identifier, sizeof(identifier), (s * perRequest + j) % variables);
            load->request.nodesToRead[j].nodeId = UA_NODEID_STRING_ALLOC(ns, identifier);
            load->request.nodesToRead[j].attributeId = UA_ATTRIBUTEID_VALUE;
        }
        for(long k = 0; k < inFlight; k++)
            UA_Client_sendAsyncReadRequest(clients[s], &load->request, onRead, load, NULL);
    }
    runFor(clients[0], warmup);
    UA_UInt64 values0 = 0, requests0 = 0, errors0 = 0;
    for(long s = 0; s < sessions; s++) {
        values0 += loads[s].values;
        requests0 += loads[s].requests;
        errors0 += loads[s].errors;
    }
    double start = tp_now(), cpu0 = tp_self_cpu(), server0 = pid > 0 ? tp_process_cpu(pid) : 0;
    runFor(clients[0], seconds);
    double elapsed = tp_now() - start, cpu = tp_self_cpu() - cpu0, server = pid > 0 ? tp_process_cpu(pid) - server0 : 0;
    UA_UInt64 values = 0, requests = 0, errors = 0;
    for(long s = 0; s < sessions; s++) {
        values += loads[s].values;
        requests += loads[s].requests;
        errors += loads[s].errors;
        loads[s].running = false;
    }
    printf("read-load values=%llu requests=%llu errors=%llu seconds=%.3f client_cpu_s=%.3f server_cpu_s=%.3f\n",
           (unsigned long long)(values - values0), (unsigned long long)(requests - requests0),
           (unsigned long long)(errors - errors0), elapsed, cpu, server);
    fflush(stdout);
    /* Let the outstanding requests finish, then close the sessions (the loop's owner last). */
    runFor(clients[0], 0.2);
    for(long s = sessions - 1; s >= 0; s--) {
        UA_Client_disconnect(clients[s]);
        UA_Client_delete(clients[s]);
        UA_ReadRequest_clear(&loads[s].request);
    }
    free(clients);
    free(loads);
    return errors == errors0 ? 0 : 1;
}

/* ---- subscription load ---- */

static UA_UInt64 notifications;

static void onDataChange(UA_Client *client, UA_UInt32 subId, void *subContext, UA_UInt32 monId, void *monContext,
                         UA_DataValue *value) {
    (void)client, (void)subId, (void)subContext, (void)monId, (void)monContext, (void)value;
    notifications++;
}

static UA_StatusCode subscribeItems(UA_Client *client, UA_UInt16 ns, long first, long count, long variables,
                                    double publishingMs) {
    UA_CreateSubscriptionRequest subscription = UA_CreateSubscriptionRequest_default();
    subscription.requestedPublishingInterval = publishingMs;
    subscription.requestedMaxKeepAliveCount = 10;
    subscription.requestedLifetimeCount = 100;
    UA_CreateSubscriptionResponse created = UA_Client_Subscriptions_create(client, subscription, NULL, NULL, NULL);
    UA_StatusCode status = created.responseHeader.serviceResult;
    UA_UInt32 subscriptionId = created.subscriptionId;
    UA_CreateSubscriptionResponse_clear(&created);
    const long batch = 1000;
    UA_MonitoredItemCreateRequest items[1000];
    UA_Client_DataChangeNotificationCallback callbacks[1000];
    void *contexts[1000];
    for(long done = 0; done < count && status == UA_STATUSCODE_GOOD; done += batch) {
        long n = count - done < batch ? count - done : batch;
        for(long j = 0; j < n; j++) {
            char identifier[64];
            tp_var_identifier(identifier, sizeof(identifier), (first + done + j) % variables);
            items[j] = UA_MonitoredItemCreateRequest_default(UA_NODEID_STRING_ALLOC(ns, identifier));
            items[j].requestedParameters.samplingInterval = 0;
            items[j].requestedParameters.queueSize = 1;
            callbacks[j] = onDataChange;
            contexts[j] = NULL;
        }
        UA_CreateMonitoredItemsRequest request;
        UA_CreateMonitoredItemsRequest_init(&request);
        request.subscriptionId = subscriptionId;
        request.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
        request.itemsToCreate = items;
        request.itemsToCreateSize = (size_t)n;
        UA_CreateMonitoredItemsResponse response =
            UA_Client_MonitoredItems_createDataChanges(client, request, contexts, callbacks, NULL);
        status = response.responseHeader.serviceResult;
        for(size_t j = 0; j < response.resultsSize && status == UA_STATUSCODE_GOOD; j++)
            status = response.results[j].statusCode;
        UA_CreateMonitoredItemsResponse_clear(&response);
        for(long j = 0; j < n; j++)
            UA_MonitoredItemCreateRequest_clear(&items[j]);
    }
    return status;
}

static int subscribeLoad(int argc, char **argv, Connection *connection) {
    double seconds = atof(option(argc, argv, "--seconds", "10"));
    double warmup = atof(option(argc, argv, "--warmup", "3"));
    long variables = atol(option(argc, argv, "--variables", "1000"));
    long items = atol(option(argc, argv, "--items", "1000"));
    long sessions = atol(option(argc, argv, "--sessions", "1"));
    double publishingMs = atof(option(argc, argv, "--publishing-ms", "1000"));
    long pid = atol(option(argc, argv, "--server-pid", "0"));
    if(variables < 1 || items < 0 || items > 10000000 || sessions < 1 || sessions > 10000 || publishingMs <= 0) {
        fprintf(stderr, "subscribe-load: out-of-range option\n");
        return 2;
    }
    long rssStart = pid > 0 ? tp_process_rss_kib(pid) : -1;
    UA_Client **clients = (UA_Client **)calloc((size_t)sessions, sizeof(UA_Client *));
    UA_StatusCode status = UA_STATUSCODE_GOOD;
    for(long s = 0; s < sessions; s++) {
        clients[s] = connect(connection, s == 0 ? NULL : UA_Client_getConfig(clients[0])->eventLoop, &status);
        if(!clients[s])
            return fail("connect", status);
    }
    long rssSessions = pid > 0 ? tp_process_rss_kib(pid) : -1;
    UA_UInt16 ns = 0;
    UA_String uri = UA_STRING(TP_NAMESPACE_URI);
    status = UA_Client_NamespaceGetIndex(clients[0], &uri, &ns);
    if(status != UA_STATUSCODE_GOOD)
        return fail("namespace " TP_NAMESPACE_URI, status);
    long first = 0;
    for(long s = 0; s < sessions; s++) {
        long count = items / sessions + (s < items % sessions ? 1 : 0);
        status = subscribeItems(clients[s], ns, first, count, variables, publishingMs);
        if(status != UA_STATUSCODE_GOOD)
            return fail("create monitored items", status);
        first += count;
    }
    runFor(clients[0], warmup);
    long rssItems = pid > 0 ? tp_process_rss_kib(pid) : -1;
    UA_UInt64 notifications0 = notifications;
    double start = tp_now(), cpu0 = tp_self_cpu(), server0 = pid > 0 ? tp_process_cpu(pid) : 0;
    runFor(clients[0], seconds);
    double elapsed = tp_now() - start, cpu = tp_self_cpu() - cpu0, server = pid > 0 ? tp_process_cpu(pid) - server0 : 0;
    printf("subscribe-load notifications=%llu seconds=%.3f client_cpu_s=%.3f server_cpu_s=%.3f rss_start_kib=%ld "
           "rss_sessions_kib=%ld rss_items_kib=%ld\n",
           (unsigned long long)(notifications - notifications0), elapsed, cpu, server, rssStart, rssSessions, rssItems);
    fflush(stdout);
    for(long s = sessions - 1; s >= 0; s--) {
        UA_Client_disconnect(clients[s]);
        UA_Client_delete(clients[s]);
    }
    free(clients);
    return 0;
}

/* ---- interop ---- */

static void printValue(const UA_DataValue *value) {
    const char *status = UA_StatusCode_name(value->hasStatus ? value->status : UA_STATUSCODE_GOOD);
    if(value->hasValue && UA_Variant_hasScalarType(&value->value, &UA_TYPES[UA_TYPES_DOUBLE])) {
        printf("%s %.17g", status, *(UA_Double *)value->value.data);
    } else if(value->hasValue) {
        UA_String text = UA_STRING_NULL;
        UA_print(&value->value, &UA_TYPES[UA_TYPES_VARIANT], &text);
        printf("%s %.*s", status, (int)text.length, (const char *)text.data);
        UA_String_clear(&text);
    } else {
        printf("%s -", status);
    }
}

static int browse(UA_Client *client, const UA_NodeId *node) {
    UA_BrowseRequest request;
    UA_BrowseRequest_init(&request);
    UA_BrowseDescription description;
    UA_BrowseDescription_init(&description);
    description.nodeId = *node;
    description.browseDirection = UA_BROWSEDIRECTION_FORWARD;
    description.referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_HIERARCHICALREFERENCES);
    description.includeSubtypes = true;
    description.resultMask = UA_BROWSERESULTMASK_ALL;
    request.nodesToBrowse = &description;
    request.nodesToBrowseSize = 1;
    UA_BrowseResponse response = UA_Client_Service_browse(client, request);
    UA_StatusCode status = response.responseHeader.serviceResult;
    if(status == UA_STATUSCODE_GOOD && response.resultsSize == 1)
        status = response.results[0].statusCode;
    UA_ByteString continuation = UA_BYTESTRING_NULL;
    UA_BrowseResult *result = status == UA_STATUSCODE_GOOD ? &response.results[0] : NULL;
    UA_BrowseNextResponse next;
    UA_BrowseNextResponse_init(&next);
    while(result && status == UA_STATUSCODE_GOOD) {
        for(size_t i = 0; i < result->referencesSize; i++) {
            UA_String id = UA_STRING_NULL;
            UA_NodeId_print(&result->references[i].nodeId.nodeId, &id);
            printf("ref %.*s %.*s\n", (int)result->references[i].browseName.name.length,
                   (const char *)result->references[i].browseName.name.data, (int)id.length, (const char *)id.data);
            UA_String_clear(&id);
        }
        if(result->continuationPoint.length == 0)
            break;
        UA_ByteString_clear(&continuation);
        UA_ByteString_copy(&result->continuationPoint, &continuation);
        UA_BrowseNextResponse_clear(&next);
        UA_BrowseNextRequest nextRequest;
        UA_BrowseNextRequest_init(&nextRequest);
        nextRequest.continuationPoints = &continuation;
        nextRequest.continuationPointsSize = 1;
        next = UA_Client_Service_browseNext(client, nextRequest);
        status = next.responseHeader.serviceResult;
        if(status == UA_STATUSCODE_GOOD && next.resultsSize == 1)
            status = next.results[0].statusCode;
        result = status == UA_STATUSCODE_GOOD && next.resultsSize == 1 ? &next.results[0] : NULL;
    }
    UA_ByteString_clear(&continuation);
    UA_BrowseNextResponse_clear(&next);
    UA_BrowseResponse_clear(&response);
    return status == UA_STATUSCODE_GOOD ? 0 : fail("browse", status);
}

static int subscribeCount;

static void onInteropChange(UA_Client *client, UA_UInt32 subId, void *subContext, UA_UInt32 monId, void *monContext,
                            UA_DataValue *value) {
    (void)client, (void)subId, (void)subContext, (void)monId, (void)monContext;
    printf("notification ");
    printValue(value);
    printf("\n");
    fflush(stdout);
    subscribeCount++;
}

static int subscribe(UA_Client *client, const UA_NodeId *node, int count, double timeout) {
    UA_CreateSubscriptionRequest request = UA_CreateSubscriptionRequest_default();
    request.requestedPublishingInterval = 100;
    UA_CreateSubscriptionResponse created = UA_Client_Subscriptions_create(client, request, NULL, NULL, NULL);
    UA_StatusCode status = created.responseHeader.serviceResult;
    if(status != UA_STATUSCODE_GOOD)
        return fail("create subscription", status);
    UA_NodeId copy;
    UA_NodeId_copy(node, &copy);
    UA_MonitoredItemCreateRequest item = UA_MonitoredItemCreateRequest_default(copy);
    item.requestedParameters.samplingInterval = 0;
    UA_MonitoredItemCreateResult result = UA_Client_MonitoredItems_createDataChange(
        client, created.subscriptionId, UA_TIMESTAMPSTORETURN_BOTH, item, NULL, onInteropChange, NULL);
    UA_MonitoredItemCreateRequest_clear(&item);
    status = result.statusCode;
    UA_MonitoredItemCreateResult_clear(&result);
    if(status != UA_STATUSCODE_GOOD)
        return fail("create monitored item", status);
    printf("subscribed %u\n", created.subscriptionId);
    fflush(stdout);
    double end = tp_now() + timeout;
    while(subscribeCount < count && tp_now() < end) {
        status = UA_Client_run_iterate(client, 50);
        if(status != UA_STATUSCODE_GOOD)
            return fail("run", status);
    }
    UA_Client_Subscriptions_deleteSingle(client, created.subscriptionId);
    if(subscribeCount < count) {
        fprintf(stderr, "subscribe: %d of %d notifications within %.0f s\n", subscribeCount, count, timeout);
        return 1;
    }
    return 0;
}

static UA_Boolean onHistory(UA_Client *client, const UA_NodeId *nodeId, UA_Boolean moreDataAvailable,
                            const UA_ExtensionObject *data, void *context) {
    (void)client, (void)nodeId, (void)moreDataAvailable, (void)context;
    if(data->encoding != UA_EXTENSIONOBJECT_DECODED || data->content.decoded.type != &UA_TYPES[UA_TYPES_HISTORYDATA])
        return true;
    const UA_HistoryData *history = (const UA_HistoryData *)data->content.decoded.data;
    for(size_t i = 0; i < history->dataValuesSize; i++) {
        printf("history ");
        printValue(&history->dataValues[i]);
        printf(" %lld\n", (long long)((history->dataValues[i].sourceTimestamp - UA_DATETIME_UNIX_EPOCH) / UA_DATETIME_MSEC));
    }
    return true;
}

static int interop(const char *command, int argc, char **argv, Connection *connection) {
    UA_StatusCode status;
    UA_Client *client = connect(connection, NULL, &status);
    if(!client)
        return fail("connect", status);
    int exitCode = 0;
    UA_NodeId node = UA_NODEID_NULL;
    status = argc > 3 ? tp_parse_node_id(argv[3], resolveNamespace, client, &node) : UA_STATUSCODE_BADNODEIDINVALID;
    if(status != UA_STATUSCODE_GOOD) {
        exitCode = fail(argc > 3 ? argv[3] : "node", status);
    } else if(strcmp(command, "browse") == 0) {
        exitCode = browse(client, &node);
    } else if(strcmp(command, "read") == 0) {
        for(int i = 3; i < argc && argv[i][0] != '-' && exitCode == 0; i++) {
            UA_NodeId id = UA_NODEID_NULL;
            status = tp_parse_node_id(argv[i], resolveNamespace, client, &id);
            if(status != UA_STATUSCODE_GOOD) {
                exitCode = fail(argv[i], status);
                break;
            }
            UA_ReadValueId readId;
            UA_ReadValueId_init(&readId);
            readId.nodeId = id;
            readId.attributeId = UA_ATTRIBUTEID_VALUE;
            UA_ReadRequest request;
            UA_ReadRequest_init(&request);
            request.nodesToRead = &readId;
            request.nodesToReadSize = 1;
            request.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
            UA_ReadResponse response = UA_Client_Service_read(client, request);
            status = response.responseHeader.serviceResult;
            if(status == UA_STATUSCODE_GOOD && response.resultsSize == 1) {
                printf("value ");
                printValue(&response.results[0]);
                printf("\n");
            } else {
                exitCode = fail("read", status);
            }
            UA_ReadResponse_clear(&response);
            UA_NodeId_clear(&id);
        }
    } else if(strcmp(command, "write") == 0 && argc > 4) {
        UA_Variant value;
        UA_Double number = atof(argv[4]);
        UA_Variant_setScalar(&value, &number, &UA_TYPES[UA_TYPES_DOUBLE]);
        status = UA_Client_writeValueAttribute(client, node, &value);
        printf("write %s\n", UA_StatusCode_name(status));
    } else if(strcmp(command, "subscribe") == 0 && argc > 5) {
        exitCode = subscribe(client, &node, atoi(argv[4]), atof(argv[5]));
    } else if(strcmp(command, "history") == 0 && argc > 5) {
        UA_DateTime start = UA_DATETIME_UNIX_EPOCH + atoll(argv[4]) * UA_DATETIME_MSEC;
        UA_DateTime end = UA_DATETIME_UNIX_EPOCH + atoll(argv[5]) * UA_DATETIME_MSEC;
        status = UA_Client_HistoryRead_raw(client, &node, onHistory, start, end, UA_STRING_NULL, false, 0,
                                           UA_TIMESTAMPSTORETURN_BOTH, NULL);
        if(status != UA_STATUSCODE_GOOD)
            exitCode = fail("history read", status);
    } else {
        fprintf(stderr, "%s: missing arguments\n", command);
        exitCode = 2;
    }
    fflush(stdout);
    UA_NodeId_clear(&node);
    UA_Client_disconnect(client);
    UA_Client_delete(client);
    return exitCode;
}

int main(int argc, char **argv) {
    if(argc < 3) {
        fprintf(stderr, "usage: %s read-load|subscribe-load|browse|read|write|subscribe|history URL ... [--secure]\n",
                argv[0]);
        return 2;
    }
    Connection connection = {argv[2], flag(argc, argv, "--secure"), UA_BYTESTRING_NULL, UA_BYTESTRING_NULL};
    if(connection.secure) {
        UA_Logger *logger = UA_Log_Stdout_new(UA_LOGLEVEL_WARNING);
        UA_StatusCode status = tp_make_certificate(logger, CLIENT_URI, "tp-open62541-client", &connection.certificate,
                                                   &connection.key);
        logger->clear(logger);
        if(status != UA_STATUSCODE_GOOD)
            return fail("client certificate", status);
    }
    int exitCode;
    if(strcmp(argv[1], "read-load") == 0)
        exitCode = readLoad(argc, argv, &connection);
    else if(strcmp(argv[1], "subscribe-load") == 0)
        exitCode = subscribeLoad(argc, argv, &connection);
    else
        exitCode = interop(argv[1], argc, argv, &connection);
    UA_ByteString_clear(&connection.certificate);
    UA_ByteString_clear(&connection.key);
    return exitCode;
}
