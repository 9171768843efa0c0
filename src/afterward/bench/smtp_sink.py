"""The messaging benchmark's SMTP server: a small asyncio SMTP sink (EHLO with
PIPELINING and CHUNKING, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT) that accepts every
message and writes {count, first, last, bytes} to a file. aiosmtpd (the tests' server)
spends about 2 ms of CPU per message, which on this 2-core machine would measure the
server rather than the workers."""

SCRIPT = r"""
import asyncio, json, os, signal, sys, time

port, status_path = int(sys.argv[1]), sys.argv[2]
state = {"count": 0, "first": None, "last": None, "bytes": 0}
EHLO = (b"250-bench.invalid\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-CHUNKING\r\n"
        b"250 SIZE 52428800\r\n")


class Session(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer, self.scan = transport, b"", 0
        self.in_data, self.sender, self.recipients, self.closing = False, False, 0, False
        self.in_chunk, self.chunk_left, self.chunk_last, self.chunked = False, 0, False, 0
        transport.write(b"220 bench.invalid ESMTP sink\r\n")

    def data_received(self, data):
        self.buffer += data
        replies = []
        while True:
            if self.in_chunk:  # BDAT: its size says how many bytes are content
                taken = min(self.chunk_left, len(self.buffer))
                self.buffer, self.chunk_left = self.buffer[taken:], self.chunk_left - taken
                self.chunked += taken
                if self.chunk_left:
                    break
                self.in_chunk = False
                if not self.recipients:
                    replies.append(b"503 5.5.1 RCPT first\r\n")
                elif self.chunk_last:
                    self.accepted(self.chunked)
                    self.chunked = 0
                    replies.append(b"250 2.0.0 Ok: queued\r\n")
                else:
                    replies.append(b"250 2.0.0 Ok: chunk received\r\n")
                continue
            if self.in_data:
                if self.buffer.startswith(b".\r\n"):
                    end, size = 0, 3
                else:
                    end = self.buffer.find(b"\r\n.\r\n", self.scan)
                    size = 5
                if end < 0:
                    self.scan = max(0, len(self.buffer) - 4)
                    break
                self.accepted(end + 2 if size == 5 else 0)
                self.buffer, self.scan = self.buffer[end + size:], 0
                replies.append(b"250 2.0.0 Ok: queued\r\n")
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                break
            line, self.buffer = self.buffer[:line_end], self.buffer[line_end + 2:]
            reply = self.command(line)
            if reply is not None:  # BDAT replies once its content is in
                replies.append(reply)
        if replies:
            self.transport.write(b"".join(replies))
        if self.closing:
            self.transport.close()

    def accepted(self, size):
        now = time.time()
        if state["first"] is None:
            state["first"] = now
        state["last"] = now
        state["count"] += 1
        state["bytes"] += size
        self.in_data, self.sender, self.recipients = False, False, 0

    def command(self, line):
        verb = line[:4].upper()
        if verb == b"EHLO":
            return EHLO
        if verb == b"HELO":
            return b"250 bench.invalid\r\n"
        if verb == b"MAIL":
            self.sender, self.recipients = True, 0
            return b"250 2.1.0 Ok\r\n"
        if verb == b"RCPT":
            if not self.sender:
                return b"503 5.5.1 MAIL first\r\n"
            self.recipients += 1
            return b"250 2.1.5 Ok\r\n"
        if verb == b"DATA":
            if not self.recipients:
                return b"503 5.5.1 RCPT first\r\n"
            self.in_data, self.scan = True, 0
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"BDAT":
            words = line.split()
            if len(words) not in (2, 3) or not words[1].isdigit():
                return b"501 5.5.4 Syntax: BDAT size [LAST]\r\n"
            self.in_chunk, self.chunk_left = True, int(words[1])
            self.chunk_last = len(words) == 3 and words[2].upper() == b"LAST"
            return None
        if verb == b"RSET":
            self.sender, self.recipients = False, 0
            return b"250 2.0.0 Ok\r\n"
        if verb == b"NOOP":
            return b"250 2.0.0 Ok\r\n"
        if verb == b"QUIT":
            self.transport.close()
            return b"221 2.0.0 Bye\r\n"
        return b"502 5.5.2 Command not recognized\r\n"


def write_status():
    tmp = status_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, status_path)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Session, "127.0.0.1", port)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    with open(status_path + ".ready", "w") as f:
        f.write("ready")
    while not stop.is_set():
        write_status()
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except asyncio.TimeoutError:
            pass
    write_status()
    server.close()


asyncio.run(main())
"""
