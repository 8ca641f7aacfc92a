import CCurl

/// libcurl's process-wide setup, done once before the first handle is made.
enum CurlGlobal {
    /// `curl_global_init` once per process, before the first handle (it is reference counted, so Foundation's own
    /// use of libcurl is not disturbed).
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
}
