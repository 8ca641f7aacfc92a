import ConnectorCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends one request and returns the server's answer. Implementations do no retries, no logging and no
/// auth: that policy lives in `HTTPClient`. A non-2xx status is returned as a response; only failures to get
/// any answer throw (`http.network`, transient).
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// The live transport on `URLSession` (libcurl on Linux).
public struct URLSessionTransport: HTTPTransport {
    private let session: URLSession

    /// A transport with its own ephemeral session: no cookies, no cache, no stored credentials.
    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(configuration: configuration)
    }

    public init(session: URLSession) { self.session = session }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = request.timeout
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if request.method == "POST", request.headers.keys.first(where: { $0.lowercased() == "expect" }) == nil {
            // libcurl adds `Expect: 100-continue` to larger POST bodies, which some servers (Expensify among
            // them) mishandle; an empty `Expect:` suppresses it (expensify-api.md §1.1).
            urlRequest.setValue("", forHTTPHeaderField: "Expect")
        }
        urlRequest.httpBody = request.body

        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch let error as URLError {
            if error.code == .cancelled || Task.isCancelled { throw CancellationError() }
            throw ConnectorError(
                "http.network", "No answer from \(request.url.host ?? "the server") (URLError \(error.code.rawValue)).",
                context: ["http.method": request.method, "http.host": request.url.host ?? ""], isTransient: true)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw ConnectorError(
                "http.network", "No answer from \(request.url.host ?? "the server").",
                context: ["http.method": request.method, "http.host": request.url.host ?? ""], isTransient: true)
        }
        guard let http = response as? HTTPURLResponse else {
            throw ConnectorError("http.network", "The answer from \(request.url.host ?? "the server") was not HTTP.",
                                 context: ["http.host": request.url.host ?? ""], isTransient: true)
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headers[String(describing: key).lowercased()] = String(describing: value)
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: data)
    }
}
