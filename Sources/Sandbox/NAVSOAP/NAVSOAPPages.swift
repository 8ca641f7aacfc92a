import Foundation

/// One control of a published page, by its SOAP name (the underscore rule of nav-bc-api.md §4.1).
struct SOAPPageField: Sendable {
    var name: String
    var type: SOAPFieldType
    /// False for FlowFields, computed and read-only controls: sending one is refused.
    var editable = true
    /// Maximum length of a text or code value (NAV 2018 table definitions).
    var length: Int

    init(_ name: String, _ type: SOAPFieldType, editable: Bool = true, length: Int? = nil) {
        self.name = name
        self.type = type
        self.editable = editable
        self.length = length ?? (type == .code ? 20 : 50)
    }
}

/// A subpage part (`PurchLines` holding `Purch_Invoice_Line` items).
struct SOAPPagePart: Sendable {
    var name: String
    var itemName: String
    var tableName = "Purchase Line"
    var tableNumber = 39
    var keyCaptions = ["Document Type", "Document No.", "Line No."]
    var fields: [SOAPPageField]

    func field(_ name: String) -> SOAPPageField? { fields.first { $0.name == name } }
}

/// A page as published over SOAP: its controls in page order, its Read parameters and what it allows.
struct NAVSOAPPage: Sendable {
    var service: String
    var pageNumber: Int
    /// The source table's caption, as NAV names it in messages ("Vendor", "G/L Account", "Purchase Header").
    var tableName: String
    var tableNumber: Int
    var fields: [SOAPPageField]
    var part: SOAPPagePart?
    /// The control the part follows in page order.
    var partAfter = "Status"
    /// Captions of the source table's primary-key fields, for messages (`No.`, `Line No.`).
    var keyCaptions: [String] = ["No."]
    /// The parameters of Read (the page's key fields as SOAP elements).
    var readKeys: [String]
    /// Journal pages take the unbound `CurrentJnlBatchName` as the first parameter of every operation.
    var journal = false
    var editable = true

    func field(_ name: String) -> SOAPPageField? { fields.first { $0.name == name } }

    var namespace: String { NAVSOAPNamespace.page(service) }

    /// The operations this page answers (editable pages get the write operations; a page with a part gets Delete_{Part}).
    var operations: [String] {
        var ops = ["Read", "ReadByRecId", "ReadMultiple", "IsUpdated", "GetRecIdFromKey"]
        if editable {
            ops += ["Create", "CreateMultiple", "Update", "UpdateMultiple", "Delete"]
            if let part { ops.append("Delete_" + part.name) }
        }
        return ops
    }
}

/// The page services of NAV-SPEC.md, by service name.
enum NAVSOAPPages {
    static let vendorBlocked: SOAPFieldType = .option([" ", "Payment", "All"])
    static let accountType: SOAPFieldType = .option(["Posting", "Heading", "Total", "Begin-Total", "End-Total"])
    static let incomeBalance: SOAPFieldType = .option(["Income Statement", "Balance Sheet"])
    static let accountCategory: SOAPFieldType = .option([" ", "Assets", "Liabilities", "Equity", "Income", "Cost of Goods Sold", "Expense"])
    static let dimensionValueType: SOAPFieldType = .option(["Standard", "Heading", "Total", "Begin-Total", "End-Total"])
    static let purchaseStatus: SOAPFieldType = .option(["Open", "Released", "Pending Approval", "Pending Prepayment"])
    static let purchaseLineType: SOAPFieldType = .option([" ", "G/L Account", "Item", "Resource", "Fixed Asset", "Charge (Item)"])
    static let journalDocumentType: SOAPFieldType = .option([
        " ", "Payment", "Invoice", "Credit Memo", "Finance Charge Memo", "Reminder", "Refund",
    ])
    static let journalAccountType: SOAPFieldType = .option([
        "G/L Account", "Customer", "Vendor", "Bank Account", "Fixed Asset", "IC Partner", "Employee",
    ])

    /// `Shortcut_Dimension_1_Code`, `Shortcut_Dimension_2_Code`, `ShortcutDimCode_x005B_3_x005D_` … `_8_`.
    static let dimensionFields: [SOAPPageField] =
        [SOAPPageField("Shortcut_Dimension_1_Code", .code), SOAPPageField("Shortcut_Dimension_2_Code", .code)]
        + (3...8).map { SOAPPageField("ShortcutDimCode_x005B_\($0)_x005D_", .code) }

    /// The dimension slot (1…8) a page field sets, or nil.
    static func dimensionSlot(_ field: String) -> Int? {
        if field == "Shortcut_Dimension_1_Code" { return 1 }
        if field == "Shortcut_Dimension_2_Code" { return 2 }
        if field.hasPrefix("ShortcutDimCode_x005B_"), field.hasSuffix("_x005D_") {
            return Int(field.dropFirst("ShortcutDimCode_x005B_".count).dropLast("_x005D_".count))
        }
        return nil
    }

    static let vendorCard = NAVSOAPPage(
        service: "VendorCard", pageNumber: 26, tableName: "Vendor", tableNumber: 23,
        fields: [
            SOAPPageField("No", .code), SOAPPageField("Name", .text), SOAPPageField("Blocked", vendorBlocked),
            SOAPPageField("E_Mail", .text, length: 80), SOAPPageField("Currency_Code", .code),
        ], part: nil, readKeys: ["No"])

    static let employeeStatus: SOAPFieldType = .option(["Active", "Inactive", "Terminated"])

    /// Page 5200 Employee Card, read-only here (`Manager_No`: table field 26 "Manager No.").
    static let employeeCard = NAVSOAPPage(
        service: "EmployeeCard", pageNumber: 5200, tableName: "Employee", tableNumber: 5200,
        fields: [
            SOAPPageField("No", .code), SOAPPageField("First_Name", .text, length: 30), SOAPPageField("Middle_Name", .text, length: 30),
            SOAPPageField("Last_Name", .text, length: 30), SOAPPageField("E_Mail", .text, length: 80),
            SOAPPageField("Company_E_Mail", .text, length: 80), SOAPPageField("Status", employeeStatus), SOAPPageField("Termination_Date", .date),
            SOAPPageField("Manager_No", .code),
        ], part: nil, readKeys: ["No"], editable: false)

    static let glAccountCard = NAVSOAPPage(
        service: "GLAccountCard", pageNumber: 17, tableName: "G/L Account", tableNumber: 15,
        fields: [
            SOAPPageField("No", .code), SOAPPageField("Name", .text), SOAPPageField("Income_Balance", incomeBalance),
            SOAPPageField("Account_Category", accountCategory), SOAPPageField("Account_Type", accountType),
            SOAPPageField("Direct_Posting", .boolean), SOAPPageField("Blocked", .boolean),
        ], part: nil, readKeys: ["No"])

    static let chartOfAccounts = NAVSOAPPage(
        service: "ChartOfAccounts", pageNumber: 16, tableName: "G/L Account", tableNumber: 15,
        fields: [
            SOAPPageField("No", .code), SOAPPageField("Name", .text), SOAPPageField("Income_Balance", incomeBalance),
            SOAPPageField("Account_Category", accountCategory), SOAPPageField("Account_Type", accountType),
            SOAPPageField("Direct_Posting", .boolean),
        ], part: nil, readKeys: ["No"])

    static let dimensionValues = NAVSOAPPage(
        service: "DimensionValues", pageNumber: 537, tableName: "Dimension Value", tableNumber: 349,
        fields: [
            SOAPPageField("Dimension_Code", .code), SOAPPageField("Code", .code), SOAPPageField("Name", .text),
            SOAPPageField("Dimension_Value_Type", dimensionValueType), SOAPPageField("Blocked", .boolean),
        ], part: nil, keyCaptions: ["Dimension Code", "Code"], readKeys: ["Dimension_Code", "Code"])

    static let dimensions = NAVSOAPPage(
        service: "Dimensions", pageNumber: 536, tableName: "Dimension", tableNumber: 348,
        fields: [SOAPPageField("Code", .code), SOAPPageField("Name", .text)], part: nil, keyCaptions: ["Code"], readKeys: ["Code"])

    static let purchaseLine = SOAPPagePart(
        name: "PurchLines", itemName: "Purch_Invoice_Line",
        fields: [
            SOAPPageField("Type", purchaseLineType), SOAPPageField("No", .code), SOAPPageField("Description", .text),
            SOAPPageField("Quantity", .decimal), SOAPPageField("Direct_Unit_Cost", .decimal),
            SOAPPageField("Line_Amount", .decimal, editable: false),
        ] + dimensionFields)

    static let purchaseInvoice = NAVSOAPPage(
        service: "PurchaseInvoice", pageNumber: 51, tableName: "Purchase Header", tableNumber: 38,
        fields: [
            SOAPPageField("No", .code, editable: false), SOAPPageField("Buy_from_Vendor_No", .code),
            SOAPPageField("Buy_from_Vendor_Name", .text, editable: false), SOAPPageField("Document_Date", .date),
            SOAPPageField("Posting_Date", .date), SOAPPageField("Due_Date", .date), SOAPPageField("Vendor_Invoice_No", .code, length: 35),
            SOAPPageField("Status", purchaseStatus, editable: false), SOAPPageField("Currency_Code", .code),
            SOAPPageField("Shortcut_Dimension_1_Code", .code), SOAPPageField("Shortcut_Dimension_2_Code", .code),
        ], part: purchaseLine, keyCaptions: ["Document Type", "No."], readKeys: ["No"])

    static let postedPurchaseInvoices = NAVSOAPPage(
        service: "PostedPurchaseInvoices", pageNumber: 146, tableName: "Purch. Inv. Header", tableNumber: 122,
        fields: [
            SOAPPageField("No", .code), SOAPPageField("Buy_from_Vendor_No", .code), SOAPPageField("Buy_from_Vendor_Name", .text),
            SOAPPageField("Vendor_Invoice_No", .code, length: 35), SOAPPageField("Pre_Assigned_No", .code), SOAPPageField("Currency_Code", .code),
            SOAPPageField("Amount", .decimal), SOAPPageField("Amount_Including_VAT", .decimal), SOAPPageField("Posting_Date", .date),
        ], part: nil, readKeys: ["No"], editable: false)

    static let journalFields: [SOAPPageField] =
        [
            SOAPPageField("Posting_Date", .date), SOAPPageField("Document_Type", journalDocumentType), SOAPPageField("Document_No", .code),
            SOAPPageField("External_Document_No", .code, length: 35), SOAPPageField("Account_Type", journalAccountType),
            SOAPPageField("Account_No", .code), SOAPPageField("AccountName", .text, editable: false),
            SOAPPageField("Description", .text), SOAPPageField("Currency_Code", .code), SOAPPageField("Amount", .decimal),
            SOAPPageField("Amount_LCY", .decimal, editable: false), SOAPPageField("Debit_Amount", .decimal, editable: false),
            SOAPPageField("Credit_Amount", .decimal, editable: false), SOAPPageField("Bal_Account_Type", journalAccountType),
            SOAPPageField("Bal_Account_No", .code),
        ] + dimensionFields

    static let journalKeyCaptions = ["Journal Template Name", "Journal Batch Name", "Line No."]

    static let generalJournal = NAVSOAPPage(
        service: "GeneralJournal", pageNumber: 39, tableName: "Gen. Journal Line", tableNumber: 81,
        fields: journalFields, part: nil, keyCaptions: journalKeyCaptions, readKeys: ["Line_No"], journal: true)

    static let expenseJournal = NAVSOAPPage(
        service: "ExpenseJournal", pageNumber: 50100, tableName: "Gen. Journal Line", tableNumber: 81,
        fields: [
            SOAPPageField("Journal_Template_Name", .code), SOAPPageField("Journal_Batch_Name", .code),
            SOAPPageField("Line_No", .integer, editable: false),
        ] + journalFields, part: nil, keyCaptions: journalKeyCaptions,
        readKeys: ["Journal_Template_Name", "Journal_Batch_Name", "Line_No"], journal: true)

    static let generalLedgerEntries = NAVSOAPPage(
        service: "GeneralLedgerEntries", pageNumber: 20, tableName: "G/L Entry", tableNumber: 17,
        fields: [
            SOAPPageField("Entry_No", .integer), SOAPPageField("Posting_Date", .date), SOAPPageField("Document_No", .code),
            SOAPPageField("External_Document_No", .code, length: 35), SOAPPageField("G_L_Account_No", .code), SOAPPageField("Description", .text),
            SOAPPageField("Amount", .decimal), SOAPPageField("Global_Dimension_1_Code", .code),
            SOAPPageField("Global_Dimension_2_Code", .code),
        ], part: nil, keyCaptions: ["Entry No."], readKeys: ["Entry_No"], editable: false)

    static let all: [NAVSOAPPage] = [
        vendorCard, glAccountCard, chartOfAccounts, dimensionValues, dimensions, purchaseInvoice, postedPurchaseInvoices,
        generalJournal, expenseJournal, generalLedgerEntries, employeeCard,
    ]

    /// A page by service name (NAV matches service names case-insensitively).
    static func page(_ service: String) -> NAVSOAPPage? {
        all.first { $0.service.caseInsensitiveCompare(service) == .orderedSame }
    }
}

/// A codeunit service method: its parameters (all text here) and the type of its return value.
struct SOAPCodeunitMethod: Sendable {
    var name: String
    var parameters: [(String, SOAPFieldType)]
    var returns: SOAPFieldType
}

/// Codeunit services (`ExpensePosting`).
struct NAVSOAPCodeunit: Sendable {
    var service: String
    var methods: [SOAPCodeunitMethod]

    var namespace: String { NAVSOAPNamespace.codeunit(service) }

    static let expensePosting = NAVSOAPCodeunit(
        service: "ExpensePosting",
        methods: [
            SOAPCodeunitMethod(name: "PostPurchaseInvoice", parameters: [("documentNo", .code)], returns: .code),
            SOAPCodeunitMethod(name: "PostJournalBatch", parameters: [("templateName", .code), ("batchName", .code)], returns: .integer),
        ])

    static let all = [expensePosting]

    static func codeunit(_ service: String) -> NAVSOAPCodeunit? {
        all.first { $0.service.caseInsensitiveCompare(service) == .orderedSame }
    }
}
