#!/usr/bin/python3
"""An independent Modbus TCP client (Debian's python3-pymodbus) that drives the server under test.

Usage: client.py PORT
Writes and reads every function code against 127.0.0.1:PORT (unit 1) and prints one JSON document.
"""
import json
import sys

from pymodbus.client import ModbusTcpClient


def main():
    port = int(sys.argv[1])
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=3)
    if not client.connect():
        print(json.dumps({"error": "connect failed"}))
        sys.exit(1)
    out = {}
    client.write_coil(10, True, slave=1)
    client.write_coils(20, [True, False, True, True], slave=1)
    out["coils"] = client.read_coils(10, 14, slave=1).bits[:14]
    out["discrete_inputs"] = client.read_discrete_inputs(0, 8, slave=1).bits[:8]
    client.write_register(100, 4242, slave=1)
    client.write_registers(200, [1, 2, 65535], slave=1)
    out["holding"] = client.read_holding_registers(100, 1, slave=1).registers + client.read_holding_registers(200, 3, slave=1).registers
    out["input"] = client.read_input_registers(5, 3, slave=1).registers
    rw = client.readwrite_registers(read_address=300, read_count=2, write_address=300, write_registers=[7, 8], slave=1)
    out["read_write"] = rw.registers
    bad = client.read_holding_registers(65535, 2, slave=1)
    out["illegal_address"] = getattr(bad, "exception_code", None)
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
