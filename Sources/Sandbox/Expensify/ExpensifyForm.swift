import Foundation

/// The request parameters of an Integration Server call, read from an urlencoded body, a
/// multipart/form-data body or the query string (all three are seen working against the real service).
struct ExpensifyForm: Sendable {
    private(set) var fields: [String: String] = [:]

    subscript(name: String) -> String? { fields[name] }

    init(fields: [String: String]) { self.fields = fields }

    init(_ request: SimRequest) {
        var result: [String: String] = [:]
        // Query parameters come first, as a servlet's getParameter() gives them precedence.
        for (name, value) in request.queryItems where result[name] == nil { result[name] = value }
        let contentType = request.headers["content-type"] ?? ""
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            for (name, value) in ExpensifyForm.multipartFields(request.body, contentType: contentType) where result[name] == nil {
                result[name] = value
            }
        } else if !request.body.isEmpty {
            for (name, value) in request.formFields where result[name] == nil { result[name] = value }
        }
        fields = result
    }

    static func boundary(from contentType: String) -> String? {
        for part in contentType.split(separator: ";") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix("boundary=") else { continue }
            var value = String(trimmed.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Parses `multipart/form-data` (RFC 7578): each part's `name` and its text content.
    static func multipartFields(_ body: Data, contentType: String) -> [(String, String)] {
        guard let boundary = boundary(from: contentType) else { return [] }
        let bytes = [UInt8](body)
        let delimiter = [UInt8]("--\(boundary)".utf8)
        var positions: [Int] = []
        var i = 0
        while i + delimiter.count <= bytes.count {
            if bytes[i] == delimiter[0] && Array(bytes[i..<(i + delimiter.count)]) == delimiter {
                positions.append(i)
                i += delimiter.count
            } else {
                i += 1
            }
        }
        var result: [(String, String)] = []
        for (n, start) in positions.enumerated() where n + 1 < positions.count {
            var partStart = start + delimiter.count
            // Skip the line break after the delimiter.
            if partStart < bytes.count, bytes[partStart] == 0x0D { partStart += 1 }
            if partStart < bytes.count, bytes[partStart] == 0x0A { partStart += 1 }
            var partEnd = positions[n + 1]
            // Drop the line break before the next delimiter.
            if partEnd > partStart, bytes[partEnd - 1] == 0x0A { partEnd -= 1 }
            if partEnd > partStart, bytes[partEnd - 1] == 0x0D { partEnd -= 1 }
            guard partStart <= partEnd else { continue }
            let part = Array(bytes[partStart..<partEnd])
            // Headers end at the first empty line.
            var headerEnd = -1
            var contentStart = 0
            var j = 0
            while j < part.count {
                if j + 3 < part.count, part[j] == 0x0D, part[j + 1] == 0x0A, part[j + 2] == 0x0D, part[j + 3] == 0x0A {
                    headerEnd = j
                    contentStart = j + 4
                    break
                }
                if j + 1 < part.count, part[j] == 0x0A, part[j + 1] == 0x0A {
                    headerEnd = j
                    contentStart = j + 2
                    break
                }
                j += 1
            }
            guard headerEnd >= 0 else { continue }
            let headers = String(decoding: part[0..<headerEnd], as: UTF8.self)
            guard let name = dispositionName(headers) else { continue }
            result.append((name, String(decoding: part[contentStart...], as: UTF8.self)))
        }
        return result
    }

    private static func dispositionName(_ headers: String) -> String? {
        for line in headers.components(separatedBy: .newlines) where line.lowercased().hasPrefix("content-disposition:") {
            for param in line.split(separator: ";") {
                let trimmed = param.trimmingCharacters(in: .whitespaces)
                guard trimmed.lowercased().hasPrefix("name=") else { continue }
                var value = String(trimmed.dropFirst(5))
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value
            }
        }
        return nil
    }
}
