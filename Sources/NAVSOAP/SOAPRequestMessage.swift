import Foundation

/// A SOAP request ready for the wire: the envelope bytes and the `SOAPAction` header that goes with them.
public struct SOAPRequestMessage: Sendable, Equatable {
    /// The UTF-8 envelope.
    public let body: Data
    /// The header value, quoted, colon form: `"urn:microsoft-dynamics-schemas/page/vendorcard:ReadMultiple"`.
    public let soapAction: String
    /// The operation's namespace (`urn:microsoft-dynamics-schemas/page/vendorcard`).
    public let namespace: String
    /// The operation or codeunit method (`ReadMultiple`, `PostPurchaseInvoice`).
    public let operation: String

    /// A message as `SOAPEnvelope` builds it.
    public init(body: Data, soapAction: String, namespace: String, operation: String) {
        self.body = body
        self.soapAction = soapAction
        self.namespace = namespace
        self.operation = operation
    }

    /// The envelope as text, for golden files and diagnostics.
    public var text: String { String(decoding: body, as: UTF8.self) }
}
