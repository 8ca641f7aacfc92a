import Foundation

/// WSDL documents (GET on a page or codeunit URL) and the disco list (`GET …/WS/{Company}/services`).
enum NAVSOAPWSDL {
    static let xsd = "http://www.w3.org/2001/XMLSchema"
    static let wsdl = "http://schemas.xmlsoap.org/wsdl/"
    static let soapBinding = "http://schemas.xmlsoap.org/wsdl/soap/"

    /// The WSDL of a page service: types `{Svc}`, `{Svc}_List`, `{Svc}_Fields`, `{Svc}_Filter`, option enumerations,
    /// the part's `{Item}` and `{Item}_List`, one element pair per operation, messages, port type, binding, service.
    static func page(_ page: NAVSOAPPage, location: String) -> String {
        let svc = page.service
        var w = SOAPXMLWriter()
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        w.open(
            "definitions",
            [
                ("xmlns", wsdl), ("xmlns:tns", page.namespace), ("targetNamespace", page.namespace),
                ("xmlns:xsd", xsd), ("xmlns:soap", soapBinding),
            ])
        w.open("types")
        w.open("xsd:schema", [("elementFormDefault", "qualified"), ("targetNamespace", page.namespace)])

        // Option enumerations, once per field name.
        var optionTypes: [String: [String]] = [:]
        var optionOrder: [String] = []
        for f in page.fields + (page.part?.fields ?? []) {
            if case .option(let captions) = f.type, optionTypes[f.name] == nil {
                optionTypes[f.name] = captions
                optionOrder.append(f.name)
            }
        }
        for name in optionOrder {
            w.open("xsd:simpleType", [("name", name)])
            w.open("xsd:restriction", [("base", "xsd:string")])
            for caption in optionTypes[name] ?? [] { w.empty("xsd:enumeration", [("value", SOAPOptionName.xml(caption))]) }
            w.close("xsd:restriction")
            w.close("xsd:simpleType")
        }
        func fieldElements(_ fields: [SOAPPageField]) {
            w.empty("xsd:element", [("minOccurs", "0"), ("maxOccurs", "1"), ("name", "Key"), ("type", "xsd:string")])
            for f in fields {
                let type: String
                if case .option = f.type { type = "tns:" + f.name } else { type = "xsd:" + f.type.xsdType }
                w.empty("xsd:element", [("minOccurs", "0"), ("maxOccurs", "1"), ("name", f.name), ("type", type)])
            }
        }
        if let part = page.part {
            w.open("xsd:complexType", [("name", part.itemName)])
            w.open("xsd:sequence")
            fieldElements(part.fields)
            w.close("xsd:sequence")
            w.close("xsd:complexType")
            list(&w, part.itemName)
        }
        w.open("xsd:complexType", [("name", svc)])
        w.open("xsd:sequence")
        fieldElements(page.fields)
        if let part = page.part {
            w.empty(
                "xsd:element", [("minOccurs", "0"), ("maxOccurs", "1"), ("name", part.name), ("type", "tns:\(part.itemName)_List")])
        }
        w.close("xsd:sequence")
        w.close("xsd:complexType")
        list(&w, svc)
        w.open("xsd:simpleType", [("name", svc + "_Fields")])
        w.open("xsd:restriction", [("base", "xsd:string")])
        for f in page.fields { w.empty("xsd:enumeration", [("value", f.name)]) }
        w.close("xsd:restriction")
        w.close("xsd:simpleType")
        w.open("xsd:complexType", [("name", svc + "_Filter")])
        w.open("xsd:sequence")
        w.empty("xsd:element", [("minOccurs", "1"), ("maxOccurs", "1"), ("name", "Field"), ("type", "tns:\(svc)_Fields")])
        w.empty("xsd:element", [("minOccurs", "1"), ("maxOccurs", "1"), ("name", "Criteria"), ("type", "xsd:string")])
        w.close("xsd:sequence")
        w.close("xsd:complexType")

        for op in page.operations {
            let (request, result) = operationElements(page, op)
            element(&w, op, request)
            element(&w, op + "_Result", result)
        }
        w.close("xsd:schema")
        w.close("types")
        messagesAndBinding(&w, service: svc, namespace: page.namespace, operations: page.operations, location: location, prefix: "page")
        w.close("definitions")
        return w.out
    }

    /// Request and result parameters of one page operation: (name, type, minOccurs, maxOccurs).
    private static func operationElements(_ page: NAVSOAPPage, _ op: String) -> ([Param], [Param]) {
        let svc = page.service
        let batch: [Param] = page.journal ? [Param("CurrentJnlBatchName", "xsd:string", min: page.service == "ExpenseJournal" ? 0 : 1)] : []
        let key = [Param("Key", "xsd:string")]
        switch op {
        case "Read":
            let types = page.readKeys.map { name -> Param in
                let f = page.field(name)
                return Param(name, f.map { "xsd:" + $0.type.xsdType } ?? (name == "Line_No" ? "xsd:int" : "xsd:string"))
            }
            return (batch + types, [Param(svc, "tns:" + svc, min: 0)])
        case "ReadByRecId":
            return (batch + [Param("recId", "xsd:string")], [Param(svc, "tns:" + svc, min: 0)])
        case "ReadMultiple":
            return (
                batch + [
                    Param("filter", "tns:\(svc)_Filter", min: 0, max: "unbounded"), Param("bookmarkKey", "xsd:string", min: 0),
                    Param("setSize", "xsd:int"),
                ], [Param("ReadMultiple_Result", "tns:\(svc)_List", min: 0)]
            )
        case "IsUpdated": return (batch + key, [Param("IsUpdated_Result", "xsd:boolean")])
        case "GetRecIdFromKey": return (batch + key, [Param("GetRecIdFromKey_Result", "xsd:string")])
        case "Create", "Update": return (batch + [Param(svc, "tns:" + svc)], [Param(svc, "tns:" + svc)])
        case "CreateMultiple", "UpdateMultiple":
            return (batch + [Param(svc + "_List", "tns:\(svc)_List")], [Param(svc + "_List", "tns:\(svc)_List")])
        default:  // Delete, Delete_{Part}
            return (batch + key, [Param(op + "_Result", "xsd:boolean")])
        }
    }

    private struct Param {
        var name: String
        var type: String
        var min: Int
        var max: String
        init(_ name: String, _ type: String, min: Int = 1, max: String = "1") {
            self.name = name
            self.type = type
            self.min = min
            self.max = max
        }
    }

    private static func list(_ w: inout SOAPXMLWriter, _ item: String) {
        w.open("xsd:complexType", [("name", item + "_List")])
        w.open("xsd:sequence")
        w.empty("xsd:element", [("minOccurs", "1"), ("maxOccurs", "unbounded"), ("name", item), ("type", "tns:" + item)])
        w.close("xsd:sequence")
        w.close("xsd:complexType")
    }

    private static func element(_ w: inout SOAPXMLWriter, _ name: String, _ params: [Param]) {
        w.open("xsd:element", [("name", name)])
        w.open("xsd:complexType")
        w.open("xsd:sequence")
        for p in params {
            w.empty("xsd:element", [("minOccurs", String(p.min)), ("maxOccurs", p.max), ("name", p.name), ("type", p.type)])
        }
        w.close("xsd:sequence")
        w.close("xsd:complexType")
        w.close("xsd:element")
    }

    private static func messagesAndBinding(
        _ w: inout SOAPXMLWriter, service: String, namespace: String, operations: [String], location: String, prefix: String
    ) {
        for op in operations {
            w.open("message", [("name", op)])
            w.empty("part", [("name", "parameters"), ("element", "tns:" + op)])
            w.close("message")
            w.open("message", [("name", op + "_Result")])
            w.empty("part", [("name", "parameters"), ("element", "tns:\(op)_Result")])
            w.close("message")
        }
        w.open("portType", [("name", service + "_Port")])
        for op in operations {
            w.open("operation", [("name", op)])
            w.empty("input", [("name", op), ("message", "tns:" + op)])
            w.empty("output", [("name", op + "_Result"), ("message", "tns:\(op)_Result")])
            w.close("operation")
        }
        w.close("portType")
        w.open("binding", [("name", service + "_Binding"), ("type", "tns:\(service)_Port")])
        w.empty("binding", [("transport", "http://schemas.xmlsoap.org/soap/http"), ("xmlns", soapBinding)])
        for op in operations {
            w.open("operation", [("name", op)])
            w.empty("operation", [("soapAction", "\(namespace):\(op)"), ("style", "document"), ("xmlns", soapBinding)])
            w.open("input", [("name", op)])
            w.empty("body", [("use", "literal"), ("xmlns", soapBinding)])
            w.close("input")
            w.open("output", [("name", op + "_Result")])
            w.empty("body", [("use", "literal"), ("xmlns", soapBinding)])
            w.close("output")
            w.close("operation")
        }
        w.close("binding")
        w.open("service", [("name", service + "_Service")])
        w.open("port", [("name", service + "_Port"), ("binding", "tns:\(service)_Binding")])
        w.empty("address", [("location", location), ("xmlns", soapBinding)])
        w.close("port")
        w.close("service")
    }

    /// The WSDL of a codeunit service: one request element per method, `{Method}_Result` with `return_value`.
    static func codeunit(_ codeunit: NAVSOAPCodeunit, location: String) -> String {
        var w = SOAPXMLWriter()
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        w.open(
            "definitions",
            [
                ("xmlns", wsdl), ("xmlns:tns", codeunit.namespace), ("targetNamespace", codeunit.namespace),
                ("xmlns:xsd", xsd), ("xmlns:soap", soapBinding),
            ])
        w.open("types")
        w.open("xsd:schema", [("elementFormDefault", "qualified"), ("targetNamespace", codeunit.namespace)])
        for m in codeunit.methods {
            element(&w, m.name, m.parameters.map { Param($0.0, "xsd:" + $0.1.xsdType) })
            element(&w, m.name + "_Result", [Param("return_value", "xsd:" + m.returns.xsdType)])
        }
        w.close("xsd:schema")
        w.close("types")
        messagesAndBinding(
            &w, service: codeunit.service, namespace: codeunit.namespace, operations: codeunit.methods.map(\.name),
            location: location, prefix: "codeunit")
        w.close("definitions")
        return w.out
    }

    /// `<discovery>` with one `contractRef` per published service of the company.
    static func disco(companyURL: String) -> String {
        var w = SOAPXMLWriter()
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
        w.open("discovery", [("xmlns", "http://schemas.xmlsoap.org/disco/")])
        var refs: [String] = NAVSOAPPages.all.map { companyURL + "/Page/" + $0.service }
        refs += NAVSOAPCodeunit.all.map { companyURL + "/Codeunit/" + $0.service }
        for ref in refs {
            w.empty("contractRef", [("ref", ref), ("docRef", ref), ("xmlns", "http://schemas.xmlsoap.org/disco/scl/")])
        }
        w.close("discovery")
        return w.out
    }
}
