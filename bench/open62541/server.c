/* open62541's server serving the benchmark tree (bench/ThermalPlant.Benchmarks/Load/BenchTree.cs), the anchor of
 * bench/run's OPC UA steps and the peer of the interop tests:
 *   tp-open62541-server PORT [VARIABLES=1000] [UPDATE_MS=1000] [--secure [CERTIFICATE_OUT]]
 * Serves opc.tcp://127.0.0.1:PORT/ anonymously: Objects/Plant/Bench/Var_0000 ... as Double variables (readable
 * and writable) with string NodeIds "Plant.Bench.Var_0000" ... in namespace urn:thermalplant:bench, each given a
 * new value and source timestamp every UPDATE_MS. With --secure it also offers every policy open62541 has
 * (Basic256Sha256 SignAndEncrypt among them) with a new self-signed certificate, accepting any client certificate
 * (a benchmark or test has no administrator to trust one), and writes that certificate (DER) to CERTIFICATE_OUT when
 * given, for a client to trust. Prints "ready PORT" once listening; stops on SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <open62541/plugin/log_stdout.h>
#include <open62541/plugin/pki_default.h>
#include <open62541/server.h>
#include <open62541/server_config_default.h>

#include "common.h"

#define SERVER_URI "urn:thermalplant:bench:open62541-server"

static volatile UA_Boolean running = true;

static void stop(int signal) {
    (void)signal;
    running = false;
}

typedef struct {
    UA_NodeId *nodes;
    long count;
    long tick;
} Tree;

static void update(UA_Server *server, void *data) {
    Tree *tree = (Tree *)data;
    UA_DateTime now = UA_DateTime_now();
    for(long i = 0; i < tree->count; i++) {
        UA_Double value = tp_var_value(i, tree->tick);
        UA_DataValue dv;
        UA_DataValue_init(&dv);
        UA_Variant_setScalar(&dv.value, &value, &UA_TYPES[UA_TYPES_DOUBLE]);
        dv.hasValue = true;
        dv.sourceTimestamp = now;
        dv.hasSourceTimestamp = true;
        UA_Server_writeDataValue(server, tree->nodes[i], dv);
    }
    tree->tick++;
}

static UA_StatusCode addTree(UA_Server *server, Tree *tree) {
    UA_UInt16 ns = UA_Server_addNamespace(server, TP_NAMESPACE_URI);
    UA_ObjectAttributes folder = UA_ObjectAttributes_default;
    folder.displayName = UA_LOCALIZEDTEXT("", "Plant");
    UA_StatusCode status = UA_Server_addObjectNode(server, UA_NODEID_STRING(ns, "Plant"),
        UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER), UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES),
        UA_QUALIFIEDNAME(ns, "Plant"), UA_NODEID_NUMERIC(0, UA_NS0ID_FOLDERTYPE), folder, NULL, NULL);
    folder.displayName = UA_LOCALIZEDTEXT("", "Bench");
    status |= UA_Server_addObjectNode(server, UA_NODEID_STRING(ns, "Plant.Bench"), UA_NODEID_STRING(ns, "Plant"),
        UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES), UA_QUALIFIEDNAME(ns, "Bench"),
        UA_NODEID_NUMERIC(0, UA_NS0ID_FOLDERTYPE), folder, NULL, NULL);
    for(long i = 0; i < tree->count && status == UA_STATUSCODE_GOOD; i++) {
        char name[32], identifier[64];
        tp_var_name(name, sizeof(name), i);
        tp_var_identifier(identifier, sizeof(identifier), i);
        UA_VariableAttributes attributes = UA_VariableAttributes_default;
        UA_Double value = tp_var_value(i, 0);
        UA_Variant_setScalar(&attributes.value, &value, &UA_TYPES[UA_TYPES_DOUBLE]);
        attributes.dataType = UA_TYPES[UA_TYPES_DOUBLE].typeId;
        attributes.valueRank = UA_VALUERANK_SCALAR;
        attributes.displayName = UA_LOCALIZEDTEXT("", name);
        attributes.accessLevel = UA_ACCESSLEVELMASK_READ | UA_ACCESSLEVELMASK_WRITE;
        attributes.userAccessLevel = attributes.accessLevel;
        tree->nodes[i] = UA_NODEID_STRING_ALLOC(ns, identifier);
        status = UA_Server_addVariableNode(server, tree->nodes[i], UA_NODEID_STRING(ns, "Plant.Bench"),
            UA_NODEID_NUMERIC(0, UA_NS0ID_HASCOMPONENT), UA_QUALIFIEDNAME(ns, name),
            UA_NODEID_NUMERIC(0, UA_NS0ID_BASEDATAVARIABLETYPE), attributes, NULL, NULL);
    }
    return status;
}

static UA_StatusCode configure(UA_ServerConfig *config, UA_UInt16 port, UA_Boolean secure, const char *certificateOut) {
    if(!secure)
        return UA_ServerConfig_setMinimal(config, port, NULL);
    UA_ByteString certificate = UA_BYTESTRING_NULL, key = UA_BYTESTRING_NULL;
    UA_StatusCode status = tp_make_certificate(config->logging, SERVER_URI, "tp-open62541-server", &certificate, &key);
    if(status != UA_STATUSCODE_GOOD)
        return status;
    if(certificateOut) {
        FILE *file = fopen(certificateOut, "wb");
        size_t written = file ? fwrite(certificate.data, 1, certificate.length, file) : 0;
        if(!file || fclose(file) != 0 || written != certificate.length) {
            fprintf(stderr, "cannot write the certificate to %s\n", certificateOut);
            status = UA_STATUSCODE_BADINTERNALERROR;
        }
    }
    if(status != UA_STATUSCODE_GOOD) {
        UA_ByteString_clear(&certificate);
        UA_ByteString_clear(&key);
        return status;
    }
    status = UA_ServerConfig_setDefaultWithSecurityPolicies(config, port, &certificate, &key, NULL, 0, NULL, 0, NULL, 0);
    UA_ByteString_clear(&certificate);
    UA_ByteString_clear(&key);
    if(status != UA_STATUSCODE_GOOD)
        return status;
    config->secureChannelPKI.clear(&config->secureChannelPKI);
    UA_CertificateVerification_AcceptAll(&config->secureChannelPKI);
    config->sessionPKI.clear(&config->sessionPKI);
    UA_CertificateVerification_AcceptAll(&config->sessionPKI);
    return UA_STATUSCODE_GOOD;
}

int main(int argc, char **argv) {
    if(argc < 2) {
        fprintf(stderr, "usage: %s PORT [VARIABLES=1000] [UPDATE_MS=1000] [--secure [CERTIFICATE_OUT]]\n", argv[0]);
        return 2;
    }
    UA_UInt16 port = (UA_UInt16)atoi(argv[1]);
    Tree tree = {NULL, argc > 2 ? atol(argv[2]) : 1000, 0};
    double updateMs = argc > 3 ? atof(argv[3]) : 1000;
    UA_Boolean secure = argc > 4 && strcmp(argv[4], "--secure") == 0;
    const char *certificateOut = secure && argc > 5 ? argv[5] : NULL;
    if(tree.count < 0 || tree.count > 10000000 || updateMs < 1) {
        fprintf(stderr, "VARIABLES must be 0 to 10,000,000 and UPDATE_MS at least 1\n");
        return 2;
    }
    signal(SIGINT, stop);
    signal(SIGTERM, stop);

    UA_ServerConfig config;
    memset(&config, 0, sizeof(config));
    config.logging = UA_Log_Stdout_new(UA_LOGLEVEL_WARNING);
    UA_StatusCode status = configure(&config, port, secure, certificateOut);
    if(status != UA_STATUSCODE_GOOD) {
        fprintf(stderr, "the server's configuration failed: %s\n", UA_StatusCode_name(status));
        return 1;
    }
    /* Loopback only, as every test and benchmark peer here. */
    char url[64];
    snprintf(url, sizeof(url), "opc.tcp://127.0.0.1:%u", port);
    UA_String loopback = UA_STRING(url);
    UA_Array_delete(config.serverUrls, config.serverUrlsSize, &UA_TYPES[UA_TYPES_STRING]);
    config.serverUrls = NULL;
    config.serverUrlsSize = 0;
    status = UA_Array_copy(&loopback, 1, (void **)&config.serverUrls, &UA_TYPES[UA_TYPES_STRING]);
    config.serverUrlsSize = status == UA_STATUSCODE_GOOD ? 1 : 0;
    UA_String_clear(&config.applicationDescription.applicationUri);
    config.applicationDescription.applicationUri = UA_STRING_ALLOC(SERVER_URI);
    for(size_t i = 0; i < config.endpointsSize; i++) {
        UA_String_clear(&config.endpoints[i].server.applicationUri);
        config.endpoints[i].server.applicationUri = UA_STRING_ALLOC(SERVER_URI);
    }
    /* Many benchmark sessions and a large monitored-item load: the defaults are lower (0 is no limit). */
    config.maxSessions = 2000;
    config.maxSecureChannels = 2000;
    config.maxSubscriptions = 0;
    config.maxMonitoredItems = 0;
    config.maxNodesPerRead = 0;
    config.maxNodesPerWrite = 0;
    config.maxMonitoredItemsPerCall = 0;
    UA_Server *server = UA_Server_newWithConfig(&config);
    if(!server) {
        fprintf(stderr, "the server could not be created\n");
        return 1;
    }
    tree.nodes = (UA_NodeId *)calloc((size_t)(tree.count > 0 ? tree.count : 1), sizeof(UA_NodeId));
    if(status == UA_STATUSCODE_GOOD)
        status = addTree(server, &tree);
    /* The first values with their source timestamps before any client connects, as ours and node-opcua's have. */
    if(status == UA_STATUSCODE_GOOD)
        update(server, &tree);
    if(status == UA_STATUSCODE_GOOD)
        status = UA_Server_addRepeatedCallback(server, update, &tree, updateMs, NULL);
    if(status == UA_STATUSCODE_GOOD)
        status = UA_Server_run_startup(server);
    if(status != UA_STATUSCODE_GOOD) {
        fprintf(stderr, "the server did not start: %s\n", UA_StatusCode_name(status));
        UA_Server_delete(server);
        return 1;
    }
    printf("ready %u\n", port);
    fflush(stdout);
    while(running)
        UA_Server_run_iterate(server, true);
    UA_Server_run_shutdown(server);
    UA_Server_delete(server);
    for(long i = 0; i < tree.count; i++)
        UA_NodeId_clear(&tree.nodes[i]);
    free(tree.nodes);
    return 0;
}
