"""How packages travel, behind one interface (as lemur's plugin bases): a transport sends sealed package bytes to
a partner and returns the receiver's transport acknowledgement, separate from the business status codes.

`local` reaches an agency of this deployment through the receiving pipeline without HTTP; `http` POSTs to another
deployment's `/exchange/v1/packages`. An adapter for a national or provincial exchange axis subclasses
`AxisTransport`, which adds what such a hub offers (list received, fetch, acknowledge done/fail), and registers
under its name; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eoffice.exchange.models import LOCAL

_REGISTRY: dict[str, type[Transport]] = {}


@dataclass(frozen=True)
class TransportAck:
    """The receiver's answer about the bytes: `done` (accepted, or a duplicate of an accepted package) or `fail`
    (refused, with the reason; `permanent` when sending the same bytes again cannot help)."""

    done: bool
    code: str = "done"
    message: str = ""
    permanent: bool = False
    details: dict = field(default_factory=dict)


class TransportError(Exception):
    """The package could not be handed over (network, timeout, the receiver's server error): try again later."""


class Transport:
    """A way to deliver sealed edXML packages to partners."""

    name: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls

    def send(self, data: bytes, partner) -> TransportAck:
        """Hand `data` to `partner`; a TransportAck, or TransportError when it should be tried again."""
        raise NotImplementedError


class AxisTransport(Transport):
    """The shape of an exchange-axis adapter (trục liên thông): the hub keeps packages for each agency."""

    def list_received(self, agency) -> list[str]:
        """Ids of the packages waiting at the hub for `agency`."""
        raise NotImplementedError

    def fetch(self, agency, package_id: str) -> bytes:
        raise NotImplementedError

    def acknowledge(self, agency, package_id: str, done: bool, reason: str = "") -> None:
        """Tell the hub a fetched package was processed (done) or refused (fail)."""
        raise NotImplementedError


def get_transport(name: str) -> Transport:
    from eoffice.exchange.transports import http, local  # noqa: F401  (register on import)

    return _REGISTRY[name]()


def transport_for(partner) -> Transport:
    """The transport that reaches `partner`: local for an agency of this deployment, else HTTP."""
    return get_transport("local" if partner.kind == LOCAL else "http")
