import Foundation

/// Edm type of a simulated property.
enum D365Kind: Sendable, Equatable {
    case string
    case decimal
    case int32
    case int64
    case dateTimeOffset
    case enumeration(String)

    var edmName: String {
        switch self {
        case .string: return "Edm.String"
        case .decimal: return "Edm.Decimal"
        case .int32: return "Edm.Int32"
        case .int64: return "Edm.Int64"
        case .dateTimeOffset: return "Edm.DateTimeOffset"
        case .enumeration(let e): return "\(D365Schema.namespace).\(e)"
        }
    }

    var enumType: String? {
        if case .enumeration(let e) = self { return e }
        return nil
    }
}

struct D365Property: Sendable {
    var name: String
    var kind: D365Kind
    var nullable: Bool
    /// Value of an unset property (F&O defaults every field on create).
    var defaultValue: D365Value
}

struct D365Navigation: Sendable {
    var name: String
    var targetSet: String
    var many: Bool
    var partner: String
    /// (property on this entity, property on the target) pairs.
    var constraints: [(String, String)]
}

/// One simulated entity set.
struct D365EntitySchema: Sendable {
    var setName: String
    var typeName: String
    /// AOT entity name used in write errors, e.g. `VendorInvoiceHeaderEntity`.
    var aotName: String
    /// Backing data source shown in write errors, e.g. `VendInvoiceInfoTable (VendInvoiceInfoTable)`.
    var dataSource: String
    var keys: [String]
    var properties: [D365Property]
    var navigations: [D365Navigation]
    /// Company-specific entities carry `dataAreaId`; shared ones ignore the company.
    var companySpecific: Bool { keys.first == "dataAreaId" }
    /// Writable through `/data` (master data is maintained with control routes in the sandbox).
    var writable: Bool

    var qualifiedType: String { "\(D365Schema.namespace).\(typeName)" }

    func property(_ name: String) -> D365Property? { properties.first { $0.name == name } }
    func navigation(_ name: String) -> D365Navigation? { navigations.first { $0.name == name } }
}

enum D365Schema {
    static let namespace = "Microsoft.Dynamics.DataEntities"

    /// EnumTypes published in `$metadata` (member names from the reference; values are positional).
    static let enums: [(String, [String])] = [
        ("NoYes", ["No", "Yes"]),
        ("VendInvoiceRequestStatus", ["Draft", "InReview", "Approved", "Rejected", "Cancelled"]),
        ("PurchInvoiceLineType", ["Standard", "Advance", "AdvanceApplication", "ReverseAdvanceApplication"]),
        ("PurchInvoiceType", ["Standard", "VendorAdvance", "InvoicePool"]),
        ("LedgerJournalACType", ["Ledger", "Cust", "Vend", "Project", "FixedAssets", "Bank"]),
        (
            "DimensionLedgerAccountType",
            [
                "Blank", "ProfitAndLoss", "Revenue", "Expense", "BalanceSheet", "Asset",
                "Liability", "Equity", "Total", "Reporting", "Common_CN",
            ]
        ),
        ("CustVendorBlocked", ["No", "Invoice", "All", "Payment", "Requisition", "Never", "PurchOrder"]),
        ("HcmWorkerStatus", ["Pending", "Employed", "Terminated"]),
        (
            "DimensionSegmentDelimiter",
            [
                "Hyphen", "Period", "Underscore", "Bar", "Tilde", "DoubleHyphen",
                "DoublePeriod", "DoubleUnderscore", "DoubleBar", "DoubleTilde",
            ]
        ),
        (
            "DimensionHierarchyType",
            [
                "DataEntityDefaultDimensionFormat", "DataEntityLedgerDimensionFormat",
                "DataEntityBudgetDimensionFormat", "DataEntityBudgetPlanningDimensionFormat",
            ]
        ),
    ]

    static func members(of enumType: String) -> [String]? { enums.first { $0.0 == enumType }?.1 }

    /// Case-sensitive member check (OData enum member names are case-sensitive).
    static func member(_ name: String, of enumType: String) -> String? {
        members(of: enumType)?.first { $0 == name }
    }

    static func delimiter(forMember member: String) -> String? {
        switch member {
        case "Hyphen": return "-"
        case "Period": return "."
        case "Underscore": return "_"
        case "Bar": return "|"
        case "Tilde": return "~"
        case "DoubleHyphen": return "--"
        case "DoublePeriod": return ".."
        case "DoubleUnderscore": return "__"
        case "DoubleBar": return "||"
        case "DoubleTilde": return "~~"
        default: return nil
        }
    }

    // MARK: Entity sets

    private static func s(_ name: String) -> D365Property {
        D365Property(name: name, kind: .string, nullable: true, defaultValue: .string(""))
    }
    private static func key(_ name: String) -> D365Property {
        D365Property(name: name, kind: .string, nullable: false, defaultValue: .string(""))
    }
    private static func dec(_ name: String, _ def: Decimal = 0) -> D365Property {
        D365Property(name: name, kind: .decimal, nullable: false, defaultValue: .decimal(def))
    }
    private static func date(_ name: String) -> D365Property {
        D365Property(name: name, kind: .dateTimeOffset, nullable: false, defaultValue: .date(.unset))
    }
    private static func e(_ name: String, _ type: String, _ def: String) -> D365Property {
        D365Property(name: name, kind: .enumeration(type), nullable: true, defaultValue: .enumMember(def))
    }
    private static func noYes(_ name: String) -> D365Property { e(name, "NoYes", "No") }
    private static func int64(_ name: String) -> D365Property {
        D365Property(name: name, kind: .int64, nullable: false, defaultValue: .int(0))
    }

    static let vendorInvoiceHeaders = D365EntitySchema(
        setName: "VendorInvoiceHeaders", typeName: "VendorInvoiceHeader", aotName: "VendorInvoiceHeaderEntity",
        dataSource: "VendInvoiceInfoTable (VendInvoiceInfoTable)", keys: ["dataAreaId", "HeaderReference"],
        properties: [
            key("dataAreaId"), key("HeaderReference"),
            s("InvoiceNumber"), s("InvoiceAccount"), s("VendorAccount"), s("VendorName"),
            date("InvoiceDate"), date("Date"), date("DueDate"),
            s("Currency"), s("InvoiceDescription"), s("DimensionDisplayValue"), s("FinTagDisplayValue"),
            s("DocumentNumber"), s("PurchaseOrderNumber"), s("Comment"), s("TermsOfPayment"), s("MethodOfPayment"),
            s("PaymentId"), s("PostingProfile"), s("SalesTaxGroup"),
            noYes("IsOnHold"), noYes("IsApproved"), noYes("IsPricesIncludeSalesTax"), noYes("OverrideSalesTax"),
            noYes("HeaderOnlyImport"),
            s("ApprovedBy"), s("ApproverPersonnelNumber"),
            e("VendorInvoiceReviewStatus", "VendInvoiceRequestStatus", "Draft"),
            e("VendorInvoiceType", "PurchInvoiceType", "Standard"),
            dec("ImportedAmount"), dec("ImportedSalesTax"),
            date("InvoiceReceivedDate"), date("StartDateTime"), date("EndDateTime"),
            dec("ExchangeRate"), dec("CashDiscount"), dec("TotalDiscount"), dec("InvoiceRoundOff"), dec("SalesTaxRounding"),
        ],
        navigations: [
            D365Navigation(
                name: "VendorInvoiceLine", targetSet: "VendorInvoiceLines", many: true,
                partner: "VendorInvoiceHeader",
                constraints: [("dataAreaId", "dataAreaId"), ("HeaderReference", "HeaderReference")])
        ],
        writable: true)

    static let vendorInvoiceLines = D365EntitySchema(
        setName: "VendorInvoiceLines", typeName: "VendorInvoiceLine", aotName: "VendorInvoiceLineEntity",
        dataSource: "VendInvoiceInfoLine (VendInvoiceInfoLine)", keys: ["dataAreaId", "HeaderReference", "InvoiceLineNumber"],
        properties: [
            key("dataAreaId"), key("HeaderReference"), dec("InvoiceLineNumber"),
            dec("LineNumber"), s("Currency"), s("InvoiceAccount"), s("VendorAccount"), s("ItemNumber"),
            s("ProcurementCategoryName"), s("ProcurementCategoryHierarchyName"),
            s("MainAccountDisplayValue"), s("DimensionDisplayValue"), s("LineDescription"),
            dec("ReceiveNow"), dec("InventNow"), s("Unit"), dec("UnitPrice"), dec("PriceUnit", 1), dec("Amount"),
            dec("NetAmount"), dec("DiscountPercent"), dec("Discount"),
            e("LineType", "PurchInvoiceLineType", "Standard"),
            s("PurchaseOrder"), int64("PurchLineNumber"), s("SalesTaxGroup"), s("ItemSalesTax"),
            e("VendorInvoiceLineReviewStatus", "VendInvoiceRequestStatus", "Draft"),
        ],
        navigations: [
            D365Navigation(
                name: "VendorInvoiceHeader", targetSet: "VendorInvoiceHeaders", many: false,
                partner: "VendorInvoiceLine",
                constraints: [("dataAreaId", "dataAreaId"), ("HeaderReference", "HeaderReference")])
        ],
        writable: true)

    static let vendorsV2 = D365EntitySchema(
        setName: "VendorsV2", typeName: "VendorV2", aotName: "VendVendorV2Entity",
        dataSource: "VendTable (VendTable)", keys: ["dataAreaId", "VendorAccountNumber"],
        properties: [
            key("dataAreaId"), key("VendorAccountNumber"),
            s("VendorOrganizationName"), s("VendorGroupId"), s("CurrencyCode"),
            e("OnHoldStatus", "CustVendorBlocked", "No"),
            s("PrimaryEmailAddress"), s("VendorSearchName"), s("VendorPartyNumber"), s("VendorPartyType"),
            s("PersonFirstName"), s("PersonLastName"), s("DefaultLedgerDimensionDisplayValue"),
            e("DefaultOffsetAccountType", "LedgerJournalACType", "Ledger"), s("DefaultOffsetLedgerAccountDisplayValue"),
            s("DefaultPaymentTermsName"), s("DefaultVendorPaymentMethodName"), s("InvoiceVendorAccountNumber"),
            s("AddressCountryRegionId"),
        ],
        navigations: [], writable: false)

    static let mainAccounts = D365EntitySchema(
        setName: "MainAccounts", typeName: "MainAccount", aotName: "MainAccountEntity",
        dataSource: "MainAccount (MainAccount)", keys: ["ChartOfAccounts", "MainAccountId"],
        properties: [
            key("ChartOfAccounts"), key("MainAccountId"), s("Name"),
            e("MainAccountType", "DimensionLedgerAccountType", "Blank"),
            noYes("IsSuspended"), noYes("DoNotAllowManualEntry"), date("ActiveFrom"), date("ActiveTo"),
            s("MainAccountCategory"), int64("MainAccountRecId"), s("DefaultCurrency"), s("ParentMainAccountId"),
        ],
        navigations: [], writable: false)

    static let ledgers = D365EntitySchema(
        setName: "Ledgers", typeName: "Ledger", aotName: "LedgerEntity", dataSource: "Ledger (Ledger)",
        keys: ["LegalEntityId"],
        properties: [
            key("LegalEntityId"), s("Name"), s("ChartOfAccounts"), s("AccountingCurrency"),
            s("ReportingCurrency"), s("AccountStructureName1"),
        ],
        navigations: [], writable: false)

    static let legalEntities = D365EntitySchema(
        setName: "LegalEntities", typeName: "LegalEntity", aotName: "OMLegalEntity", dataSource: "CompanyInfo (CompanyInfo)",
        keys: ["LegalEntityId"],
        properties: [key("LegalEntityId"), s("Name"), s("AddressCountryRegionId")],
        navigations: [], writable: false)

    static let financialDimensionValues = D365EntitySchema(
        setName: "FinancialDimensionValues", typeName: "FinancialDimensionValue", aotName: "DimensionFinancialDimensionValueEntity",
        dataSource: "DimensionFinancialTag (DimensionFinancialTag)", keys: ["FinancialDimension", "LegalEntityId", "DimensionValue"],
        properties: [
            key("FinancialDimension"), key("LegalEntityId"), key("DimensionValue"), s("Description"),
            noYes("IsSuspended"), noYes("IsBlockedForManualEntry"), noYes("IsTotal"),
            date("ActiveFrom"), date("ActiveTo"), s("GroupDimension"), s("Owner"),
        ],
        navigations: [], writable: false)

    static let dimensionAttributes = D365EntitySchema(
        setName: "DimensionAttributes", typeName: "DimensionAttribute", aotName: "DimensionAttributeEntity",
        dataSource: "DimensionAttribute (DimensionAttribute)", keys: ["DimensionName"],
        properties: [key("DimensionName"), s("ReportColumnName"), s("UseValuesFrom"), s("DimensionValueMask")],
        navigations: [], writable: false)

    static let dimensionIntegrationFormats = D365EntitySchema(
        setName: "DimensionIntegrationFormats", typeName: "DimensionIntegrationFormat",
        aotName: "DimensionIntegrationFormatEntity", dataSource: "DimensionHierarchy (DimensionHierarchy)",
        keys: ["DimensionFormatName", "DimensionFormatType"],
        properties: [
            key("DimensionFormatName"),
            D365Property(
                name: "DimensionFormatType", kind: .enumeration("DimensionHierarchyType"), nullable: false,
                defaultValue: .enumMember("DataEntityDefaultDimensionFormat")),
            s("FinancialDimensionFormat"), noYes("IsActive"),
        ],
        navigations: [], writable: false)

    static let dimensionParameters = D365EntitySchema(
        setName: "DimensionParameters", typeName: "DimensionParameter", aotName: "DimensionParametersEntity",
        dataSource: "DimensionParameters (DimensionParameters)", keys: ["Key"],
        properties: [
            D365Property(name: "Key", kind: .int32, nullable: false, defaultValue: .int(0)),
            e("DimensionSegmentDelimiter", "DimensionSegmentDelimiter", "Hyphen"),
        ],
        navigations: [], writable: false)

    static let currencies = D365EntitySchema(
        setName: "Currencies", typeName: "Currency", aotName: "CurrencyEntity", dataSource: "Currency (Currency)",
        keys: ["CurrencyCode"],
        properties: [key("CurrencyCode"), s("Name"), s("Symbol"), dec("GeneralRoundingRule", Decimal(string: "0.01") ?? 0)],
        navigations: [], writable: false)

    /// Posted vendor invoices (VendInvoiceJour), read-only. d365-fo-odata.md §4 names `VendInvoiceJourBiEntities` as
    /// where a posted invoice is read [META]; the key (`dataAreaId`, `SourceKey`, the source row's RecId) and the
    /// property names follow the published metadata of the BI entities. Rows are written by the sandbox's post control.
    static let vendInvoiceJourBiEntities = D365EntitySchema(
        setName: "VendInvoiceJourBiEntities", typeName: "VendInvoiceJourBiEntity", aotName: "VendInvoiceJourBiEntity",
        dataSource: "VendInvoiceJour (VendInvoiceJour)", keys: ["dataAreaId", "SourceKey"],
        properties: [
            key("dataAreaId"), int64("SourceKey"),
            s("InvoiceId"), s("InternalInvoiceId"), s("InvoiceAccount"), s("OrderAccount"), date("InvoiceDate"),
            s("LedgerVoucher"), s("CurrencyCode"), dec("InvoiceAmount"), dec("SumTax"), dec("Qty"),
        ],
        navigations: [], writable: false)

    /// Posted vendor invoice lines (VendInvoiceTrans), read-only, keyed like `VendInvoiceJourBiEntities`. Property names
    /// follow the published metadata (`InvoiceId`, `LineNum`, `LineAmount`, `CurrencyCode`, `LedgerDimensionValuesJson`).
    /// The shape of `LedgerDimensionValuesJson` is not documented [UNCERTAIN]; the sandbox writes a JSON object of
    /// dimension name → value with the main account under `MainAccount`.
    static let vendInvoiceTransBiEntities = D365EntitySchema(
        setName: "VendInvoiceTransBiEntities", typeName: "VendInvoiceTransBiEntity", aotName: "VendInvoiceTransBiEntity",
        dataSource: "VendInvoiceTrans (VendInvoiceTrans)", keys: ["dataAreaId", "SourceKey"],
        properties: [
            key("dataAreaId"), int64("SourceKey"),
            s("InvoiceId"), s("InternalInvoiceId"), date("InvoiceDate"), dec("LineNum"), s("Name"), s("Description"),
            dec("Qty"), dec("PurchPrice"), dec("LineAmount"), s("CurrencyCode"), s("LedgerDimensionValuesJson"),
        ],
        navigations: [], writable: false)

    /// Workers (shared, key `PersonnelNumber`; d365-fo-odata.md §6). Maintained by the sandbox's worker controls.
    static let workers = D365EntitySchema(
        setName: "Workers", typeName: "Worker", aotName: "HcmWorkerEntity", dataSource: "HcmWorker (HcmWorker)",
        keys: ["PersonnelNumber"],
        properties: [
            key("PersonnelNumber"), s("Name"), s("FirstName"), s("LastName"), s("PrimaryContactEmail"),
            e("WorkerStatus", "HcmWorkerStatus", "Employed"), s("WorkerType"), s("User"), s("IdentityEmail"),
        ],
        navigations: [], writable: false)

    /// Employments (key `PersonnelNumber`, `EmploymentLegalEntityId`, `EmploymentId`; §6).
    static let employeesV2 = D365EntitySchema(
        setName: "EmployeesV2", typeName: "EmployeeV2", aotName: "HcmEmployeeV2Entity", dataSource: "HcmEmployment (HcmEmployment)",
        keys: ["PersonnelNumber", "EmploymentLegalEntityId", "EmploymentId"],
        properties: [
            key("PersonnelNumber"), key("EmploymentLegalEntityId"), key("EmploymentId"), s("Name"), s("PrimaryContactEmail"),
            date("EmploymentStartDate"), date("EmploymentEndDate"), s("DimensionDisplayValue"), s("TitleId"),
        ],
        navigations: [], writable: false)

    /// Which worker holds which position. The collection and field names are not in the reference [UNCERTAIN]; they
    /// follow `HcmPositionWorkerAssignmentEntity` (see D365Target+Workers.swift).
    static let positionWorkerAssignments = D365EntitySchema(
        setName: "PositionWorkerAssignments", typeName: "PositionWorkerAssignment", aotName: "HcmPositionWorkerAssignmentEntity",
        dataSource: "HcmPositionWorkerAssignment (HcmPositionWorkerAssignment)", keys: ["PositionId", "PersonnelNumber"],
        properties: [key("PositionId"), key("PersonnelNumber"), date("ValidFrom"), date("ValidTo")],
        navigations: [], writable: false)

    /// Which position reports to which (`HcmPositionHierarchyEntity`) [UNCERTAIN names, as above].
    static let positionHierarchies = D365EntitySchema(
        setName: "PositionHierarchies", typeName: "PositionHierarchy", aotName: "HcmPositionHierarchyEntity",
        dataSource: "HcmPositionHierarchy (HcmPositionHierarchy)", keys: ["PositionId", "HierarchyTypeName"],
        properties: [key("PositionId"), key("HierarchyTypeName"), s("ParentPositionId"), date("ValidFrom"), date("ValidTo")],
        navigations: [], writable: false)

    static let all: [D365EntitySchema] = [
        vendorInvoiceHeaders, vendorInvoiceLines, vendorsV2, mainAccounts, ledgers, legalEntities,
        financialDimensionValues, dimensionAttributes, dimensionIntegrationFormats, dimensionParameters, currencies,
        vendInvoiceJourBiEntities, vendInvoiceTransBiEntities, workers, employeesV2, positionWorkerAssignments, positionHierarchies,
    ]

    /// Case-sensitive look-up of an entity set.
    static func entitySet(_ name: String) -> D365EntitySchema? { all.first { $0.setName == name } }

    // MARK: $metadata

    static func metadataXML() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "<", with: "&lt;")
        }
        var x = """
            <?xml version="1.0" encoding="utf-8"?>
            <edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
            <edmx:DataServices>
            <Schema Namespace="\(namespace)" xmlns="http://docs.oasis-open.org/odata/ns/edm">

            """
        for entity in all {
            x += "<EntityType Name=\"\(entity.typeName)\">\n<Key>\n"
            for k in entity.keys { x += "<PropertyRef Name=\"\(k)\" />\n" }
            x += "</Key>\n"
            for p in entity.properties {
                let nullable = entity.keys.contains(p.name) ? false : p.nullable
                var attrs = "Name=\"\(p.name)\" Type=\"\(p.kind.edmName)\" Nullable=\"\(nullable)\""
                if p.kind == .decimal { attrs += " Precision=\"32\" Scale=\"6\"" }
                if p.name == "dataAreaId" { attrs += " MaxLength=\"4\"" }
                x += "<Property \(attrs) />\n"
            }
            for n in entity.navigations {
                guard let target = entitySet(n.targetSet) else { continue }
                let type = n.many ? "Collection(\(target.qualifiedType))" : target.qualifiedType
                x += "<NavigationProperty Name=\"\(n.name)\" Type=\"\(type)\" Partner=\"\(n.partner)\"\(n.many ? "" : " Nullable=\"false\"")>\n"
                for (a, b) in n.constraints { x += "<ReferentialConstraint Property=\"\(a)\" ReferencedProperty=\"\(b)\" />\n" }
                x += "</NavigationProperty>\n"
            }
            x += "</EntityType>\n"
        }
        for (name, members) in enums {
            x += "<EnumType Name=\"\(esc(name))\">\n"
            for (i, m) in members.enumerated() { x += "<Member Name=\"\(esc(m))\" Value=\"\(i)\" />\n" }
            x += "</EnumType>\n"
        }
        x += "<EntityContainer Name=\"Resources\">\n"
        for entity in all {
            x += "<EntitySet Name=\"\(entity.setName)\" EntityType=\"\(entity.qualifiedType)\">\n"
            for n in entity.navigations { x += "<NavigationPropertyBinding Path=\"\(n.name)\" Target=\"\(n.targetSet)\" />\n" }
            x += "</EntitySet>\n"
        }
        x += "</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
        return x
    }
}
