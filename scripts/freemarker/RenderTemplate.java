// Renders a FreeMarker template against a JSON data model with real Apache FreeMarker (2.3.31).
//
// Usage (Java 17 single-file source mode, no build step):
//   java -cp /usr/share/java/freemarker.jar scripts/freemarker/RenderTemplate.java <template.ftl> <model.json>
//
// The model file is a JSON object that becomes the template's root, e.g. {"reports": [...], "addHeader": true}.
// JSON is read with the tiny parser below (no other jars): objects -> LinkedHashMap, arrays -> ArrayList,
// strings -> String, integers -> Long (BigDecimal when they do not fit), other numbers -> BigDecimal,
// booleans -> Boolean, null -> absent (the key is left out of its object; a null array item stays a
// FreeMarker "missing" value).
//
// FreeMarker is configured the way a server would run it: incompatible improvements 2.3.31, UTF-8,
// locale en_US (so a bare ${number} would get grouping separators - templates must use ?c),
// RETHROW_HANDLER (no half-rendered output on error), no `new` built-in. The rendered text goes to stdout
// as UTF-8, unchanged. Any parse/template/model error prints a message to stderr and exits non-zero
// (2 for usage/IO/JSON errors, 1 for template errors).

import freemarker.core.TemplateClassResolver;
import freemarker.template.Configuration;
import freemarker.template.Template;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;

public class RenderTemplate {

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: java -cp /usr/share/java/freemarker.jar RenderTemplate.java <template.ftl> <model.json>");
            System.exit(2);
        }
        Path templatePath = Path.of(args[0]);
        Path modelPath = Path.of(args[1]);

        String templateText;
        Object model;
        try {
            templateText = Files.readString(templatePath, StandardCharsets.UTF_8);
        } catch (IOException e) {
            fail(2, "cannot read template " + templatePath + ": " + e);
            return;
        }
        try {
            model = new JsonParser(Files.readString(modelPath, StandardCharsets.UTF_8)).parseDocument();
        } catch (IOException e) {
            fail(2, "cannot read model " + modelPath + ": " + e);
            return;
        } catch (JsonException e) {
            fail(2, "invalid JSON in model " + modelPath + ": " + e.getMessage());
            return;
        }
        if (!(model instanceof Map)) {
            fail(2, "the model root must be a JSON object, e.g. {\"reports\": [], \"addHeader\": true}");
            return;
        }

        Configuration cfg = new Configuration(Configuration.VERSION_2_3_31);
        cfg.setDefaultEncoding("UTF-8");
        cfg.setOutputEncoding("UTF-8");
        cfg.setLocale(Locale.US);
        cfg.setTimeZone(TimeZone.getTimeZone("UTC"));
        cfg.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
        cfg.setLogTemplateExceptions(false);
        cfg.setWrapUncheckedExceptions(true);
        cfg.setFallbackOnNullLoopVariable(false);
        cfg.setNewBuiltinClassResolver(TemplateClassResolver.ALLOWS_NOTHING_RESOLVER);

        String output;
        try {
            Template template = new Template(templatePath.getFileName().toString(),
                    new StringReader(templateText), cfg);
            StringWriter buffer = new StringWriter();
            template.process(model, buffer);
            output = buffer.toString();
        } catch (TemplateException e) {
            fail(1, "template error: " + e.getMessage());
            return;
        } catch (IOException e) { // freemarker.core.ParseException is an IOException
            fail(1, "template parse error: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            fail(1, "template error: " + e);
            return;
        }

        try {
            Writer out = new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
            out.write(output);
            out.flush();
        } catch (IOException e) {
            fail(2, "cannot write output: " + e);
        }
    }

    private static void fail(int code, String message) {
        System.err.println("RenderTemplate: " + message);
        System.err.flush();
        System.exit(code);
    }

    // MARK: - Tiny JSON parser

    static final class JsonException extends Exception {
        JsonException(String message) { super(message); }
    }

    static final class JsonParser {
        private final String s;
        private int i = 0;

        JsonParser(String text) {
            // Tolerate a UTF-8 byte order mark.
            this.s = text.startsWith("\uFEFF") ? text.substring(1) : text;
        }

        Object parseDocument() throws JsonException {
            skipWhitespace();
            Object value = parseValue(0);
            skipWhitespace();
            if (i != s.length()) throw error("unexpected trailing characters");
            return value;
        }

        private JsonException error(String what) {
            int line = 1, col = 1;
            for (int k = 0; k < Math.min(i, s.length()); k++) {
                if (s.charAt(k) == '\n') { line++; col = 1; } else { col++; }
            }
            return new JsonException(what + " at line " + line + ", column " + col);
        }

        private void skipWhitespace() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++; else break;
            }
        }

        private Object parseValue(int depth) throws JsonException {
            if (depth > 512) throw error("nesting too deep");
            if (i >= s.length()) throw error("unexpected end of input");
            char c = s.charAt(i);
            switch (c) {
                case '{': return parseObject(depth);
                case '[': return parseArray(depth);
                case '"': return parseString();
                case 't': literal("true"); return Boolean.TRUE;
                case 'f': literal("false"); return Boolean.FALSE;
                case 'n': literal("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return parseNumber();
                    throw error("unexpected character '" + c + "'");
            }
        }

        private Map<String, Object> parseObject(int depth) throws JsonException {
            Map<String, Object> map = new LinkedHashMap<>();
            i++; // {
            skipWhitespace();
            if (peek() == '}') { i++; return map; }
            while (true) {
                skipWhitespace();
                if (peek() != '"') throw error("expected a string key");
                String key = parseString();
                skipWhitespace();
                if (peek() != ':') throw error("expected ':'");
                i++;
                skipWhitespace();
                Object value = parseValue(depth + 1);
                if (map.containsKey(key)) throw error("duplicate key \"" + key + "\"");
                if (value != null) map.put(key, value); // null -> absent
                skipWhitespace();
                char c = peek();
                if (c == ',') { i++; continue; }
                if (c == '}') { i++; return map; }
                throw error("expected ',' or '}'");
            }
        }

        private List<Object> parseArray(int depth) throws JsonException {
            List<Object> list = new ArrayList<>();
            i++; // [
            skipWhitespace();
            if (peek() == ']') { i++; return list; }
            while (true) {
                skipWhitespace();
                list.add(parseValue(depth + 1));
                skipWhitespace();
                char c = peek();
                if (c == ',') { i++; continue; }
                if (c == ']') { i++; return list; }
                throw error("expected ',' or ']'");
            }
        }

        private char peek() throws JsonException {
            if (i >= s.length()) throw error("unexpected end of input");
            return s.charAt(i);
        }

        private void literal(String word) throws JsonException {
            if (!s.startsWith(word, i)) throw error("invalid literal");
            i += word.length();
        }

        private String parseString() throws JsonException {
            i++; // opening quote
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw error("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return sb.toString();
                if (c < 0x20) { i--; throw error("unescaped control character in string"); }
                if (c != '\\') { sb.append(c); continue; }
                if (i >= s.length()) throw error("unterminated escape");
                char e = s.charAt(i++);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u': {
                        if (i + 4 > s.length()) throw error("short \\u escape");
                        int code = 0;
                        for (int k = 0; k < 4; k++) {
                            int d = Character.digit(s.charAt(i + k), 16);
                            if (d < 0) throw error("invalid \\u escape");
                            code = code * 16 + d;
                        }
                        i += 4;
                        sb.append((char) code); // surrogate pairs arrive as two escapes and recombine
                        break;
                    }
                    default:
                        i--;
                        throw error("invalid escape '\\" + e + "'");
                }
            }
        }

        private Object parseNumber() throws JsonException {
            int start = i;
            if (s.charAt(i) == '-') i++;
            int intStart = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == intStart) throw error("invalid number");
            if (i - intStart > 1 && s.charAt(intStart) == '0') throw error("leading zero in number");
            boolean integral = true;
            if (i < s.length() && s.charAt(i) == '.') {
                integral = false;
                i++;
                int fracStart = i;
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
                if (i == fracStart) throw error("invalid number fraction");
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                integral = false;
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
                int expStart = i;
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
                if (i == expStart) throw error("invalid number exponent");
            }
            String text = s.substring(start, i);
            if (integral) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException overflow) {
                    return new BigDecimal(text);
                }
            }
            return new BigDecimal(text);
        }
    }
}
