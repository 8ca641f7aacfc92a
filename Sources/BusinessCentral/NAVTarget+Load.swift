import ConnectorCore
import Foundation

extension NAVTarget {
    /// The number of lines a document becomes (journal documents add their balancing line).
    func expectedLines(_ d: InvoiceDocument) -> Int {
        switch configuration.documentType {
        case .purchaseInvoice: return d.lines.count
        case .generalJournal: return configuration.journal.map { NAVJournalLinePlan.lines(for: d, journal: $0).count } ?? d.lines.count
        }
    }

    static func failed(_ key: String, _ code: String, _ message: String, reference: String? = nil) -> DocumentLoadResult {
        DocumentLoadResult(key: key, status: .failed, erpReference: reference, linesWritten: 0, errorCode: code, errorMessage: message)
    }

    /// Writes one document, or completes one found short; never touches a posted one. A lost answer is settled by
    /// looking the key up.
    public func load(_ document: InvoiceDocument, existing: ExistingDocument?) async -> DocumentLoadResult {
        let d = document
        let wanted = expectedLines(d)
        if existing != nil, let f = await state.found[d.key] {
            if f.isPosted {
                return DocumentLoadResult(
                    key: d.key, status: .alreadyPresent, erpReference: f.number, linesWritten: 0, erpNumber: f.number, erpStatus: .posted)
            }
            if f.lineCount >= wanted {
                return DocumentLoadResult(
                    key: d.key, status: .alreadyPresent, erpReference: f.number, linesWritten: 0, erpNumber: f.number, erpStatus: .draft)
            }
            return await complete(d, found: f)
        }
        do {
            switch configuration.documentType {
            case .purchaseInvoice:
                let header = try await backend.createInvoice(
                    company: nav(d.company), header: fields.invoiceHeader(d), lines: d.lines.map(fields.invoiceLine))
                return DocumentLoadResult(
                    key: d.key, status: .created, erpReference: header["No"], linesWritten: d.lines.count, erpNumber: header["No"], erpStatus: .draft)
            case .generalJournal:
                guard let journal = configuration.journal else {
                    return Self.failed(d.key, "config.invalid", "target.journal is required for document 'generalJournal'")
                }
                let n = try await backend.createJournalLines(
                    company: nav(d.company), journal: journal, lines: fields.journalLines(d, journal: journal))
                return DocumentLoadResult(key: d.key, status: .created, erpReference: d.key, linesWritten: n, erpNumber: d.key, erpStatus: .draft)
            }
        } catch let e as ConnectorError where e.isLostAnswer || e.isTransient {
            return await settle(d, after: e)
        } catch let e as ConnectorError {
            return Self.failed(d.key, e.code, e.message, reference: e.context["nav.left_behind"])
        } catch {
            return Self.failed(d.key, "\(backend.system).unexpected", "\(error)")
        }
    }

    /// A write whose answer was lost (or that failed in a way that may have been applied): look the key up. Found
    /// complete → created; found short → completed; absent → failed, retried on the next run.
    func settle(_ d: InvoiceDocument, after error: ConnectorError) async -> DocumentLoadResult {
        logger.info(
            "NAV write without a clear answer; looking the document up",
            metadata: ["system": "\(name)", "document.key": "\(d.key)", "error.code": "\(error.code)"])
        let found: NAVFound?
        do { found = try await lookUp([(d.key, d.company)])[d.key] } catch {
            return Self.failed(
                d.key, "\(backend.system).lookup_failed",
                "NAV did not answer the write (\(error)) and the document could not be looked up: it is looked up again on the next run")
        }
        guard let f = found else {
            return Self.failed(
                d.key, "\(backend.system).no_answer",
                "NAV did not answer the write (\(error.message)) and the document is not there: nothing was made, it is retried on the next run")
        }
        await state.remember(f)
        let wanted = expectedLines(d)
        if f.isPosted || f.lineCount >= wanted {
            return DocumentLoadResult(
                key: d.key, status: .created, erpReference: f.number, linesWritten: wanted, erpNumber: f.number,
                erpStatus: f.isPosted ? .posted : .draft)
        }
        var result = await complete(d, found: f)
        if result.status == .completed { result.status = .created }
        return result
    }

    /// Adds the missing lines to a draft purchase invoice found short; a journal document found short is left for a
    /// person (its lines could be posted by then).
    func complete(_ d: InvoiceDocument, found f: NAVFound) async -> DocumentLoadResult {
        let wanted = expectedLines(d)
        guard configuration.documentType == .purchaseInvoice, let draft = f.draft else {
            return DocumentLoadResult(
                key: d.key, status: .locked, erpReference: f.number, linesWritten: 0, errorCode: "\(backend.system).incomplete",
                errorMessage:
                    "journal document \(d.key) has \(f.lineCount) of \(wanted) lines in NAV; delete them there (or complete them by hand) and rerun")
        }
        let missing = Array(d.lines.dropFirst(f.lineCount))
        do {
            try await backend.addInvoiceLines(company: nav(d.company), invoice: draft, lines: missing.map(fields.invoiceLine))
            return DocumentLoadResult(
                key: d.key, status: .completed, erpReference: f.number, linesWritten: missing.count, erpNumber: f.number, erpStatus: .draft)
        } catch let e as ConnectorError {
            return Self.failed(
                d.key, e.code,
                "\(e.message); the draft purchase invoice \(f.number) from before has \(f.lineCount) of \(wanted) lines and was left as it is",
                reference: f.number)
        } catch {
            return Self.failed(d.key, "\(backend.system).unexpected", "\(error)", reference: f.number)
        }
    }
}
