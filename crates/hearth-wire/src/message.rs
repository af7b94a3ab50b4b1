//! The Hearth message set: one header shape, twenty-one message kinds.
//!
//! Every message carries the same header (protocol version, kind, sender, counter, optional
//! time, and for requests and responses a request id and a target) and one body whose shape
//! the kind selects. Kinds 1 to 10 are the data messages of `spec/04-messages.md`; kinds 11
//! to 21 commission a device and manage its access-control list (`spec/07-commissioning.md`),
//! with their bodies in [`crate::commissioning`]. These types are plain data;
//! [`crate::codec`] turns them into CBOR and back, [`crate::seal`] signs and verifies them.

use hearth_model::{Description, Path, StatusCode, Value};

use crate::commissioning::{
    AclChangeResponse, AclOperation, AclReadResponse, CommissionResult, PakeConfirm, PakeResponse,
    Share, WindowControl, WindowState,
};

/// The protocol version this implementation speaks (the specification's major version).
pub const PROTOCOL_VERSION: u16 = 1;

/// The kind of a message, with its code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// A device's self-description and certificate chain.
    Description = 1,
    /// A device's online / offline status.
    Status = 2,
    /// Property values reported by a device.
    Report = 3,
    /// An event emitted by a device.
    Event = 4,
    /// A controller reads properties.
    Read = 5,
    /// A controller writes properties.
    Write = 6,
    /// A controller invokes an action.
    Invoke = 7,
    /// The answer to a read.
    ReadResponse = 8,
    /// The answer to a write.
    WriteResponse = 9,
    /// The answer to an invocation.
    InvokeResponse = 10,
    /// A device's commissioning window, open or closed (retained).
    Window = 11,
    /// A commissioner starts a SPAKE2+ session: `shareP`.
    PakeStart = 12,
    /// The device's `shareV` and `confirmV`.
    PakeResponse = 13,
    /// The commissioner's `confirmP`, or its abort.
    PakeConfirm = 14,
    /// How a commissioning session ended.
    CommissionResult = 15,
    /// A manager reads the access-control list.
    AclRead = 16,
    /// The access-control list.
    AclReadResponse = 17,
    /// A manager changes the access-control list.
    AclChange = 18,
    /// The outcome of an access-control change.
    AclChangeResponse = 19,
    /// A manager opens an enhanced window or closes a window.
    WindowControl = 20,
    /// The outcome of a window control.
    WindowControlResponse = 21,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Self; 21] = [
        Self::Description,
        Self::Status,
        Self::Report,
        Self::Event,
        Self::Read,
        Self::Write,
        Self::Invoke,
        Self::ReadResponse,
        Self::WriteResponse,
        Self::InvokeResponse,
        Self::Window,
        Self::PakeStart,
        Self::PakeResponse,
        Self::PakeConfirm,
        Self::CommissionResult,
        Self::AclRead,
        Self::AclReadResponse,
        Self::AclChange,
        Self::AclChangeResponse,
        Self::WindowControl,
        Self::WindowControlResponse,
    ];

    /// The kind with this wire code.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|k| *k as u64 == code)
    }

    /// The name used in the specification and in traces.
    pub fn name(self) -> &'static str {
        match self {
            Self::Description => "description",
            Self::Status => "status",
            Self::Report => "report",
            Self::Event => "event",
            Self::Read => "read",
            Self::Write => "write",
            Self::Invoke => "invoke",
            Self::ReadResponse => "read-response",
            Self::WriteResponse => "write-response",
            Self::InvokeResponse => "invoke-response",
            Self::Window => "window",
            Self::PakeStart => "pake-start",
            Self::PakeResponse => "pake-response",
            Self::PakeConfirm => "pake-confirm",
            Self::CommissionResult => "commission-result",
            Self::AclRead => "acl-read",
            Self::AclReadResponse => "acl-read-response",
            Self::AclChange => "acl-change",
            Self::AclChangeResponse => "acl-change-response",
            Self::WindowControl => "window-control",
            Self::WindowControlResponse => "window-control-response",
        }
    }

    /// Whether a controller sends this kind to a device and expects a response: the data
    /// requests, the commissioning messages of a session and the management requests.
    pub fn is_request(self) -> bool {
        self.response().is_some()
    }

    /// Whether this kind answers a request.
    pub fn is_response(self) -> bool {
        Self::ALL.into_iter().any(|k| k.response() == Some(self))
    }

    /// Whether this kind is one of the data requests of `spec/04-messages.md` (read, write,
    /// invoke), which a device serves path by path against its description.
    pub fn is_data_request(self) -> bool {
        matches!(self, Self::Read | Self::Write | Self::Invoke)
    }

    /// Whether this kind belongs to commissioning and access-control management
    /// (`spec/07-commissioning.md`, kinds 11 to 21).
    pub fn is_commissioning(self) -> bool {
        self as u8 >= Self::Window as u8
    }

    /// The response kind that answers this request kind.
    pub fn response(self) -> Option<Self> {
        match self {
            Self::Read => Some(Self::ReadResponse),
            Self::Write => Some(Self::WriteResponse),
            Self::Invoke => Some(Self::InvokeResponse),
            Self::PakeStart => Some(Self::PakeResponse),
            Self::PakeConfirm => Some(Self::CommissionResult),
            Self::AclRead => Some(Self::AclReadResponse),
            Self::AclChange => Some(Self::AclChangeResponse),
            Self::WindowControl => Some(Self::WindowControlResponse),
            _ => None,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A complete message: header fields and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Protocol version ([`PROTOCOL_VERSION`]).
    pub version: u16,
    /// The sender's id: the subject of its certificate.
    pub sender: String,
    /// The sender's counter: strictly increasing over everything the sender signs.
    pub counter: u64,
    /// Sender's wall-clock time in milliseconds since the Unix epoch, if it has a clock.
    pub time_ms: Option<u64>,
    /// Correlates a request and its response.
    pub request_id: Option<u64>,
    /// The intended recipient: a device id for requests, a controller id for responses.
    pub target: Option<String>,
    /// The sender's certificate chain, leaf first, when the receiver may not have it yet.
    pub chain: Vec<Vec<u8>>,
    /// The kind-specific body.
    pub body: Body,
}

impl Message {
    /// A message of `body` from `sender` numbered `counter`, in this protocol version, with
    /// no time, request id, target or chain; set those fields for requests and responses.
    pub fn new(sender: impl Into<String>, counter: u64, body: Body) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            sender: sender.into(),
            counter,
            time_ms: None,
            request_id: None,
            target: None,
            chain: Vec::new(),
            body,
        }
    }

    /// The kind of this message, from its body.
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }
}

/// Online or offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Connected and serving requests.
    Online,
    /// Disconnected (sent as the MQTT will, or on orderly shutdown).
    Offline,
}

/// A device's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Online or offline.
    pub availability: Availability,
    /// Identifies one run of the device between reboots; changes on every boot.
    pub boot_id: u64,
}

/// Property values reported by a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Whether this report holds every observable property (a snapshot) or only changes.
    pub full: bool,
    /// The values, one per path.
    pub values: Vec<(Path, Value)>,
}

/// An event emitted by a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBody {
    /// The event's path (component / capability / event id).
    pub path: Path,
    /// The device's event number: increases by one per event, so gaps reveal losses.
    pub number: u64,
    /// The event's fields, keyed by field id (a struct value).
    pub fields: Value,
}

/// One result of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadResult {
    /// The path read.
    pub path: Path,
    /// Success, or why the path could not be read.
    pub status: StatusCode,
    /// The value, present exactly when the status is success.
    pub value: Option<Value>,
}

/// The answer to an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeResult {
    /// The action's path.
    pub path: Path,
    /// Success, or why the action did not run.
    pub status: StatusCode,
    /// The action's results (a struct), when it succeeded and has any.
    pub results: Option<Value>,
}

/// The body of a message; its variant decides the message kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A device's self-description.
    Description(Description),
    /// A device's status.
    Status(Status),
    /// Property values.
    Report(Report),
    /// An event.
    Event(EventBody),
    /// Paths to read.
    Read(Vec<Path>),
    /// Values to write.
    Write(Vec<(Path, Value)>),
    /// An action to invoke with its arguments (a struct, or null for none).
    Invoke {
        /// The action's path.
        path: Path,
        /// The arguments.
        args: Value,
    },
    /// The answer to a read.
    ReadResponse(Vec<ReadResult>),
    /// The answer to a write: one status per path written.
    WriteResponse(Vec<(Path, StatusCode)>),
    /// The answer to an invocation.
    InvokeResponse(InvokeResult),
    /// A device's commissioning window.
    Window(WindowState),
    /// `shareP`, opening a session.
    PakeStart(Share),
    /// `shareV` and `confirmV`.
    PakeResponse(PakeResponse),
    /// `confirmP`, or an abort.
    PakeConfirm(PakeConfirm),
    /// How a session ended.
    CommissionResult(CommissionResult),
    /// A request for the access-control list (an empty body).
    AclRead,
    /// The access-control list.
    AclReadResponse(AclReadResponse),
    /// Operations on the access-control list, applied in order and all or none.
    AclChange(Vec<AclOperation>),
    /// The outcome of an access-control change.
    AclChangeResponse(AclChangeResponse),
    /// Open an enhanced window, or close a window.
    WindowControl(WindowControl),
    /// The outcome of a window control.
    WindowControlResponse(StatusCode),
}

impl Body {
    /// The message kind this body makes.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Description(_) => Kind::Description,
            Self::Status(_) => Kind::Status,
            Self::Report(_) => Kind::Report,
            Self::Event(_) => Kind::Event,
            Self::Read(_) => Kind::Read,
            Self::Write(_) => Kind::Write,
            Self::Invoke { .. } => Kind::Invoke,
            Self::ReadResponse(_) => Kind::ReadResponse,
            Self::WriteResponse(_) => Kind::WriteResponse,
            Self::InvokeResponse(_) => Kind::InvokeResponse,
            Self::Window(_) => Kind::Window,
            Self::PakeStart(_) => Kind::PakeStart,
            Self::PakeResponse(_) => Kind::PakeResponse,
            Self::PakeConfirm(_) => Kind::PakeConfirm,
            Self::CommissionResult(_) => Kind::CommissionResult,
            Self::AclRead => Kind::AclRead,
            Self::AclReadResponse(_) => Kind::AclReadResponse,
            Self::AclChange(_) => Kind::AclChange,
            Self::AclChangeResponse(_) => Kind::AclChangeResponse,
            Self::WindowControl(_) => Kind::WindowControl,
            Self::WindowControlResponse(_) => Kind::WindowControlResponse,
        }
    }
}
