"""A real SMTP server on loopback for tests: it records what it accepts, or hangs mid-session."""

import email
import socketserver
import threading
from contextlib import contextmanager
from email.message import Message


class _Session(socketserver.StreamRequestHandler):
    timeout = 120

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        smtp: LocalSMTPServer = self.server.smtp  # type: ignore[attr-defined]
        self._reply("220 localhost ESMTP test server")
        while line := self.rfile.readline():
            verb = line[:4].decode(errors="replace").upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250-localhost\r\n250 8BITMIME")
            elif verb == "MAIL":
                if smtp.hang.is_set():
                    # Hold the session without answering, as a stalled mail server does,
                    # until the client goes away.
                    smtp.held.set()
                    while self.rfile.readline():
                        pass
                    return
                self._reply("250 OK")
            elif verb == "RCPT":
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                smtp.accept(b"".join(lines))
                self._reply("250 OK queued")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            else:
                self._reply("502 Command not implemented")


class LocalSMTPServer:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.hang = threading.Event()
        self.held = threading.Event()
        self._lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
        self._server.daemon_threads = True
        self._server.smtp = self  # type: ignore[attr-defined]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def accept(self, raw: bytes) -> None:
        with self._lock:
            self.messages.append(email.message_from_bytes(raw))


@contextmanager
def local_smtp_server():
    smtp = LocalSMTPServer()
    thread = threading.Thread(target=smtp._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield smtp
    finally:
        smtp._server.shutdown()
        smtp._server.server_close()
