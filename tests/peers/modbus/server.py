#!/usr/bin/python3
"""An independent Modbus TCP server (Debian's python3-pymodbus) for the interop tests.

Usage: server.py PORT
Serves on 127.0.0.1:PORT with zero-based addressing:
  coils 0..99:            coil i is on when i % 3 == 0
  discrete inputs 0..99:  input i is on when i % 2 == 1
  holding 0..199:         register i = 1000 + i
  input registers 0..99:  register i = 2000 + i
Prints "ready" once listening. Stops when killed.
"""
import logging
import sys
import threading

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer


def main():
    port = int(sys.argv[1])
    store = ModbusSlaveContext(
        co=ModbusSequentialDataBlock(0, [i % 3 == 0 for i in range(100)]),
        di=ModbusSequentialDataBlock(0, [i % 2 == 1 for i in range(100)]),
        hr=ModbusSequentialDataBlock(0, [1000 + i for i in range(200)]),
        ir=ModbusSequentialDataBlock(0, [2000 + i for i in range(100)]),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves=store, single=True)
    logging.basicConfig(level=logging.WARNING)
    threading.Timer(0.5, lambda: print("ready", flush=True)).start()
    StartTcpServer(context=context, address=("127.0.0.1", port))


if __name__ == "__main__":
    main()
