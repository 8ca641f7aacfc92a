import ConnectorCore
import Foundation
import NAVSOAP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// NAV SOAP benchmark (scripts/bench-navsoap.sh): reading a large ReadMultiple page through SafeXML and the decoder,
// writing Create envelopes, and the cost of refusing hostile documents. Prints one line per case.
//
//   ml-navsoap-bench [--records 10000] [--envelopes 10000]

func argument(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}

func peakMB() -> Double {
    var usage = rusage()
    #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576
    #endif
}

func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let records = argument("--records", 10_000)
let envelopes = argument("--envelopes", 10_000)

// 1. A ReadMultiple page of `records` G/L entries (13 fields each, like page 20 with dimensions).
var page = "<Soap:Envelope xmlns:Soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><Soap:Body>"
page += "<ReadMultiple_Result xmlns=\"urn:microsoft-dynamics-schemas/page/generalledgerentries\"><ReadMultiple_Result>"
for n in 1...records {
    page += "<GeneralLedgerEntries><Key>12;GwAAAAJ7/0cARQBOAEUAUgBBAEwAAAAAAAeHJwAAAAA=\(n);2346760;</Key><Entry_No>\(n)</Entry_No>"
    page += "<Posting_Date>2018-03-31</Posting_Date><Document_No>EXP-\(n)</Document_No><External_Document_No>RPT-\(n)</External_Document_No>"
    page += "<G_L_Account_No>600130</G_L_Account_No><Description>Taxi airport &amp; back</Description><Amount>\(n).5</Amount>"
    page += "<Global_Dimension_1_Code>010</Global_Dimension_1_Code><Global_Dimension_2_Code>PL-01</Global_Dimension_2_Code>"
    page += "<Source_Code>GENJNL</Source_Code><User_ID>EXPENSEAPI</User_ID><Reversed>false</Reversed></GeneralLedgerEntries>"
}
page += "</ReadMultiple_Result></ReadMultiple_Result></Soap:Body></Soap:Envelope>"
let data = Data(page.utf8)
let before = peakMB()
var decoded = 0
let readSeconds = try time {
    let result = try SOAPResponseDecoder.result(
        data, operation: "ReadMultiple", namespace: SOAPEnvelope.pageNamespace("GeneralLedgerEntries"), service: "GeneralLedgerEntries")
    decoded = SOAPResponseDecoder.readMultipleRecords(result, service: "GeneralLedgerEntries").count
}
precondition(decoded == records)
let mb = Double(data.count) / 1_048_576
print(
    String(
        format: "read: %d records, %.1f MB page: %.3f s (%.0f records/s, %.1f MB/s), peak memory +%.0f MB",
        records, mb, readSeconds, Double(records) / readSeconds, mb / readSeconds, peakMB() - before))

// 2. Create envelopes: a purchase invoice with 10 lines and shortcut dimensions.
var header = NAVRecord([
    "Buy_from_Vendor_No": "EMP-0001", "Document_Date": "2018-03-31", "Posting_Date": "2018-03-31", "Vendor_Invoice_No": "EXP-2018-0042",
])
let line = NAVRecord([
    "Type": "G_L_Account", "No": "600130", "Description": "Taxi airport & back", "Quantity": "1", "Direct_Unit_Cost": "45.5",
    "Shortcut_Dimension_1_Code": "010", "Shortcut_Dimension_2_Code": "PL-01", "ShortcutDimCode_x005B_3_x005D_": "001",
])
header.append(part: "PurchLines", item: "Purch_Invoice_Line", records: Array(repeating: line, count: 10))
var bytes = 0
let writeSeconds = try time {
    for _ in 0..<envelopes { bytes += try SOAPEnvelope.create(service: "PurchaseInvoice", record: header).body.count }
}
print(
    String(
        format: "write: %d Create envelopes (10 lines each, %.1f KB): %.3f s (%.0f envelopes/s)", envelopes,
        Double(bytes) / Double(envelopes) / 1024, writeSeconds, Double(envelopes) / writeSeconds))

// 3. Refusals.
var bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
for i in 1...9 { bomb += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i == 1 ? "" : String(i - 1));", count: 10) + "\">" }
bomb += "]><lolz>&lol9;</lolz>"
let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
let big = Data(count: 64 * 1024 * 1024 + 1)
for (name, input) in [("billion laughs", Data(bomb.utf8)), ("10,000-deep nesting", Data(deep.utf8)), ("64 MB + 1 byte", big)] {
    var code = "parsed"
    let seconds = time {
        do { _ = try SafeXML.parse(input) } catch let error as ConnectorError { code = error.code } catch { code = "\(error)" }
    }
    print(String(format: "refuse %@: %@ in %.4f s", name, code, seconds))
}
