import Foundation

/// One worker as the ERP knows them, for keeping Expensify employees in step (`employees sync`).
public struct ERPWorker: Sendable, Equatable, Codable {
    /// Where the worker stands in the ERP.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case employed
        case terminated
        case pending
    }

    /// The ERP's stable id of the person (D365 `PersonnelNumber`); becomes Expensify's `employeeID`.
    public var personnelNumber: String
    /// Display name.
    public var name: String
    /// The worker's e-mail (D365 `PrimaryContactEmail`); empty when the ERP has none.
    public var email: String
    /// The manager's e-mail, when the ERP says who the manager is; nil when it does not.
    public var managerEmail: String?
    /// The legal entity (company id, lower case) the worker is employed in.
    public var company: String
    /// Employed, terminated or pending.
    public var status: Status
    /// When the employment ends (`yyyy-MM-dd`), when known.
    public var employmentEndDate: String?

    public init(
        personnelNumber: String, name: String, email: String, managerEmail: String?, company: String, status: Status,
        employmentEndDate: String?
    ) {
        self.personnelNumber = personnelNumber
        self.name = name
        self.email = email
        self.managerEmail = managerEmail
        self.company = company
        self.status = status
        self.employmentEndDate = employmentEndDate
    }

    /// Whether the worker has left as of `today` (`yyyy-MM-dd`): terminated, or the employment ended before today.
    public func hasLeft(asOf today: String) -> Bool {
        if status == .terminated { return true }
        if let end = employmentEndDate, end < today { return true }
        return false
    }
}
