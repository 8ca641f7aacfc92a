import Foundation

/// A record as a page shows it: its primary key (the source table's, e.g. `["Invoice","PI-100001"]`), its row
/// version (changes on every write) and its fields by SOAP name in canonical text (decimals invariant, dates
/// `yyyy-mm-dd`, booleans `true`/`false`, options by caption; blank = absent or empty).
struct SOAPPageRow: Sendable {
    var primaryKey: [String]
    var version: Int
    var fields: [String: String]
    var lines: [SOAPPageRow] = []
}

/// Validated input of one record (header fields in page order, converted to canonical text) and its part lines.
struct SOAPRecordInput: Sendable {
    var fields: [(name: String, value: String)]
    /// Nil: the request had no part element (lines untouched on Update).
    var lines: [SOAPLineInput]?

    func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
}

struct SOAPLineInput: Sendable {
    /// The line's primary key (from its Key) on Update; nil for a new line.
    var primaryKey: [String]?
    var fields: [(name: String, value: String)]

    func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
}

/// Which company and journal batch an operation runs in.
struct SOAPPageContext: Sendable {
    var company: String
    /// `CurrentJnlBatchName` of a journal page (nil when not sent).
    var batch: String?
}

/// What the SOAP front end needs from the NAV database. Called inside the database's isolation; a value-type
/// backend gives all-or-nothing multi operations by working on a copy.
protocol NAVSOAPBackend {
    /// The records a page shows (journal pages: of the context's batch), any order.
    func rows(_ page: NAVSOAPPage, _ ctx: SOAPPageContext) throws(NAVSOAPFault) -> [SOAPPageRow]
    mutating func create(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, _ input: SOAPRecordInput) throws(NAVSOAPFault) -> SOAPPageRow
    /// `current` is the record as it is now (its Key checked by the caller).
    mutating func update(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, current: SOAPPageRow, _ input: SOAPRecordInput) throws(NAVSOAPFault)
        -> SOAPPageRow
    mutating func delete(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, current: SOAPPageRow) throws(NAVSOAPFault)
    mutating func deleteLine(_ page: NAVSOAPPage, _ ctx: SOAPPageContext, header: SOAPPageRow, line: SOAPPageRow) throws(NAVSOAPFault)
    /// Codeunit `ExpensePosting`: returns the `return_value` text.
    mutating func call(_ codeunit: NAVSOAPCodeunit, _ method: SOAPCodeunitMethod, company: String, arguments: [String: String])
        throws(NAVSOAPFault) -> String
}

/// The SOAP `Key` (`<table>;<base64 of the primary key>;<version>;`, the store's `NAVVersioning` codec): opaque to
/// clients, changing with every write (nav-bc-api.md §5.2).
enum NAVSOAPKey {
    static func make(table: Int, primaryKey: [String], version: Int) -> String {
        NAVVersioning.soapKey(table: table, primaryKey: primaryKey, version: Int64(version))
    }

    static func parse(_ key: String) -> (table: Int, primaryKey: [String], version: Int)? {
        guard let k = NAVVersioning.parseSOAPKey(key), let version = Int(exactly: k.version) else { return nil }
        return (k.table, k.primaryKey, version)
    }

    /// Primary keys order numerically where both values are integers, otherwise by text.
    static func less(_ a: [String], _ b: [String]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            if let i = Int(x), let j = Int(y) { return i < j }
            return x < y
        }
        return a.count < b.count
    }
}

/// The page operations of §5.2 over a backend: reading the request element, converting and checking values,
/// Keys, filters, paging, and writing `{Op}_Result`.
struct NAVSOAPPageOperations {
    let page: NAVSOAPPage
    let company: String

    private var ns: String { page.namespace }

    func run<B: NAVSOAPBackend>(_ call: SOAPCall, backend: inout B) -> Result<String, NAVSOAPFault> {
        do throws(NAVSOAPFault) {
            guard page.operations.contains(call.operation) else {
                throw NAVSOAPFault(
                    client:
                        "The operation '\(call.operation)' is not supported by the page \(page.service); supported: \(page.operations.joined(separator: ", "))."
                )
            }
            let element = call.element
            try checkParameters(call)
            let ctx = SOAPPageContext(company: company, batch: text(element.child("CurrentJnlBatchName", namespace: ns)))
            var w = SOAPXMLWriter()
            let resultName = call.operation + "_Result"
            w.open(resultName, [("xmlns", ns)])
            switch call.operation {
            case "Read":
                var keys: [String] = []
                for name in page.readKeys {
                    guard let node = element.child(name, namespace: ns) else {
                        throw NAVSOAPFault(client: "The parameter '\(name)' of Read is missing.")
                    }
                    keys.append(try readKeyValue(name, node.text))
                }
                let rows = try backend.rows(page, ctx)
                if let row = rows.first(where: { Array($0.primaryKey.suffix(keys.count)) == keys }) { write(row, into: &w) }
            case "ReadByRecId":
                let recId = text(element.child("recId", namespace: ns)) ?? ""
                let rows = try backend.rows(page, ctx)
                if let row = rows.first(where: { recordId($0) == recId }) { write(row, into: &w) }
            case "ReadMultiple":
                let rows = try readMultiple(element, backend.rows(page, ctx))
                if !rows.isEmpty {
                    w.open("ReadMultiple_Result")
                    for row in rows { write(row, into: &w) }
                    w.close("ReadMultiple_Result")
                }
            case "IsUpdated":
                let (current, version) = try keyed(element, backend.rows(page, ctx))
                w.element("IsUpdated_Result", current.version != version ? "true" : "false")
            case "GetRecIdFromKey":
                let (current, _) = try keyed(element, backend.rows(page, ctx))
                w.element("GetRecIdFromKey_Result", recordId(current))
            case "Create":
                let input = try recordInput(try single(element, page.service), forUpdate: false)
                write(try backend.create(page, ctx, input.input), into: &w)
            case "CreateMultiple", "UpdateMultiple":
                let list = try single(element, page.service + "_List")
                let items = list.children
                for item in items where item.name != page.service || item.namespace != ns {
                    throw NAVSOAPFault(client: "The element '\(item.name)' in \(page.service)_List is not a \(page.service).")
                }
                // One transaction: work on a copy, keep it only when every record went through.
                var copy = backend
                var written: [SOAPPageRow] = []
                for item in items {
                    if call.operation == "CreateMultiple" {
                        let input = try recordInput(item, forUpdate: false)
                        written.append(try copy.create(page, ctx, input.input))
                    } else {
                        written.append(try update(item, ctx, backend: &copy))
                    }
                }
                backend = copy
                w.open(page.service + "_List")
                for row in written { write(row, into: &w) }
                w.close(page.service + "_List")
            case "Update":
                write(try update(try single(element, page.service), ctx, backend: &backend), into: &w)
            case "Delete":
                let (current, version) = try keyed(element, backend.rows(page, ctx))
                guard current.version == version else { throw modified(current.primaryKey) }
                try backend.delete(page, ctx, current: current)
                w.element("Delete_Result", "true")
            default:  // Delete_{Part}
                guard let part = page.part, call.operation == "Delete_" + part.name else {
                    throw NAVSOAPFault(client: "The operation '\(call.operation)' is not supported by the page \(page.service).")
                }
                let keyText = text(element.child("Key", namespace: ns)) ?? ""
                guard let key = NAVSOAPKey.parse(keyText), key.table == part.tableNumber else {
                    throw NAVSOAPFault.dialog("The Key '\(keyText)' is not a valid key of a \(part.tableName) line.")
                }
                let rows = try backend.rows(page, ctx)
                guard let header = rows.first(where: { $0.lines.contains { $0.primaryKey == key.primaryKey } }),
                    let line = header.lines.first(where: { $0.primaryKey == key.primaryKey })
                else {
                    throw NAVSOAPFault.recordNotFound(notExists(part.tableName, part.keyCaptions, key.primaryKey))
                }
                guard line.version == key.version else {
                    throw NAVSOAPFault.generic("Other user has modified \(part.tableName) \(identification(part.keyCaptions, line.primaryKey)).")
                }
                try backend.deleteLine(page, ctx, header: header, line: line)
                w.element(resultName, "true")
            }
            w.close(resultName)
            return .success(w.out)
        } catch {
            return .failure(error)
        }
    }

    // MARK: Request reading

    private func text(_ node: SOAPNode?) -> String? {
        guard let node, !node.isNil else { return nil }
        let t = node.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : node.text
    }

    /// Every parameter must be one the operation takes (in the page namespace).
    private func checkParameters(_ call: SOAPCall) throws(NAVSOAPFault) {
        var allowed: Set<String> = page.journal ? ["CurrentJnlBatchName"] : []
        switch call.operation {
        case "Read": allowed.formUnion(page.readKeys)
        case "ReadByRecId": allowed.insert("recId")
        case "ReadMultiple": allowed.formUnion(["filter", "bookmarkKey", "setSize"])
        case "Create", "Update": allowed.insert(page.service)
        case "CreateMultiple", "UpdateMultiple": allowed.insert(page.service + "_List")
        default: allowed.insert("Key")
        }
        for child in call.element.children {
            guard child.namespace == ns else {
                throw NAVSOAPFault(client: "The element '\(child.name)' of \(call.operation) is not in the namespace '\(ns)'.")
            }
            guard allowed.contains(child.name) else {
                throw NAVSOAPFault(client: "'\(child.name)' is not a parameter of \(page.service).\(call.operation).")
            }
        }
    }

    private func single(_ element: SOAPNode, _ name: String) throws(NAVSOAPFault) -> SOAPNode {
        let found = element.children(name)
        guard found.count == 1, let node = found.first else {
            throw NAVSOAPFault(client: "\(element.name) takes exactly one '\(name)' element (found \(found.count)).")
        }
        return node
    }

    private func readKeyValue(_ name: String, _ raw: String) throws(NAVSOAPFault) -> String {
        let t = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if let f = page.field(name) { return try convert(f, t, table: page.tableName) }
        if name == "Line_No" || name == "Entry_No" {
            guard let n = Int(t) else { throw NAVSOAPFault.evaluate("The value \"\(t)\" can't be evaluated into type Integer.") }
            return String(n)
        }
        return t.uppercased()
    }

    /// The record a `<Key>` parameter names and the version the Key carries.
    private func keyed(_ element: SOAPNode, _ rows: [SOAPPageRow]) throws(NAVSOAPFault) -> (SOAPPageRow, Int) {
        let keyText = text(element.child("Key", namespace: ns)) ?? ""
        guard !keyText.isEmpty else { throw NAVSOAPFault.dialog("The Key must be specified.") }
        guard let key = NAVSOAPKey.parse(keyText), key.table == page.tableNumber else {
            throw NAVSOAPFault.dialog("The Key '\(keyText)' is not a valid key of the page \(page.service).")
        }
        guard let current = rows.first(where: { $0.primaryKey == key.primaryKey }) else {
            throw NAVSOAPFault.recordNotFound(notExists(page.tableName, page.keyCaptions, key.primaryKey))
        }
        return (current, key.version)
    }

    private func identification(_ captions: [String], _ pk: [String]) -> String {
        zip(captions, pk).map { "\($0.0)='\($0.1)'" }.joined(separator: ",")
    }

    /// `<record> <field> <value> does not exist.` (the last key field, as NAV names it).
    private func notExists(_ table: String, _ captions: [String], _ pk: [String]) -> String {
        let fields = zip(captions, pk).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        return "\(table) \(fields) does not exist."
    }

    private func modified(_ pk: [String]) -> NAVSOAPFault {
        NAVSOAPFault.generic("Other user has modified \(page.tableName) \(identification(page.keyCaptions, pk)).")
    }

    /// `Vendor: EMP-0001` (the record ID text GetRecIdFromKey answers and ReadByRecId takes).
    private func recordId(_ row: SOAPPageRow) -> String { "\(page.tableName): \(row.primaryKey.joined(separator: ","))" }

    /// Converts one incoming value to canonical text by field type (faults NAV would raise for a bad value).
    private func convert(_ f: SOAPPageField, _ raw: String, table: String) throws(NAVSOAPFault) -> String {
        let t = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        switch f.type {
        case .text, .code:
            let v = f.type == .code ? raw.trimmingCharacters(in: .whitespaces).uppercased() : raw
            if v.count > f.length {
                throw NAVSOAPFault(
                    "NavNCLStringLengthExceededException",
                    "The length of the string is \(v.count), but it must be less than or equal to \(f.length) characters. Value: \(v)")
            }
            return v
        case .decimal:
            if t.isEmpty { return "0" }
            guard let d = SOAPValueText.decimal(t) else {
                throw NAVSOAPFault.evaluate("The value \"\(t)\" can't be evaluated into type Decimal.")
            }
            return SOAPValueText.format(d)
        case .integer:
            guard let n = Int(t) else { throw NAVSOAPFault.evaluate("The value \"\(t)\" can't be evaluated into type Integer.") }
            return String(n)
        case .date:
            if t.isEmpty { return "" }
            guard SOAPValueText.isDate(t) else { throw NAVSOAPFault.evaluate("The value \"\(t)\" can't be evaluated into type Date.") }
            return t
        case .boolean:
            guard t == "true" || t == "false" || t == "1" || t == "0" else {
                throw NAVSOAPFault.evaluate("The value \"\(t)\" can't be evaluated into type Boolean.")
            }
            return (t == "true" || t == "1") ? "true" : "false"
        case .option(let captions):
            guard let caption = captions.first(where: { SOAPOptionName.xml($0) == t }) else {
                let names = captions.map(SOAPOptionName.xml).joined(separator: ", ")
                throw NAVSOAPFault.evaluate(
                    "The value \"\(t)\" can't be evaluated into type Option for the field \(f.name) of \(table). The options are: \(names).")
            }
            return caption
        }
    }

    /// Reads a `<{Svc}>` element: fields in page order, part lines, and the Key on update.
    private func recordInput(_ node: SOAPNode, forUpdate: Bool) throws(NAVSOAPFault) -> (input: SOAPRecordInput, key: String?) {
        var given: [String: String] = [:]
        var key: String?
        var lines: [SOAPLineInput]?
        for child in node.children {
            guard child.namespace == ns else {
                throw NAVSOAPFault(client: "The element '\(child.name)' of \(page.service) is not in the namespace '\(ns)'.")
            }
            if child.name == "Key" {
                key = text(child)
                continue
            }
            if let part = page.part, child.name == part.name {
                guard lines == nil else { throw NAVSOAPFault(client: "\(page.service) takes one '\(part.name)' element.") }
                lines = try partLines(child, part)
                continue
            }
            guard let f = page.field(child.name) else {
                throw NAVSOAPFault(
                    client: "The field '\(child.name)' is not a field of the page \(page.service) (see \(page.service)_Fields).")
            }
            guard given[f.name] == nil else { throw NAVSOAPFault(client: "The field '\(f.name)' is given twice.") }
            guard f.editable else {
                if forUpdate || f.name != "No" {
                    throw NAVSOAPFault.dialog("The field \(f.name) of the page \(page.service) is not editable.")
                }
                throw NAVSOAPFault.dialog(
                    "You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series P-INV.")
            }
            if child.isNil { continue }
            given[f.name] = try convert(f, child.text, table: page.tableName)
        }
        let ordered = page.fields.compactMap { f in given[f.name].map { (name: f.name, value: $0) } }
        return (SOAPRecordInput(fields: ordered, lines: lines), key)
    }

    private func partLines(_ node: SOAPNode, _ part: SOAPPagePart) throws(NAVSOAPFault) -> [SOAPLineInput] {
        var out: [SOAPLineInput] = []
        for item in node.children {
            guard item.name == part.itemName, item.namespace == ns else {
                throw NAVSOAPFault(client: "The element '\(item.name)' in \(part.name) is not a \(part.itemName).")
            }
            var given: [String: String] = [:]
            var pk: [String]?
            for child in item.children {
                guard child.namespace == ns else {
                    throw NAVSOAPFault(client: "The element '\(child.name)' of \(part.itemName) is not in the namespace '\(ns)'.")
                }
                if child.name == "Key" {
                    if let keyText = text(child) {
                        guard let key = NAVSOAPKey.parse(keyText), key.table == part.tableNumber else {
                            throw NAVSOAPFault.dialog("The Key '\(keyText)' is not a valid key of a \(part.tableName) line.")
                        }
                        pk = key.primaryKey
                        given["\u{0}version"] = String(key.version)
                    }
                    continue
                }
                guard let f = part.field(child.name) else {
                    throw NAVSOAPFault(
                        client: "The field '\(child.name)' is not a field of \(part.itemName) (page \(page.service), part \(part.name)).")
                }
                guard f.editable else { throw NAVSOAPFault.dialog("The field \(f.name) of \(part.itemName) is not editable.") }
                if child.isNil { continue }
                given[f.name] = try convert(f, child.text, table: part.tableName)
            }
            var fields = part.fields.compactMap { f in given[f.name].map { (name: f.name, value: $0) } }
            if let v = given["\u{0}version"] { fields.append((name: "\u{0}version", value: v)) }
            out.append(SOAPLineInput(primaryKey: pk, fields: fields))
        }
        return out
    }

    /// Update of one `<{Svc}>` with its Key: stale → "Other user has modified …"; lines with a Key are checked too.
    private func update<B: NAVSOAPBackend>(_ node: SOAPNode, _ ctx: SOAPPageContext, backend: inout B) throws(NAVSOAPFault)
        -> SOAPPageRow
    {
        let (input, keyText) = try recordInput(node, forUpdate: true)
        guard let keyText else { throw NAVSOAPFault.dialog("The Key must be specified to update a \(page.tableName).") }
        guard let key = NAVSOAPKey.parse(keyText), key.table == page.tableNumber else {
            throw NAVSOAPFault.dialog("The Key '\(keyText)' is not a valid key of the page \(page.service).")
        }
        let rows = try backend.rows(page, ctx)
        guard let current = rows.first(where: { $0.primaryKey == key.primaryKey }) else {
            throw NAVSOAPFault.recordNotFound(notExists(page.tableName, page.keyCaptions, key.primaryKey))
        }
        guard current.version == key.version else { throw modified(current.primaryKey) }
        var checked = input
        if let lines = input.lines, let part = page.part {
            checked.lines = []
            for var line in lines {
                if let pk = line.primaryKey {
                    let version = line.value("\u{0}version").flatMap { Int($0) }
                    guard let existing = current.lines.first(where: { $0.primaryKey == pk }) else {
                        throw NAVSOAPFault.recordNotFound(notExists(part.tableName, part.keyCaptions, pk))
                    }
                    guard existing.version == version else {
                        throw NAVSOAPFault.generic(
                            "Other user has modified \(part.tableName) \(identification(part.keyCaptions, pk)).")
                    }
                }
                line.fields.removeAll { $0.name == "\u{0}version" }
                checked.lines?.append(line)
            }
        }
        return try backend.update(page, ctx, current: current, checked)
    }

    // MARK: ReadMultiple

    private func readMultiple(_ element: SOAPNode, _ all: [SOAPPageRow]) throws(NAVSOAPFault) -> [SOAPPageRow] {
        var filters: [(SOAPPageField, SOAPFilter)] = []
        for node in element.children("filter") {
            let field = text(node.child("Field", namespace: ns))?.trimmingCharacters(in: .whitespaces) ?? ""
            guard let f = page.field(field) else {
                throw NAVSOAPFault(
                    client: "The filter field '\(field)' is not a field of the page \(page.service) (see \(page.service)_Fields).")
            }
            let criteria = node.child("Criteria", namespace: ns)?.text ?? ""
            do {
                filters.append((f, try SOAPFilter.parse(criteria, type: f.type)))
            } catch {
                let reason = (error as? SOAPFilter.Invalid)?.reason ?? "\(error)"
                throw NAVSOAPFault(
                    "NavFilterException",
                    "The filter \"\(criteria)\" is not valid for the \(f.name) field on the \(page.tableName) table. \(reason).")
            }
        }
        let setSizeText = text(element.child("setSize", namespace: ns))?.trimmingCharacters(in: .whitespaces) ?? "0"
        guard let setSize = Int(setSizeText) else {
            throw NAVSOAPFault.evaluate("The value \"\(setSizeText)\" can't be evaluated into type Integer.")
        }
        var rows = all.sorted { NAVSOAPKey.less($0.primaryKey, $1.primaryKey) }
        if setSize < 0 { rows.reverse() }
        if let bookmark = text(element.child("bookmarkKey", namespace: ns)) {
            guard let key = NAVSOAPKey.parse(bookmark), key.table == page.tableNumber else {
                throw NAVSOAPFault.dialog("The bookmarkKey '\(bookmark)' is not a valid key of the page \(page.service).")
            }
            rows = rows.filter {
                setSize < 0 ? NAVSOAPKey.less($0.primaryKey, key.primaryKey) : NAVSOAPKey.less(key.primaryKey, $0.primaryKey)
            }
        }
        rows = rows.filter { row in filters.allSatisfy { f, filter in filter.matches(row.fields[f.name] ?? "", type: f.type) } }
        if setSize != 0 { rows = Array(rows.prefix(abs(setSize))) }
        return rows
    }

    // MARK: Writing

    private func write(_ row: SOAPPageRow, into w: inout SOAPXMLWriter) {
        w.open(page.service)
        w.element("Key", NAVSOAPKey.make(table: page.tableNumber, primaryKey: row.primaryKey, version: row.version))
        for f in page.fields {
            if let v = NAVSOAPPageOperations.xmlValue(f, row.fields[f.name]) { w.element(f.name, v) }
            if let part = page.part, f.name == page.partAfter {
                w.open(part.name)
                for line in row.lines {
                    w.open(part.itemName)
                    w.element("Key", NAVSOAPKey.make(table: part.tableNumber, primaryKey: line.primaryKey, version: line.version))
                    for lf in part.fields {
                        if let v = NAVSOAPPageOperations.xmlValue(lf, line.fields[lf.name]) { w.element(lf.name, v) }
                    }
                    w.close(part.itemName)
                }
                w.close(part.name)
            }
        }
        w.close(page.service)
    }

    /// The XML text of a value; nil leaves the element out (blank text, code and date fields).
    static func xmlValue(_ f: SOAPPageField, _ value: String?) -> String? {
        let v = value ?? ""
        switch f.type {
        case .text, .code, .date: return v.isEmpty ? nil : v
        case .decimal: return v.isEmpty ? "0" : v
        case .integer: return v.isEmpty ? "0" : v
        case .boolean: return v == "true" ? "true" : "false"
        case .option(let captions):
            if let i = SOAPOptionName.ordinal(v, in: captions) { return SOAPOptionName.xml(captions[i]) }
            return SOAPOptionName.xml(captions.first ?? " ")
        }
    }
}
