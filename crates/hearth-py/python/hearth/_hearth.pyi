"""Type stubs of the extension module ``hearth._hearth`` (Hearth's Rust crates)."""

from __future__ import annotations

import os
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

__version__: str
SPEC_VERSION: int
PROTOCOL_VERSION: int

PathLike = Union[str, os.PathLike[str]]
#: A Hearth value: None (null), bool, int, str, bytes, a list, or a struct as a dict of
#: field id → value.
Value = Any
#: A message as a dict: ``kind``, ``sender``, ``counter``, ``version``, ``time_ms``,
#: ``request_id``, ``target``, ``chain`` (list of bytes) and ``body``, shaped by the kind. The
#: bodies of the commissioning kinds (``window`` … ``window-control-response``) are dicts with
#: the integer keys of ``spec/07-commissioning.md`` §12.
Message = Dict[str, Any]
#: A certificate: a :class:`Certificate`, its encoded bytes, or the path of its file.
CertLike = Union["Certificate", bytes, PathLike]

class HearthError(Exception):
    """Base of every Hearth error."""

    requirement: Optional[str]
    """The ``HRT-…`` requirement the refusal enforces."""
    status: Optional[str]
    """The wire status code's name (``read-only``, ``malformed``, …)."""
    code: Optional[str]
    """The stable short code of the security and report vectors (``bad_signature``, …)."""
    step: Optional[int]
    """The step of signed-report verification that failed (1–7)."""
    path: Optional[str]
    """The path a refusal or validation error concerns."""

class DecodeError(HearthError):
    """Bytes that are not a valid Hearth message, value or file."""

class VerifyError(HearthError):
    """A signature, chain, replay check, access check or signed report that fails."""

class ValidationError(HearthError):
    """A description, path or value that does not fit the catalog or a description."""

    problems: List[Tuple[str, str]]
    """For descriptions: every ``(requirement, message)``."""

class RefusedError(HearthError):
    """A device answered a request with a status other than success."""

class RequestTimeoutError(HearthError):
    """No answer within the timeout."""

class ConnectionError(HearthError):
    """The broker could not be reached, or the connection is gone."""

class SuiteError(HearthError):
    """A conformance run could not start."""

class SimulatorError(HearthError):
    """The simulated fleet or its embedded broker failed."""

# The catalog, validation and the codec.

def device_type(name_or_id: Union[str, int]) -> Optional[Dict[str, Any]]:
    """A device type of the catalog by name (``fan``) or id."""

def capability(name_or_id: Union[str, int]) -> Optional[Dict[str, Any]]:
    """A capability of the catalog by name (``fan-control``) or id."""

def device_types() -> List[str]:
    """Every device type's name."""

def capabilities() -> List[str]:
    """Every capability's name."""

def status_codes() -> Dict[str, int]:
    """Every status code: name → number."""

def parse_path(path: str, kind: str = "property") -> Tuple[int, int, int]:
    """``(component, capability, member)`` of a path given by names or numbers."""

def validate_description(description: Dict[str, Any]) -> None:
    """Check a description against the catalog; raises :class:`ValidationError`."""

def validate_value(description: Dict[str, Any], path: str, value: Value, check: str = "write") -> None:
    """Check a write (``write``), a reported value (``value``) or an action's arguments
    (``invoke``) against a description; raises :class:`ValidationError` with the status a
    device would answer."""

def encode(message: Message) -> bytes:
    """A message in deterministic CBOR."""

def decode(data: bytes) -> Message:
    """A message from its CBOR; raises :class:`DecodeError`."""

def message_kinds() -> List[str]:
    """The twenty-one message kinds, in code order."""

# Security.

class Certificate:
    """A CWT certificate."""

    @staticmethod
    def from_bytes(data: bytes) -> Certificate: ...
    @staticmethod
    def load(path: PathLike) -> Certificate: ...
    def to_bytes(self) -> bytes: ...
    @property
    def subject(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def role(self) -> str:
        """``root``, ``vendor``, ``device``, ``lab`` or ``controller``."""
    @property
    def vendor_id(self) -> Optional[int]: ...
    @property
    def device_type(self) -> Optional[str]: ...
    @property
    def model(self) -> Optional[str]: ...
    @property
    def issued_at(self) -> int: ...
    @property
    def not_before(self) -> int: ...
    @property
    def expires(self) -> int: ...
    @property
    def key_id(self) -> str: ...
    @property
    def issuer_key_id(self) -> str: ...
    def is_self_signed(self) -> bool: ...

def read_chain(path: PathLike) -> List[Certificate]:
    """Every certificate of a chain file, leaf first."""

def read_file(path: PathLike) -> bytes:
    """Any PKI file's bytes, bounded in size."""

def verify_chain(
    trust: Union[CertLike, Iterable[CertLike]],
    chain: Iterable[CertLike],
    revocation_lists: Optional[Iterable[Tuple[CertLike, bytes]]] = None,
    now: Optional[int] = None,
) -> Dict[str, Any]:
    """Validate a chain (anchor side first, leaf last): ``role``, ``subject``,
    ``leaf_kid``, ``ca_kids``, ``valid_from``, ``valid_until``, …; raises
    :class:`VerifyError`."""

def verify_sign1(message: bytes, aad: bytes, keys: Sequence[bytes]) -> Dict[str, Any]:
    """Verify a COSE_Sign1 against COSE_Key public keys: ``kid``, ``alg``, ``payload``."""

class ReplayWindow:
    """A sender's 64-entry sliding replay window."""

    def __init__(self) -> None: ...
    def accept(self, counter: int) -> None:
        """Accept, or raise :class:`VerifyError` (``replayed``, ``counter_too_old``)."""
    def check(self, counter: int) -> None:
        """Like :meth:`accept`, without moving the window."""

class Acl:
    """A device's access-control list."""

    @staticmethod
    def from_bytes(data: bytes) -> Acl: ...
    def authorize(self, leaf_kid: str, role: str, ca_kids: List[str], operation: str) -> None:
        """Raise :class:`VerifyError` unless the requester may do ``operation``."""
    def __len__(self) -> int: ...

class Credential:
    """A signing key with its certificate chain."""

    @staticmethod
    def load(pki: PathLike, name: str = "controller") -> Credential: ...
    @staticmethod
    def load_files(key: PathLike, chain: PathLike) -> Credential: ...
    @property
    def subject(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    @property
    def chain(self) -> List[Certificate]: ...
    @property
    def certificate(self) -> Optional[Certificate]: ...

def seal(message: Message, topic: str, credential: Credential) -> bytes:
    """Encode and sign a message for ``topic`` (below the root)."""

def open(data: bytes, topic: str, trust: Union[CertLike, Iterable[CertLike]], now: Optional[int] = None) -> Dict[str, Any]:
    """Authenticate and decode a message: ``{"message": …, "signer": …}``."""

class Sender:
    """Numbers and signs messages for one credential."""

    def __init__(self, credential: Credential, counter_file: Union[None, bool, PathLike] = None) -> None: ...
    @property
    def id(self) -> str: ...
    def seal(
        self,
        kind: str,
        body: Any,
        topic: str,
        request_id: Optional[int] = None,
        target: Optional[str] = None,
        time_ms: Optional[int] = None,
        with_chain: bool = False,
    ) -> bytes: ...

class Receiver:
    """Opens received messages, with a replay window per sender key and topic."""

    def __init__(self, trust: Union[CertLike, Iterable[CertLike]]) -> None: ...
    def open(self, data: bytes, topic: str, now: Optional[int] = None) -> Dict[str, Any]: ...

def verify_report(
    data: bytes,
    trust: Union[CertLike, Iterable[CertLike]],
    at_now: bool = False,
    revocation_lists: Optional[Sequence[bytes]] = None,
    now: Optional[int] = None,
) -> Dict[str, Any]:
    """Verify a signed report: ``lab``, ``signed_at``, ``validated_at``, ``json``."""

# The Controller.

class Controller:
    """A verified connection to a broker as a controller."""

    @staticmethod
    def connect(
        broker: str,
        pki: PathLike,
        root: Optional[str] = None,
        name: str = "controller",
        trust: Optional[Union[CertLike, Iterable[CertLike]]] = None,
        timeout: float = 5.0,
    ) -> Awaitable[Controller]: ...
    @property
    def id(self) -> str: ...
    def devices(self) -> List[Dict[str, Any]]: ...
    def discover(self, count: Optional[int] = None, timeout: Optional[float] = None) -> Awaitable[List[Dict[str, Any]]]: ...
    def device(self, device: str, timeout: Optional[float] = None) -> Awaitable[Dict[str, Any]]: ...
    def read(self, device: str, paths: Union[str, Sequence[str]]) -> Awaitable[Any]:
        """One path: its value. A list: ``[{"path", "status", "value"}, …]``."""
    def write(self, device: str, path: str, value: Value) -> Awaitable[None]: ...
    def write_many(self, device: str, values: Iterable[Tuple[str, Value]]) -> Awaitable[List[Tuple[str, str]]]: ...
    def invoke(self, device: str, path: str, args: Optional[Dict[int, Value]] = None) -> Awaitable[Value]: ...
    def watch(self, device: Optional[str] = None) -> Watch: ...
    def close(self) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable[Controller]: ...
    def __aexit__(self, *exc: object) -> Awaitable[None]: ...

class Watch:
    """An async iterator of update dicts (``type``: description, status, report, event,
    rejected, lagged)."""

    def __aiter__(self) -> Watch: ...
    def __anext__(self) -> Awaitable[Dict[str, Any]]: ...

# The simulator and the suite.

class SimFleet:
    def __init__(self, pki: PathLike, devices: Optional[List[str]] = None, fault: Optional[str] = None, speed: float = 60.0) -> None: ...
    @property
    def broker(self) -> str: ...
    @property
    def root(self) -> str: ...
    @property
    def pki(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def devices(self) -> List[Dict[str, Any]]: ...
    def ics(self, device: str) -> str: ...
    def control(self, device: str, command: str) -> None: ...
    def close(self) -> None: ...

def fault_profiles() -> List[Dict[str, Any]]: ...

def run_suite(
    ics: PathLike,
    pki: PathLike,
    out: Optional[PathLike] = None,
    broker: Optional[str] = None,
    only: Optional[str] = None,
    params: Optional[List[Tuple[str, str]]] = None,
    fleet: Optional[SimFleet] = None,
    progress: Optional[Callable[[str, str, str], None]] = None,
) -> str:
    """Run the suite; ``report.json``'s text."""
