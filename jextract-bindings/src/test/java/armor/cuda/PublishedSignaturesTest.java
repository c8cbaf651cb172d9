package armor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every function {@link cuda_h} and {@link cublas_h} bind, against the prototype in NVIDIA's headers as JavaCPP's
 * CUDA presets ({@code org.bytedeco:cuda 13.1-9.19-1.5.13}, test scope) declare it: the same number of parameters,
 * and each parameter and the result of the same kind (a 32-bit integer or enum, a 64-bit integer such as
 * {@code size_t}, a float, a pointer). The presets' classes are loaded without being initialized, so no native
 * library is needed; a JavaCPP overload (pointer, array or buffer) counts as a pointer. The {@code cusparseLt.h}
 * prototypes are not in any artifact CI can fetch; {@link CusparseLtHeaderTest} checks them against the real header.
 */
class PublishedSignaturesTest {
    /** cuda.h declares these under their macro names ({@code #define cuDeviceTotalMem cuDeviceTotalMem_v2}). */
    private static final Map<String, String> MACRO_NAMES = Map.of("cuDeviceTotalMem_v2", "cuDeviceTotalMem");

    @Test
    void cudaDriverFunctionsMatchTheHeader() {
        assertEquals(List.of(), mismatches(cuda_h.class, published("org.bytedeco.cuda.global.cudart")));
    }

    @Test
    void cublasFunctionsMatchTheHeader() {
        assertEquals(List.of(), mismatches(cublas_h.class, published("org.bytedeco.cuda.global.cublas")));
    }

    /** The checker itself: a parameter of the wrong kind, a missing parameter and an unknown function are named. */
    @Test
    void namesEveryDifference() {
        List<Method> header = published("org.bytedeco.cuda.global.cublas");
        assertEquals(List.of("cublasGemmStridedBatchedEx: bound as (pointer, int, int, int, int, int, pointer, pointer, "
                                + "int, int, int, pointer, int, int, long, pointer, pointer, int, int, long, int, int, int) -> int; "
                                + "the header has (pointer, int, int, int, int, int, pointer, pointer, int, int, long, pointer, "
                                + "int, int, long, pointer, pointer, int, int, long, int, int, int) -> int"),
                mismatches(WrongStride.class, header));
        assertEquals(List.of("cublasGemmEx: bound as (pointer, int) -> int; the header has (pointer, int, int, int, int, "
                        + "int, pointer, pointer, int, int, pointer, int, int, pointer, pointer, int, int, int, int) -> int",
                "cublasMadeUp is not in the header"), mismatches(WrongCount.class, header));
    }

    /** cublasGemmStridedBatchedEx with strideA (a {@code long long}) bound as an int. */
    static final class WrongStride {
        public static FunctionDescriptor cublasGemmStridedBatchedEx$descriptor() {
            FunctionDescriptor d = cublas_h.cublasGemmStridedBatchedEx$descriptor();
            List<MemoryLayout> args = new ArrayList<>(d.argumentLayouts());
            args.set(10, ValueLayout.JAVA_INT);
            return FunctionDescriptor.of(d.returnLayout().orElseThrow(), args.toArray(MemoryLayout[]::new));
        }
    }

    static final class WrongCount {
        public static FunctionDescriptor cublasGemmEx$descriptor() {
            return FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        }

        public static FunctionDescriptor cublasMadeUp$descriptor() {
            return FunctionDescriptor.ofVoid();
        }
    }

    /** The static native methods of a JavaCPP class, read without initializing it (its initializer loads natives). */
    static List<Method> published(String className) {
        try {
            Class<?> c = Class.forName(className, false, PublishedSignaturesTest.class.getClassLoader());
            List<Method> natives = new ArrayList<>();
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isStatic(m.getModifiers()) && Modifier.isNative(m.getModifiers())) natives.add(m);
            }
            return natives;
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(className + " is not on the test classpath (org.bytedeco:cuda)", e);
        }
    }

    static List<String> mismatches(Class<?> binding, List<Method> header) {
        List<String> problems = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>();
        for (Method m : binding.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && m.getName().endsWith("$descriptor")) {
                names.add(m.getName().substring(0, m.getName().length() - "$descriptor".length()));
            }
        }
        for (String name : names) {
            FunctionDescriptor d;
            try {
                d = (FunctionDescriptor) binding.getMethod(name + "$descriptor").invoke(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(binding.getSimpleName() + "." + name + "$descriptor(): " + e, e);
            }
            List<String> bound = new ArrayList<>();
            for (MemoryLayout l : d.argumentLayouts()) bound.add(kind(l));
            String boundResult = d.returnLayout().map(PublishedSignaturesTest::kind).orElse("void");
            String headerName = MACRO_NAMES.getOrDefault(name, name);
            List<Method> overloads = header.stream().filter(m -> m.getName().equals(headerName)).toList();
            if (overloads.isEmpty()) {
                problems.add(name + " is not in the header");
                continue;
            }
            boolean matches = overloads.stream().anyMatch(m -> kind(m.getReturnType()).equals(boundResult)
                    && kinds(m).equals(bound));
            if (!matches) {
                problems.add(name + ": bound as (" + String.join(", ", bound) + ") -> " + boundResult + "; the header has ("
                        + String.join(", ", kinds(overloads.getFirst())) + ") -> " + kind(overloads.getFirst().getReturnType()));
            }
        }
        return problems;
    }

    private static List<String> kinds(Method m) {
        List<String> kinds = new ArrayList<>();
        for (Class<?> p : m.getParameterTypes()) kinds.add(kind(p));
        return kinds;
    }

    private static String kind(MemoryLayout layout) {
        if (layout instanceof AddressLayout) return "pointer";
        if (layout instanceof ValueLayout v) return kind(v.carrier());
        return layout.toString();
    }

    private static String kind(Class<?> javaType) {
        if (javaType == int.class) return "int";
        if (javaType == long.class) return "long";
        if (javaType == float.class) return "float";
        if (javaType == double.class) return "double";
        if (javaType == void.class) return "void";
        return "pointer"; // JavaCPP's Pointer classes, arrays, buffers, String
    }
}
