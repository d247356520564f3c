#!/usr/bin/env python3
"""A real SMTP server for the one-time-code tests.

aiosmtpd on 127.0.0.1 with an ephemeral port; every message it accepts is saved, as received,
to DIR/<n>.eml (written to a temporary name first, then renamed, so a reader never sees half a
message). Prints "PORT <port>" once it listens. Stops on SIGTERM, SIGINT or when its standard
input closes (so it never outlives the test that started it).

Usage: smtp_sink.py DIR
"""
import asyncio
import itertools
import os
import signal
import sys
import threading

from aiosmtpd.smtp import SMTP


class SaveToDirectory:
    def __init__(self, directory):
        self.directory = directory
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        number = next(self.numbers)
        final = os.path.join(self.directory, f"{number:06d}.eml")
        with open(final + ".tmp", "wb") as out:
            out.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            out.write(envelope.original_content)
        os.rename(final + ".tmp", final)
        return "250 Message accepted"


async def main(directory):
    loop = asyncio.get_running_loop()
    handler = SaveToDirectory(directory)
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin():
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"PORT {port}", flush=True)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    asyncio.run(main(sys.argv[1]))
