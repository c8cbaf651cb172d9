package armor.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small parser for the C declarations of a library header like {@code cusparseLt.h}: function prototypes,
 * {@code typedef struct {...} NAME;} with fixed-size fields, {@code typedef enum {...} NAME;} and integer
 * {@code #define}s. It knows just enough C for such headers (no nested structs, unions, bit fields or function
 * pointers) and fails loudly on what it does not understand, so a header that grew new syntax is noticed.
 */
final class CHeader {
    /** A parameter or return type: the base type name (qualifiers dropped) and how many {@code *} follow it. */
    record CType(String base, int pointers) {
        @Override
        public String toString() {
            return base + "*".repeat(pointers);
        }
    }

    record Param(CType type, String name) {}

    record Function(String name, CType returnType, List<Param> params) {}

    /** A struct field: element type, array length (1 for a scalar) and an {@code alignas} (0 when none). */
    record Field(String type, String name, long count, int alignas) {}

    record Struct(String name, List<Field> fields) {}

    final Map<String, Function> functions = new LinkedHashMap<>();
    final Map<String, Struct> structs = new LinkedHashMap<>();
    /** Enum type name to its enumerators and their values, in declaration order. */
    final Map<String, Map<String, Long>> enums = new LinkedHashMap<>();
    final Map<String, Long> defines = new LinkedHashMap<>();
    /** Macros that expand to nothing in declarations (calling-convention markers such as CUSPARSELT_API). */
    private final List<String> ignoredWords;

    private List<String> tokens;
    private int pos;

    private CHeader(List<String> ignoredWords) {
        this.ignoredWords = ignoredWords;
    }

    static CHeader parse(String text, String... ignoredWords) {
        CHeader header = new CHeader(List.of(ignoredWords));
        header.run(text);
        return header;
    }

    private static final Pattern DEFINE = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)\\s+(.+)$");
    private static final Pattern TOKEN = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|[A-Za-z_]\\w*|\\d\\w*|\\S");

    private void run(String text) {
        text = text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", "");
        text = text.replaceAll("\\\\\\n", " "); // line continuations
        StringBuilder code = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.strip().startsWith("#")) {
                Matcher m = DEFINE.matcher(line);
                if (m.matches()) define(m.group(1), m.group(2).strip());
            } else {
                code.append(line).append('\n');
            }
        }
        tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(code);
        while (m.find()) {
            if (!ignoredWords.contains(m.group())) tokens.add(m.group());
        }
        pos = 0;
        int externBlocks = 0;
        while (pos < tokens.size()) {
            String t = tokens.get(pos);
            if (t.equals("extern") && peek(1).startsWith("\"") && peek(2).equals("{")) {
                pos += 3;
                externBlocks++;
            } else if (t.equals("}") && externBlocks > 0) {
                pos++;
                externBlocks--;
            } else if (t.equals("typedef")) {
                typedef();
            } else {
                declaration();
            }
        }
    }

    /** Integer macros, including ones that are arithmetic over earlier integer macros. */
    private void define(String name, String value) {
        String expr = value;
        for (Map.Entry<String, Long> d : defines.entrySet()) {
            expr = expr.replaceAll("\\b" + d.getKey() + "\\b", Long.toString(d.getValue()));
        }
        if (!expr.matches("[\\d\\s()*+-]+")) return; // not an integer expression
        defines.put(name, new Arithmetic(expr).evaluate());
    }

    private String peek(int ahead) {
        return pos + ahead < tokens.size() ? tokens.get(pos + ahead) : "";
    }

    private String next() {
        if (pos >= tokens.size()) throw new IllegalArgumentException("header ends inside a declaration");
        return tokens.get(pos++);
    }

    private void expect(String token) {
        String t = next();
        if (!t.equals(token)) throw new IllegalArgumentException("expected '" + token + "' but found '" + t + "' near " + context());
    }

    private String context() {
        return String.join(" ", tokens.subList(Math.max(0, pos - 8), Math.min(tokens.size(), pos + 8)));
    }

    private void typedef() {
        expect("typedef");
        String kind = next();
        if (kind.equals("struct") || kind.equals("enum")) {
            if (!peek(0).equals("{")) next(); // optional tag
            expect("{");
            List<String> body = new ArrayList<>();
            for (int depth = 1; ; ) {
                String t = next();
                if (t.equals("{")) depth++;
                if (t.equals("}") && --depth == 0) break;
                body.add(t);
            }
            String name = next();
            expect(";");
            if (kind.equals("struct")) structs.put(name, new Struct(name, fields(name, body)));
            else enums.put(name, enumerators(name, body));
        } else {
            while (!next().equals(";")) {
                // plain alias (typedef int foo_t;): the checker does not need these
            }
        }
    }

    private List<Field> fields(String struct, List<String> body) {
        List<Field> fields = new ArrayList<>();
        for (List<String> decl : split(body, ";")) {
            if (decl.isEmpty()) continue;
            int i = 0;
            int alignas = 0;
            if (decl.get(0).equals("alignas") || decl.get(0).equals("_Alignas")) {
                alignas = Integer.parseInt(decl.get(2));
                i = 4; // alignas ( N )
            }
            List<String> rest = decl.subList(i, decl.size());
            int bracket = rest.indexOf("[");
            long count = 1;
            if (bracket >= 0) {
                count = evaluate(String.join(" ", rest.subList(bracket + 1, rest.indexOf("]"))));
                rest = rest.subList(0, bracket);
            }
            if (rest.contains("*") || rest.contains("(") || rest.contains(":")) {
                throw new IllegalArgumentException("struct " + struct + ": unsupported field " + decl);
            }
            String name = rest.getLast();
            String type = String.join(" ", rest.subList(0, rest.size() - 1));
            fields.add(new Field(type, name, count, alignas));
        }
        return fields;
    }

    private Map<String, Long> enumerators(String name, List<String> body) {
        Map<String, Long> values = new LinkedHashMap<>();
        long next = 0;
        for (List<String> item : split(body, ",")) {
            if (item.isEmpty()) continue; // trailing comma
            long value = next;
            if (item.size() > 1) {
                if (!item.get(1).equals("=")) throw new IllegalArgumentException("enum " + name + ": cannot read " + item);
                String expr = String.join(" ", item.subList(2, item.size()));
                value = values.containsKey(expr) ? values.get(expr) : evaluate(expr);
            }
            values.put(item.get(0), value);
            next = value + 1;
        }
        return values;
    }

    private long evaluate(String expr) {
        for (Map.Entry<String, Long> d : defines.entrySet()) {
            expr = expr.replaceAll("\\b" + d.getKey() + "\\b", Long.toString(d.getValue()));
        }
        return new Arithmetic(expr.replaceAll("(\\d+)[uUlL]+\\b", "$1")).evaluate();
    }

    private void declaration() {
        List<String> decl = new ArrayList<>();
        for (String t = next(); !t.equals(";"); t = next()) decl.add(t);
        int open = decl.indexOf("(");
        if (open < 1 || !decl.getLast().equals(")")) {
            throw new IllegalArgumentException("cannot read declaration: " + String.join(" ", decl));
        }
        String name = decl.get(open - 1);
        CType returnType = type(decl.subList(0, open - 1));
        List<Param> params = new ArrayList<>();
        List<String> inside = decl.subList(open + 1, decl.size() - 1);
        if (!(inside.isEmpty() || inside.equals(List.of("void")))) {
            for (List<String> p : split(inside, ",")) {
                if (p.contains("(") || p.contains("[")) {
                    throw new IllegalArgumentException(name + ": unsupported parameter " + p);
                }
                params.add(new Param(type(p.subList(0, p.size() - 1)), p.getLast()));
            }
        }
        functions.put(name, new Function(name, returnType, params));
    }

    private static CType type(List<String> words) {
        int pointers = 0;
        List<String> base = new ArrayList<>();
        for (String w : words) {
            if (w.equals("*")) pointers++;
            else if (!w.equals("const") && !w.equals("volatile") && !w.equals("struct") && !w.equals("enum")) base.add(w);
        }
        return new CType(String.join(" ", base), pointers);
    }

    private static List<List<String>> split(List<String> tokens, String separator) {
        List<List<String>> parts = new ArrayList<>();
        List<String> current = new ArrayList<>();
        int depth = 0;
        for (String t : tokens) {
            if (t.equals("(") || t.equals("[") || t.equals("{")) depth++;
            if (t.equals(")") || t.equals("]") || t.equals("}")) depth--;
            if (depth == 0 && t.equals(separator)) {
                parts.add(current);
                current = new ArrayList<>();
            } else {
                current.add(t);
            }
        }
        parts.add(current);
        return parts;
    }

    /** Integer arithmetic with + - * and parentheses, enough for version macros and array sizes. */
    private static final class Arithmetic {
        private final String s;
        private int i;

        Arithmetic(String s) {
            this.s = s.replaceAll("\\s+", "");
        }

        long evaluate() {
            long v = sum();
            if (i != s.length()) throw new IllegalArgumentException("cannot evaluate '" + s + "'");
            return v;
        }

        private long sum() {
            long v = product();
            while (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                char op = s.charAt(i++);
                long w = product();
                v = op == '+' ? v + w : v - w;
            }
            return v;
        }

        private long product() {
            long v = atom();
            while (i < s.length() && s.charAt(i) == '*') {
                i++;
                v *= atom();
            }
            return v;
        }

        private long atom() {
            if (i < s.length() && s.charAt(i) == '(') {
                i++;
                long v = sum();
                if (i >= s.length() || s.charAt(i++) != ')') throw new IllegalArgumentException("unbalanced '" + s + "'");
                return v;
            }
            if (i < s.length() && s.charAt(i) == '-') {
                i++;
                return -atom();
            }
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            if (start == i) throw new IllegalArgumentException("cannot evaluate '" + s + "'");
            return Long.parseLong(s.substring(start, i));
        }
    }
}
