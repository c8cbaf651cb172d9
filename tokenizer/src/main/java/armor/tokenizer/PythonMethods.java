package armor.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python {@code str} and {@code dict} methods that chat templates call ({@code content.strip()},
 * {@code content.startswith('<tool_response>')}, {@code tool.items()}, ...), plugged into Jinjava's expression
 * resolver chain ahead of its own Java-bean method calls, so they keep Python's meaning.
 */
final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (method == null) return null;
        Object[] args = params == null ? new Object[0] : params;
        Object result = switch (base) {
            case String s -> stringMethod(s, method.toString(), args);
            case Map<?, ?> m -> mapMethod(m, method.toString(), args);
            case null, default -> NOT_HANDLED;
        };
        if (result == NOT_HANDLED) return null;
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String s, String name, Object[] a) {
        return switch (name) {
            case "startswith" -> anyOf(a[0], p -> s.startsWith(p));
            case "endswith" -> anyOf(a[0], p -> s.endsWith(p));
            case "strip" -> rstrip(lstrip(s, chars(a)), chars(a));
            case "lstrip" -> lstrip(s, chars(a));
            case "rstrip" -> rstrip(s, chars(a));
            case "split" -> split(s, a.length > 0 ? (String) a[0] : null, a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                    + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> s.replace(String.valueOf(a[0]), String.valueOf(a[1]));
            case "find" -> (long) s.indexOf(String.valueOf(a[0]));
            case "count" -> (long) count(s, String.valueOf(a[0]));
            case "join" -> join(s, a[0]);
            default -> NOT_HANDLED;
        };
    }

    private static Object mapMethod(Map<?, ?> m, String name, Object[] a) {
        return switch (name) {
            case "items" -> {
                List<List<Object>> items = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) items.add(java.util.Arrays.asList(e.getKey(), e.getValue()));
                yield items;
            }
            case "keys" -> new ArrayList<>(m.keySet());
            case "values" -> new ArrayList<>(m.values());
            case "get" -> m.containsKey(a[0]) ? m.get(a[0]) : (a.length > 1 ? a[1] : null);
            default -> NOT_HANDLED;
        };
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection<?> c) {
            for (Object p : c) if (test.test(String.valueOf(p))) return true;
            return false;
        }
        return test.test(String.valueOf(prefixes));
    }

    /** The characters to strip, or null for Python's default (whitespace). */
    private static String chars(Object[] a) {
        return a.length > 0 && a[0] != null ? a[0].toString() : null;
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strippable(s.charAt(j - 1), chars)) j--;
        return s.substring(0, j);
    }

    private static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
                if (i == s.length()) break;
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < s.length() && !Character.isWhitespace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("split: empty separator");
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    private static String join(String separator, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) for (Object o : it) parts.add(String.valueOf(o));
        else throw new IllegalArgumentException("join: expected a list, got " + items);
        return String.join(separator, parts);
    }

    // This resolver only adds methods; properties are left to the rest of the chain.
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
