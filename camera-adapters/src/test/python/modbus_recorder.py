#!/usr/bin/python3
"""A real Modbus TCP server (Debian's python3-pymodbus) that records every write.

Started by the actuator integration tests on loopback. Prints one line per event on stdout:

    READY <port>
    COIL <address> <0|1> <epoch_us>             (every coil written, FC 05 or FC 15)
    REG <address> <v0,v1,...> <epoch_us>        (every holding-register write, FC 06 or FC 16)

Timestamps are taken on the server when the request is applied, so the tests measure pulse timing
where a PLC would see it. Coils/registers exist at addresses 0..(size-1): a write beyond that gets
a Modbus exception response (ILLEGAL DATA ADDRESS), which the tests use on purpose.
--delay-ms makes every write slow (a PLC that answers late).
"""
import argparse
import asyncio
import logging
import sys
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class RecordingBlock(ModbusSequentialDataBlock):
    def __init__(self, kind, size, delay_s):
        super().__init__(0, [0] * size)
        self.kind = kind
        self.delay_s = delay_s

    def setValues(self, address, values):  # noqa: N802 (pymodbus API)
        now_us = time.time_ns() // 1000
        if not isinstance(values, list):
            values = [values]
        super().setValues(address, values)
        if self.kind == "COIL":
            for i, v in enumerate(values):
                emit(f"COIL {address + i} {1 if v else 0} {now_us}")
        else:
            emit(f"REG {address} {','.join(str(int(v)) for v in values)} {now_us}")
        if self.delay_s > 0:
            time.sleep(self.delay_s)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    delay = args.delay_ms / 1000.0
    slave = ModbusSlaveContext(
        co=RecordingBlock("COIL", args.size, delay),
        hr=RecordingBlock("REG", args.size, delay),
        di=ModbusSequentialDataBlock(0, [0] * args.size),
        ir=ModbusSequentialDataBlock(0, [0] * args.size),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves=slave, single=True)
    server = await StartAsyncTcpServer(
        context=context, address=("127.0.0.1", args.port), defer_start=True, allow_reuse_address=True
    )
    loop = asyncio.get_running_loop()
    task = loop.create_task(server.serve_forever())
    while server.server is None:
        await asyncio.sleep(0.01)
    emit(f"READY {args.port}")
    # Stops by itself when the test's end of stdin closes (the test process went away).
    await loop.run_in_executor(None, sys.stdin.read)
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
