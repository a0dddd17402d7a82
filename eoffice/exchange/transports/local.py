"""Delivery to an agency of this deployment: the same receiving pipeline as the HTTP endpoint, without HTTP."""

from __future__ import annotations

from eoffice.exchange.transports import Transport, TransportAck


class LocalTransport(Transport):
    name = "local"

    def send(self, data: bytes, partner) -> TransportAck:
        from eoffice.exchange.receive import PackageRefused, receive_package

        try:
            result = receive_package(data)
        except PackageRefused as exc:
            return TransportAck(done=False, code=exc.code, message=exc.message, permanent=True,
                                details=exc.details)
        return TransportAck(done=True, code="duplicate" if result.duplicate else "done")
