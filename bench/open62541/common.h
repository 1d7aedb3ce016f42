/* Shared by the open62541 programs of the benchmarks and interop tests (built by ensure_open62541 in
 * scripts/lib/common.sh): the benchmark tree's names, CPU and memory probes, and self-signed certificates. */
#ifndef TP_OPEN62541_COMMON_H
#define TP_OPEN62541_COMMON_H

#include <open62541/types.h>
#include <open62541/plugin/log.h>

/* The namespace and names of bench/ThermalPlant.Benchmarks/Load/BenchTree.cs: Objects/Plant/Bench/Var_0000 ... */
#define TP_NAMESPACE_URI "urn:thermalplant:bench"

/* Writes "Var_0000"-style names (and "Plant.Bench.Var_0000" identifiers) into buffer; returns its length. */
int tp_var_name(char *buffer, size_t size, long index);
int tp_var_identifier(char *buffer, size_t size, long index);

/* The value variable index has at update tick, as BenchTree.Value. */
double tp_var_value(long index, long tick);

/* Monotonic seconds. */
double tp_now(void);

/* This process's CPU seconds (user + system, all threads). */
double tp_self_cpu(void);

/* Another process's CPU seconds from /proc/PID/stat (utime + stime), or -1 when it cannot be read. */
double tp_process_cpu(long pid);

/* Another process's resident set in KiB from /proc/PID/status (VmRSS), or -1. */
long tp_process_rss_kib(long pid);

/* A self-signed RSA 2048 certificate (DER) and key for applicationUri, valid for 127.0.0.1 and localhost. */
UA_StatusCode tp_make_certificate(const UA_Logger *logger, const char *applicationUri, const char *commonName,
                                  UA_ByteString *certificate, UA_ByteString *privateKey);

/* Parses "nsu=URI;s=ID" (the namespace index looked up by resolve) or any form UA_NodeId_parse reads. */
typedef UA_StatusCode (*tp_namespace_resolver)(void *context, const char *uri, UA_UInt16 *index);
UA_StatusCode tp_parse_node_id(const char *text, tp_namespace_resolver resolve, void *context, UA_NodeId *out);

#endif
