package armor.tokenizer;

import java.util.Collection;
import java.util.Map;

/**
 * {@code json.dumps(value, ensure_ascii=False, indent=indent)} as Python writes it, which is what the
 * {@code tojson} filter of Hugging Face's chat-template environment produces: ", " and ": " separators
 * without indent, "," and newlines with it.
 */
final class PythonJson {
    private PythonJson() {}

    static String dumps(Object value, Integer indent) {
        StringBuilder out = new StringBuilder();
        write(value, indent, 0, out);
        return out.toString();
    }

    private static void write(Object v, Integer indent, int depth, StringBuilder out) {
        switch (v) {
            case null -> out.append("null");
            case String s -> quote(s, out);
            case Boolean b -> out.append(b ? "true" : "false");
            case Double d -> out.append(pythonFloat(d));
            case Float f -> out.append(pythonFloat(f.doubleValue()));
            case Number n -> out.append(n);
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) out.append(indent == null ? ", " : ",");
                    first = false;
                    newline(indent, depth + 1, out);
                    quote(String.valueOf(e.getKey()), out);
                    out.append(": ");
                    write(e.getValue(), indent, depth + 1, out);
                }
                newline(indent, depth, out);
                out.append('}');
            }
            case Collection<?> list -> writeList(list.toArray(), indent, depth, out);
            case Object[] array -> writeList(array, indent, depth, out);
            default -> quote(v.toString(), out);
        }
    }

    private static void writeList(Object[] items, Integer indent, int depth, StringBuilder out) {
        if (items.length == 0) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < items.length; i++) {
            if (i > 0) out.append(indent == null ? ", " : ",");
            newline(indent, depth + 1, out);
            write(items[i], indent, depth + 1, out);
        }
        newline(indent, depth, out);
        out.append(']');
    }

    private static void newline(Integer indent, int depth, StringBuilder out) {
        if (indent == null) return;
        out.append('\n');
        out.append(" ".repeat(indent * depth));
    }

    private static String pythonFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == Math.rint(d) && Math.abs(d) < 1e16) return String.format("%.1f", d);
        return Double.toString(d);
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }
}
