package armor.cuda;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares a jextract-style binding class ({@code NAME$descriptor()} methods, nested struct classes with
 * {@code layout()}, constants as static {@code int} methods) with a parsed header, and lists every difference.
 */
final class BindingCheck {
    /** C scalar types by size in bytes (LP64). */
    private static final Map<String, Integer> SCALARS = Map.ofEntries(
            Map.entry("char", 1), Map.entry("int8_t", 1), Map.entry("uint8_t", 1),
            Map.entry("int16_t", 2), Map.entry("uint16_t", 2),
            Map.entry("int", 4), Map.entry("unsigned int", 4), Map.entry("unsigned", 4),
            Map.entry("int32_t", 4), Map.entry("uint32_t", 4), Map.entry("float", 4),
            Map.entry("int64_t", 8), Map.entry("uint64_t", 8), Map.entry("long long int", 8), Map.entry("long long", 8), Map.entry("size_t", 8), Map.entry("double", 8));
    /** Types cusparseLt.h takes from the CUDA headers it includes: enums (int-sized) and handle pointers. */
    private static final Set<String> EXTERNAL_ENUMS = Set.of("cusparseStatus_t", "cudaDataType", "cudaDataType_t",
            "cusparseOrder_t", "cusparseOperation_t", "libraryPropertyType", "libraryPropertyType_t");
    private static final Set<String> POINTER_TYPEDEFS = Set.of("cudaStream_t", "cublasHandle_t");

    private BindingCheck() {}

    static List<String> mismatches(CHeader header, Class<?> binding) {
        List<String> problems = new ArrayList<>();
        functions(header, binding, problems);
        structs(header, binding, problems);
        constants(header, binding, problems);
        return problems;
    }

    /**
     * For a binding of part of a header: its functions against the header's prototypes of the same names, and each
     * of its constants (static no-argument {@code int} methods) against the header's enumerator or define.
     */
    static List<String> partialMismatches(CHeader header, Class<?> binding) {
        List<String> problems = new ArrayList<>();
        functions(header, binding, problems);
        for (Method m : binding.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0 || m.getReturnType() != int.class) continue;
            Long expected = header.defines.get(m.getName());
            for (Map<String, Long> values : header.enums.values()) if (expected == null) expected = values.get(m.getName());
            if (expected == null) {
                problems.add("binding constant " + m.getName() + " is not in the header");
            } else {
                checkConstant(binding, "constant " + m.getName(), m.getName(), expected, problems);
            }
        }
        return problems;
    }

    private static void functions(CHeader header, Class<?> binding, List<String> problems) {
        Set<String> bound = new TreeSet<>();
        for (Method m : binding.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && m.getName().endsWith("$descriptor")) {
                bound.add(m.getName().substring(0, m.getName().length() - "$descriptor".length()));
            }
        }
        for (String name : bound) {
            if (!header.functions.containsKey(name)) problems.add("bound function " + name + " is not in the header");
        }
        for (CHeader.Function f : header.functions.values()) {
            if (!bound.contains(f.name())) {
                problems.add("header function " + f.name() + " is not bound");
                continue;
            }
            FunctionDescriptor d = invoke(binding, f.name() + "$descriptor", FunctionDescriptor.class);
            String returnProblem = compare(f.returnType(), d.returnLayout().orElse(null), header);
            if (returnProblem != null) problems.add(f.name() + " return: " + returnProblem);
            List<MemoryLayout> args = d.argumentLayouts();
            if (args.size() != f.params().size()) {
                problems.add(f.name() + ": header has " + f.params().size() + " parameters, binding " + args.size());
                continue;
            }
            for (int i = 0; i < args.size(); i++) {
                CHeader.Param p = f.params().get(i);
                String problem = compare(p.type(), args.get(i), header);
                if (problem != null) problems.add(f.name() + " parameter " + (i + 1) + " (" + p.name() + "): " + problem);
            }
        }
    }

    /** Null when the layout fits the C type, else what differs. */
    private static String compare(CHeader.CType type, MemoryLayout layout, CHeader header) {
        if (type.base().equals("void") && type.pointers() == 0) return layout == null ? null : "void but bound as " + layout;
        if (layout == null) return type + " but bound as void";
        boolean pointer = type.pointers() > 0 || POINTER_TYPEDEFS.contains(type.base());
        if (pointer) return layout instanceof AddressLayout ? null : type + " (a pointer) bound as " + layout;
        Integer size = SCALARS.get(type.base());
        if (size == null && (header.enums.containsKey(type.base()) || EXTERNAL_ENUMS.contains(type.base()))) size = 4;
        if (size == null) return "unknown C type " + type;
        if (layout instanceof AddressLayout) return type + " (a value) bound as a pointer";
        if (!(layout instanceof ValueLayout v)) return type + " bound as " + layout;
        if (v.byteSize() != size) return type + " is " + size + " bytes, bound as " + v.byteSize();
        Class<?> carrier = v.carrier();
        boolean integral = carrier == byte.class || carrier == short.class || carrier == int.class || carrier == long.class;
        boolean floating = type.base().equals("float") || type.base().equals("double");
        if (floating == integral) return type + " bound with carrier " + carrier;
        return null;
    }

    private static void structs(CHeader header, Class<?> binding, List<String> problems) {
        for (CHeader.Struct s : header.structs.values()) {
            Class<?> nested = nestedClass(binding, s.name());
            if (nested == null) {
                problems.add("header struct " + s.name() + " has no layout class");
                continue;
            }
            GroupLayout layout = invoke(nested, "layout", GroupLayout.class);
            long size = 0;
            long align = 1;
            for (CHeader.Field field : s.fields()) {
                Integer element = SCALARS.get(field.type());
                if (element == null) {
                    problems.add("struct " + s.name() + ": unknown field type " + field.type());
                    continue;
                }
                long fieldAlign = Math.max(element, field.alignas());
                size = (size + fieldAlign - 1) / fieldAlign * fieldAlign + element * field.count();
                align = Math.max(align, fieldAlign);
            }
            size = (size + align - 1) / align * align;
            if (layout.byteSize() != size) {
                problems.add("struct " + s.name() + " is " + size + " bytes in the header, " + layout.byteSize() + " in the binding");
            }
            if (layout.byteAlignment() != align) {
                problems.add("struct " + s.name() + " is aligned to " + align + " in the header, "
                        + layout.byteAlignment() + " in the binding");
            }
        }
    }

    private static void constants(CHeader header, Class<?> binding, List<String> problems) {
        for (Map.Entry<String, Map<String, Long>> e : header.enums.entrySet()) {
            for (Map.Entry<String, Long> value : e.getValue().entrySet()) {
                checkConstant(binding, e.getKey() + "." + value.getKey(), value.getKey(), value.getValue(), problems);
            }
        }
        for (Map.Entry<String, Long> d : header.defines.entrySet()) {
            checkConstant(binding, "#define " + d.getKey(), d.getKey(), d.getValue(), problems);
        }
    }

    private static void checkConstant(Class<?> binding, String what, String name, long expected, List<String> problems) {
        Method m;
        try {
            m = binding.getMethod(name);
        } catch (NoSuchMethodException e) {
            problems.add(what + " = " + expected + " has no constant in the binding");
            return;
        }
        Object actual = invoke(binding, name, Object.class);
        if (!(actual instanceof Integer i) || i != expected) {
            problems.add(what + " is " + expected + " in the header, " + actual + " in the binding");
        }
    }

    private static Class<?> nestedClass(Class<?> binding, String name) {
        for (Class<?> c : binding.getClasses()) if (c.getSimpleName().equals(name)) return c;
        return null;
    }

    private static <T> T invoke(Class<?> owner, String method, Class<T> type) {
        try {
            return type.cast(owner.getMethod(method).invoke(null));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(owner.getSimpleName() + "." + method + "(): " + e, e);
        }
    }
}
