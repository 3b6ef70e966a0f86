"""A mail server that keeps what it is sent: a real SMTP server on 127.0.0.1, speaking enough of
RFC 5321 for Django's SMTP backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

Messages are parsed with the ``email`` package (``messages``: ``email.message.EmailMessage``
with ``envelope_from`` and ``envelope_to`` kept apart). ``fail_next(code)`` answers the next
message's DATA with that SMTP code (451: try later; 550: refused), ``stop`` closes the port.

The ``smtp_sink`` fixture starts one and points the portal's default mailer at it.
"""

from __future__ import annotations

import socketserver
import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(filename, content type, bytes) of each attachment."""
        return [
            (part.get_filename() or "", part.get_content_type(), part.get_payload(decode=True) or b"")
            for part in self.message.iter_attachments()
        ]

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self.port = 0

    def start(self) -> SmtpSink:
        handler = type("Handler", (_Handler,), {"sink": self})
        self._server = _Server(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="smtp-sink", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, code: int = 451, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([code] * times)

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None


class _Handler(socketserver.StreamRequestHandler):
    sink: SmtpSink
    timeout = 10

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def _reset(self) -> None:
        self.envelope_from = ""
        self.envelope_to: list[str] = []

    def handle(self) -> None:
        self._reset()
        self._say("220 sink.test ESMTP ready")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self._say("250-sink.test")
                self._say("250-8BITMIME")
                self._say("250 SIZE 52428800")
            elif verb == "HELO":
                self._say("250 sink.test")
            elif verb == "MAIL":
                self._reset()
                self.envelope_from = _address(argument)
                self._say("250 OK")
            elif verb == "RCPT":
                self.envelope_to.append(_address(argument))
                self._say("250 OK")
            elif verb == "DATA":
                if not self.envelope_to:
                    self._say("503 RCPT first")
                    continue
                self._say("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                failure = self.sink._next_failure()
                if failure:
                    self._say(f"{failure} Fake failure")
                else:
                    message = BytesParser(policy=policy.default).parsebytes(data)
                    self.sink.messages.append(
                        Received(
                            envelope_from=self.envelope_from,
                            envelope_to=list(self.envelope_to),
                            message=message,  # type: ignore[arg-type]
                        )
                    )
                    self._say("250 OK queued")
                self._reset()
            elif verb == "RSET":
                self._reset()
                self._say("250 OK")
            elif verb == "NOOP":
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("502 Command not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while True:
            raw = self.rfile.readline(1 << 20)
            if not raw or raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b".."):
                raw = raw[1:]  # dot-stuffing
            lines.append(raw)
        return b"".join(lines)


def _address(argument: str) -> str:
    """``FROM:<a@b> SIZE=1`` → ``a@b``."""
    _, _, rest = argument.partition(":")
    return rest.strip().split(" ")[0].strip("<>")


@pytest.fixture
def smtp_sink(settings):
    """A running SMTP sink, with the portal's default mailer sending to it."""
    sink = SmtpSink().start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "use_tls": False, "timeout": 5},
        }
    }
    yield sink
    sink.stop()
