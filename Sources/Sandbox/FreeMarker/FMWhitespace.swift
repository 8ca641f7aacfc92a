import Foundation

/// FreeMarker's post-parse white-space handling (`strip_whitespace` on, plus `<#t>`, `<#lt>`, `<#rt>`,
/// `<#nt>`), ported rule by rule from FreeMarker 2.3's `TextBlock.postParseCleanup` so that the output
/// matches the real engine: lines that hold only FTL tags and comments lose their indentation and line
/// break, and the trim directives strip the white-space of the template line they sit on.
enum FMWhitespace {
    static func isTrimmable(_ c: Unicode.Scalar) -> Bool { c.value <= 0x20 }

    static func isJavaWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20: return true
        case 0xA0, 0x2007, 0x202F: return false
        default: return c.properties.isWhitespace
        }
    }

    private static func trimmable<C: Collection>(_ chars: C) -> Bool where C.Element == Unicode.Scalar {
        chars.allSatisfy(isTrimmable)
    }

    static func cleanup(_ node: FMNode) {
        var i = 0
        while i < node.children.count {
            let child = node.children[i]
            if child.isText { cleanupText(child) } else { cleanup(child) }
            i += 1
        }
        i = 0
        while i < node.children.count {
            if isIgnorable(node.children[i]) {
                node.children.remove(at: i)
                for j in i..<node.children.count { node.children[j].index = j }
            } else {
                i += 1
            }
        }
    }

    // MARK: Tree walking (FreeMarker's "terminal nodes")

    private static func isTraversalLeaf(_ node: FMNode) -> Bool {
        if node.children.isEmpty { return true }
        switch node.kind {
        case .function, .captureAssign: return true
        default: return false
        }
    }

    private static func previousSibling(_ node: FMNode) -> FMNode? {
        guard let parent = node.parent, node.index > 0, node.index - 1 < parent.children.count else { return nil }
        return parent.children[node.index - 1]
    }

    private static func nextSibling(_ node: FMNode) -> FMNode? {
        guard let parent = node.parent, node.index + 1 < parent.children.count else { return nil }
        return parent.children[node.index + 1]
    }

    private static func firstLeaf(_ node: FMNode) -> FMNode {
        var n = node
        while !isTraversalLeaf(n), let first = n.children.first { n = first }
        return n
    }

    private static func lastLeaf(_ node: FMNode) -> FMNode {
        var n = node
        while !isTraversalLeaf(n), let last = n.children.last { n = last }
        return n
    }

    private static func prevTerminal(_ node: FMNode) -> FMNode? {
        if let prev = previousSibling(node) { return lastLeaf(prev) }
        if let parent = node.parent { return prevTerminal(parent) }
        return nil
    }

    private static func nextTerminal(_ node: FMNode) -> FMNode? {
        if let next = nextSibling(node) { return firstLeaf(next) }
        if let parent = node.parent { return nextTerminal(parent) }
        return nil
    }

    // MARK: Element properties

    private static func isNonOutputting(_ node: FMNode?) -> Bool {
        guard let node else { return false }
        switch node.kind {
        case .function, .assign, .setting, .comment: return true
        default: return false
        }
    }

    private static func isTopLevel(_ node: FMNode) -> Bool { node.parent?.isRoot ?? true }

    static func isIgnorable(_ node: FMNode) -> Bool {
        guard node.isText else { return false }
        if node.text.isEmpty { return true }
        guard trimmable(node.text) else { return false }
        let top = isTopLevel(node)
        let prev = previousSibling(node)
        let next = nextSibling(node)
        return ((prev == nil && top) || isNonOutputting(prev)) && ((next == nil && top) || isNonOutputting(next))
    }

    private static func heedsTrailingWhitespace(_ node: FMNode) -> Bool {
        if case .interpolation = node.kind { return true }
        guard node.isText else { return false }
        if isIgnorable(node) { return false }
        for c in node.text {
            if c == "\n" || c == "\r" { return false }
            if !isJavaWhitespace(c) { return true }
        }
        return true
    }

    private static func heedsOpeningWhitespace(_ node: FMNode) -> Bool {
        if case .interpolation = node.kind { return true }
        guard node.isText else { return false }
        if isIgnorable(node) { return false }
        for c in node.text.reversed() {
            if c == "\n" || c == "\r" { return false }
            if !isJavaWhitespace(c) { return true }
        }
        return true
    }

    private static func firstNewLineIndex(_ text: [Unicode.Scalar]) -> Int {
        text.firstIndex { $0 == "\n" || $0 == "\r" } ?? -1
    }

    private static func lastNewLineIndex(_ text: [Unicode.Scalar]) -> Int {
        text.lastIndex { $0 == "\n" || $0 == "\r" } ?? -1
    }

    // MARK: TextBlock.postParseCleanup

    private static func cleanupText(_ node: FMNode) {
        if node.text.isEmpty { return }
        let leftTrimmed = deliberateLeftTrim(node)
        let rightTrimmed = deliberateRightTrim(node)
        if node.text.isEmpty { return }
        if isTopLevel(node) && previousSibling(node) == nil { return }
        let trailing = leftTrimmed ? 0 : trailingCharsToStrip(node)
        let opening = rightTrimmed ? 0 : openingCharsToStrip(node)
        if opening == 0 && trailing == 0 { return }
        let upper = max(opening, node.text.count - trailing)
        node.text = Array(node.text[opening..<upper])
        if opening > 0 {
            node.beginLine += 1
            node.beginsAtLineStart = true
        }
    }

    private static func deliberateLeftTrim(_ node: FMNode) -> Bool {
        var result = false
        var elem = nextTerminal(node)
        while let e = elem, e.beginLine == node.endLine {
            if case .trim(let left, let right) = e.kind {
                if !left && !right { result = true }
                if left {
                    result = true
                    let lastNL = lastNewLineIndex(node.text)
                    if lastNL >= 0 || node.beginsAtLineStart {
                        let firstPart = Array(node.text[0..<(lastNL + 1)])
                        let lastLine = Array(node.text[(lastNL + 1)...])
                        if trimmable(lastLine) {
                            node.text = firstPart
                        } else {
                            var i = 0
                            while i < lastLine.count, isJavaWhitespace(lastLine[i]) { i += 1 }
                            node.text = firstPart + lastLine[i...]
                        }
                    }
                }
            }
            elem = nextTerminal(e)
        }
        return result
    }

    private static func deliberateRightTrim(_ node: FMNode) -> Bool {
        var result = false
        var elem = prevTerminal(node)
        while let e = elem, e.endLine == node.beginLine {
            if case .trim(let left, let right) = e.kind {
                if !left && !right { result = true }
                if right {
                    result = true
                    var firstLineIndex = firstNewLineIndex(node.text) + 1
                    if firstLineIndex == 0 { return false }
                    if node.text.count > firstLineIndex && node.text[firstLineIndex - 1] == "\r" && node.text[firstLineIndex] == "\n" {
                        firstLineIndex += 1
                    }
                    var trailingPart = Array(node.text[firstLineIndex...])
                    let openingPart = Array(node.text[0..<firstLineIndex])
                    if trimmable(openingPart) {
                        node.text = trailingPart
                        node.beginLine += 1
                        node.beginsAtLineStart = true
                    } else {
                        var lastNonWS = openingPart.count - 1
                        while lastNonWS >= 0, isJavaWhitespace(node.text[lastNonWS]) { lastNonWS -= 1 }
                        let printable = Array(node.text[0..<(lastNonWS + 1)])
                        if trimmable(trailingPart) {
                            var trimTrailingPart = true
                            var te = nextTerminal(node)
                            while let t = te, t.beginLine == node.endLine {
                                if heedsOpeningWhitespace(t) { trimTrailingPart = false }
                                if case .trim(let l, _) = t.kind, l {
                                    trimTrailingPart = true
                                    break
                                }
                                te = nextTerminal(t)
                            }
                            if trimTrailingPart { trailingPart = [] }
                        }
                        node.text = printable + trailingPart
                    }
                }
            }
            elem = prevTerminal(e)
        }
        return result
    }

    private static func openingCharsToStrip(_ node: FMNode) -> Int {
        var nl = firstNewLineIndex(node.text)
        if nl == -1 && !node.beginsAtLineStart { return 0 }
        nl += 1
        if node.text.count > nl && nl > 0 && node.text[nl - 1] == "\r" && node.text[nl] == "\n" { nl += 1 }
        guard trimmable(node.text[0..<nl]) else { return 0 }
        var elem = prevTerminal(node)
        while let e = elem, e.endLine == node.beginLine {
            if heedsOpeningWhitespace(e) { return 0 }
            elem = prevTerminal(e)
        }
        return nl
    }

    private static func trailingCharsToStrip(_ node: FMNode) -> Int {
        let lastNL = lastNewLineIndex(node.text)
        if lastNL == -1 && !node.beginsAtLineStart { return 0 }
        guard trimmable(node.text[(lastNL + 1)...]) else { return 0 }
        var elem = nextTerminal(node)
        while let e = elem, e.beginLine == node.endLine {
            if heedsTrailingWhitespace(e) { return 0 }
            elem = nextTerminal(e)
        }
        return node.text.count - (lastNL + 1)
    }
}
