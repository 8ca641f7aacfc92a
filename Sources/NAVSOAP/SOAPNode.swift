import Foundation

/// One piece of an operation's content for `SOAPEnvelope`: a text element or an element holding others, in order.
public indirect enum SOAPNode: Sendable, Equatable {
    /// `<name>text</name>` (text escaped; blank is `<name/>`).
    case leaf(String, String)
    /// `<name>children…</name>`.
    case element(String, [SOAPNode])
}
