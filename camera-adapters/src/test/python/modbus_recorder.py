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

--plc-orders BASE --plc-cameras N makes it a minimal PLC for `firing: plc`, written from
docs/actuators.md ("PLC-timed rejects") and nothing else: camera slot s's order area is the 144
registers at BASE + 144*s (header: ACK[0..7], RESULT[0..7]; then 8 order slots of 16 registers,
the order sequence number in each slot's last register). When a write completes an order slot whose
sequence number differs from its ACK, the PLC takes it: RESULT = 1 (TAKEN) if its due time is still
ahead on this host's clock, 2 (LATE) if it has passed; then ACK = the sequence number. It prints

    ORDER <slot address> <seq,due_us,frame_seq,result> <epoch_us>

It fires nothing (the Java simulated PLC does that); the tests check what was handed over.
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


SLOTS = 8
BLOCK = 16
AREA = BLOCK + SLOTS * BLOCK


class RecordingBlock(ModbusSequentialDataBlock):
    def __init__(self, kind, size, delay_s, orders=None, cameras=0):
        super().__init__(0, [0] * size)
        self.kind = kind
        self.delay_s = delay_s
        self.orders = orders
        self.cameras = cameras

    def u64(self, address):
        v = 0
        for r in super().getValues(address, 4):
            v = (v << 16) | int(r)
        return v

    def take_orders(self, address, count):
        for reg in range(address, address + count):
            off = reg - self.orders
            if off < 0 or off >= AREA * self.cameras:
                continue
            in_area = off % AREA
            if in_area < BLOCK or in_area % BLOCK != BLOCK - 1:
                continue
            area = self.orders + (off // AREA) * AREA
            k = in_area // BLOCK - 1
            base = area + BLOCK * (1 + k)
            seq = int(super().getValues(base + 15, 1)[0])
            if seq == int(super().getValues(area + k, 1)[0]):
                continue
            due = self.u64(base)
            frame = self.u64(base + 8)
            now_us = time.time_ns() // 1000
            result = 2 if now_us > due else 1
            super().setValues(area + SLOTS + k, [result])
            super().setValues(area + k, [seq])
            emit(f"ORDER {base} {seq},{due},{frame},{result} {now_us}")

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
            if self.orders is not None:
                self.take_orders(address, len(values))
        if self.delay_s > 0:
            time.sleep(self.delay_s)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--plc-orders", type=int, default=None)
    parser.add_argument("--plc-cameras", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    delay = args.delay_ms / 1000.0
    slave = ModbusSlaveContext(
        co=RecordingBlock("COIL", args.size, delay),
        hr=RecordingBlock("REG", args.size, delay, args.plc_orders, args.plc_cameras),
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
