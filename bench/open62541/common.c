#include "common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <open62541/plugin/create_certificate.h>
#include <open62541/util.h>

int tp_var_name(char *buffer, size_t size, long index) {
    return snprintf(buffer, size, "Var_%04ld", index);
}

int tp_var_identifier(char *buffer, size_t size, long index) {
    return snprintf(buffer, size, "Plant.Bench.Var_%04ld", index);
}

double tp_var_value(long index, long tick) {
    return sin((double)tick * 0.1 + (double)index);
}

double tp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double tp_self_cpu(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
           (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

double tp_process_cpu(long pid) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if(!file)
        return -1;
    char line[2048];
    size_t length = fread(line, 1, sizeof(line) - 1, file);
    fclose(file);
    line[length] = 0;
    /* The command name is in parentheses and may hold spaces: the fields count from the last ')'. */
    char *rest = strrchr(line, ')');
    if(!rest)
        return -1;
    unsigned long utime = 0, stime = 0;
    if(sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

long tp_process_rss_kib(long pid) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *file = fopen(path, "r");
    if(!file)
        return -1;
    char line[256];
    long rss = -1;
    while(fgets(line, sizeof(line), file)) {
        if(sscanf(line, "VmRSS: %ld", &rss) == 1)
            break;
    }
    fclose(file);
    return rss;
}

UA_StatusCode tp_make_certificate(const UA_Logger *logger, const char *applicationUri, const char *commonName,
                                  UA_ByteString *certificate, UA_ByteString *privateKey) {
    char cn[256], uri[512];
    snprintf(cn, sizeof(cn), "CN=%s", commonName);
    snprintf(uri, sizeof(uri), "URI:%s", applicationUri);
    UA_String subject[2] = {UA_STRING_STATIC("O=thermalplant"), UA_STRING(cn)};
    UA_String alternativeNames[3] = {UA_STRING(uri), UA_STRING_STATIC("DNS:localhost"), UA_STRING_STATIC("IP:127.0.0.1")};
    UA_UInt16 bits = 2048;
    UA_KeyValueMap params = UA_KEYVALUEMAP_NULL;
    UA_KeyValueMap_setScalar(&params, UA_QUALIFIEDNAME(0, "key-size-bits"), &bits, &UA_TYPES[UA_TYPES_UINT16]);
    UA_StatusCode status = UA_CreateCertificate(logger, subject, 2, alternativeNames, 3, UA_CERTIFICATEFORMAT_DER,
                                                &params, privateKey, certificate);
    UA_KeyValueMap_clear(&params);
    return status;
}

UA_StatusCode tp_parse_node_id(const char *text, tp_namespace_resolver resolve, void *context, UA_NodeId *out) {
    if(strncmp(text, "nsu=", 4) != 0)
        return UA_NodeId_parse(out, UA_STRING((char *)(uintptr_t)text));
    const char *separator = strchr(text, ';');
    if(!separator || separator - text - 4 >= 512)
        return UA_STATUSCODE_BADNODEIDINVALID;
    char uri[512];
    memcpy(uri, text + 4, (size_t)(separator - text - 4));
    uri[separator - text - 4] = 0;
    UA_UInt16 index = 0;
    UA_StatusCode status = resolve(context, uri, &index);
    if(status != UA_STATUSCODE_GOOD)
        return status;
    status = UA_NodeId_parse(out, UA_STRING((char *)(uintptr_t)(separator + 1)));
    if(status == UA_STATUSCODE_GOOD)
        out->namespaceIndex = index;
    return status;
}
