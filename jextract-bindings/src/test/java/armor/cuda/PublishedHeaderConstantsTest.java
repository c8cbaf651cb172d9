package armor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cusparse;
import org.junit.jupiter.api.Test;

/**
 * Every enum value and define of the bindings that comes from NVIDIA's CUDA headers ({@code cuda.h},
 * {@code library_types.h}, {@code cublas_api.h}, {@code cusparse.h}), checked in every build against an independent
 * published source: JavaCPP's CUDA presets ({@code org.bytedeco:cuda:13.1-9.19-1.5.13} from Maven Central, test
 * scope), whose constants JavaCPP generated from those headers of CUDA 13.1 (cuBLAS 13.2, cuSPARSE 12.7).
 *
 * <p>The published values are read as {@code public static final int} compile-time constants, which javac copies
 * into this class: no class of {@code org.bytedeco} is loaded when the test runs (their static initializers load
 * the native CUDA libraries, which are absent here and in CI).
 *
 * <p>Not covered here, because no artifact that CI can fetch (Maven Central, npm, Debian) carries them: the enums,
 * defines and opaque struct sizes of {@code cusparseLt.h} itself (names {@code CUSPARSELT_*} and
 * {@code cusparseComputeType}'s {@code CUSPARSE_COMPUTE_*}); {@link CusparseLtHeaderTest} checks those against the
 * real header where {@code ARMOR_CUSPARSELT_HEADER} points at it. Every other constant a binding class defines must
 * appear below, so a new one cannot slip in unchecked.
 */
class PublishedHeaderConstantsTest {
    private static final String SOURCE = "org.bytedeco:cuda 13.1-9.19-1.5.13";

    /** {@code cuda.h} (the driver API), as JavaCPP's {@code cudart} preset holds it. */
    private static final Map<String, Integer> CUDA_H = Map.of(
            "CUDA_SUCCESS", cudart.CUDA_SUCCESS,
            "CUDA_ERROR_NOT_INITIALIZED", cudart.CUDA_ERROR_NOT_INITIALIZED,
            "CUDA_ERROR_NO_DEVICE", cudart.CUDA_ERROR_NO_DEVICE,
            "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR", cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
            "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR", cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);

    /** {@code cublas_api.h}: status codes, operations, the default GEMM algorithm, compute types. */
    private static final Map<String, Integer> CUBLAS_API_H = Map.of(
            "CUBLAS_STATUS_SUCCESS", cublas.CUBLAS_STATUS_SUCCESS,
            "CUBLAS_STATUS_NOT_INITIALIZED", cublas.CUBLAS_STATUS_NOT_INITIALIZED,
            "CUBLAS_STATUS_INVALID_VALUE", cublas.CUBLAS_STATUS_INVALID_VALUE,
            "CUBLAS_OP_N", cublas.CUBLAS_OP_N,
            "CUBLAS_OP_T", cublas.CUBLAS_OP_T,
            "CUBLAS_GEMM_DEFAULT", cublas.CUBLAS_GEMM_DEFAULT,
            "CUBLAS_COMPUTE_32F", cublas.CUBLAS_COMPUTE_32F);

    /**
     * The CUDA types {@code cusparseLt.h} takes from the headers it includes: {@code cusparseStatus_t},
     * {@code cusparseOrder_t}, {@code cusparseOperation_t} ({@code cusparse.h}), {@code cudaDataType} and
     * {@code libraryPropertyType} ({@code library_types.h}, in JavaCPP's {@code cudart}). The data types are the
     * ones cuBLAS takes too.
     */
    private static final Map<String, Integer> CUSPARSELT_CUDA_TYPES = Map.ofEntries(
            Map.entry("CUSPARSE_STATUS_SUCCESS", cusparse.CUSPARSE_STATUS_SUCCESS),
            Map.entry("CUSPARSE_STATUS_NOT_INITIALIZED", cusparse.CUSPARSE_STATUS_NOT_INITIALIZED),
            Map.entry("CUSPARSE_STATUS_ALLOC_FAILED", cusparse.CUSPARSE_STATUS_ALLOC_FAILED),
            Map.entry("CUSPARSE_STATUS_INVALID_VALUE", cusparse.CUSPARSE_STATUS_INVALID_VALUE),
            Map.entry("CUSPARSE_STATUS_ARCH_MISMATCH", cusparse.CUSPARSE_STATUS_ARCH_MISMATCH),
            Map.entry("CUSPARSE_STATUS_EXECUTION_FAILED", cusparse.CUSPARSE_STATUS_EXECUTION_FAILED),
            Map.entry("CUSPARSE_STATUS_INTERNAL_ERROR", cusparse.CUSPARSE_STATUS_INTERNAL_ERROR),
            Map.entry("CUSPARSE_STATUS_NOT_SUPPORTED", cusparse.CUSPARSE_STATUS_NOT_SUPPORTED),
            Map.entry("CUSPARSE_STATUS_INSUFFICIENT_RESOURCES", cusparse.CUSPARSE_STATUS_INSUFFICIENT_RESOURCES),
            Map.entry("CUSPARSE_ORDER_COL", cusparse.CUSPARSE_ORDER_COL),
            Map.entry("CUSPARSE_ORDER_ROW", cusparse.CUSPARSE_ORDER_ROW),
            Map.entry("CUSPARSE_OPERATION_NON_TRANSPOSE", cusparse.CUSPARSE_OPERATION_NON_TRANSPOSE),
            Map.entry("CUSPARSE_OPERATION_TRANSPOSE", cusparse.CUSPARSE_OPERATION_TRANSPOSE),
            Map.entry("CUDA_R_32F", cudart.CUDA_R_32F),
            Map.entry("CUDA_R_16F", cudart.CUDA_R_16F),
            Map.entry("CUDA_R_8I", cudart.CUDA_R_8I),
            Map.entry("CUDA_R_32I", cudart.CUDA_R_32I),
            Map.entry("CUDA_R_16BF", cudart.CUDA_R_16BF),
            Map.entry("CUDA_R_8F_E4M3", cudart.CUDA_R_8F_E4M3),
            Map.entry("MAJOR_VERSION", cudart.MAJOR_VERSION),
            Map.entry("MINOR_VERSION", cudart.MINOR_VERSION),
            Map.entry("PATCH_LEVEL", cudart.PATCH_LEVEL));

    /** cusparseLt.h's own constants, which only the env-gated {@link CusparseLtHeaderTest} can check. */
    static final Predicate<String> CUSPARSELT_OWN = name -> name.startsWith("CUSPARSELT_") || name.startsWith("CUSPARSE_COMPUTE_");

    @Test
    void cudaDriverConstantsMatchTheHeader() {
        assertEquals(List.of(), mismatches(cuda_h.class, CUDA_H, name -> false));
    }

    @Test
    void cublasConstantsMatchTheHeader() {
        assertEquals(List.of(), mismatches(cublas_h.class, CUBLAS_API_H, name -> false));
    }

    @Test
    void cusparseLtsCudaTypesMatchTheHeaders() {
        assertEquals(List.of(), mismatches(cusparseLt_h.class, CUSPARSELT_CUDA_TYPES, CUSPARSELT_OWN));
        // what is left to the env-gated header test: cusparseLt.h's own enums and version defines
        long own = constants(cusparseLt_h.class).keySet().stream().filter(CUSPARSELT_OWN).count();
        assertEquals(51, own, "cusparseLt.h's own constants in cusparseLt_h (unchecked without the header)");
    }

    /** The checker itself: a wrong value, a constant with no published value, and a stale entry are each named. */
    @Test
    void namesEveryDifference() {
        Map<String, Integer> published = new TreeMap<>(CUBLAS_API_H);
        published.put("CUBLAS_COMPUTE_32F", 67);
        published.remove("CUBLAS_OP_T");
        published.put("CUBLAS_OP_C", 2);
        assertEquals(List.of(
                        "cublas_h.CUBLAS_COMPUTE_32F() is 68, the header (" + SOURCE + ") has 67",
                        "cublas_h.CUBLAS_OP_T() = 1 has no published value to be checked against: add it to this test",
                        "CUBLAS_OP_C is listed here but cublas_h does not define it"),
                mismatches(cublas_h.class, published, name -> false));
    }

    /**
     * Every difference between a binding's constants (static no-argument {@code int} methods, jextract style) and
     * the published values: a value that differs, a constant with no published value (unless {@code unchecked}
     * accepts its name), a published entry the binding lacks.
     */
    static List<String> mismatches(Class<?> binding, Map<String, Integer> published, Predicate<String> unchecked) {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> bound = constants(binding);
        for (Map.Entry<String, Integer> c : bound.entrySet()) {
            Integer expected = published.get(c.getKey());
            if (expected == null) {
                if (!unchecked.test(c.getKey())) {
                    problems.add(binding.getSimpleName() + "." + c.getKey() + "() = " + c.getValue()
                            + " has no published value to be checked against: add it to this test");
                }
            } else if (expected.intValue() != c.getValue()) {
                problems.add(binding.getSimpleName() + "." + c.getKey() + "() is " + c.getValue() + ", the header ("
                        + SOURCE + ") has " + expected);
            }
        }
        for (String name : new TreeSet<>(published.keySet())) {
            if (!bound.containsKey(name)) {
                problems.add(name + " is listed here but " + binding.getSimpleName() + " does not define it");
            }
        }
        return problems;
    }

    static Map<String, Integer> constants(Class<?> binding) {
        Map<String, Integer> values = new TreeMap<>();
        for (Method m : binding.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0 || m.getReturnType() != int.class) continue;
            try {
                values.put(m.getName(), (Integer) m.invoke(null));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(binding.getSimpleName() + "." + m.getName() + "(): " + e, e);
            }
        }
        return values;
    }
}
