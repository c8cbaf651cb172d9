package armor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bindings against the header they claim to follow: every function's parameter count and types, every opaque
 * struct's size and alignment, every enum value. The real header comes from {@code ARMOR_CUSPARSELT_HEADER}
 * (e.g. {@code nvidia/cusparselt/include/cusparseLt.h} of the nvidia-cusparselt-cu13 0.8.1 wheel); the parser
 * and the checker are also exercised on header text written here, so they are tested where the header is absent.
 * Where it is absent (CI), only the values {@code cusparseLt.h} takes from CUDA's own headers are checked, by
 * {@link PublishedHeaderConstantsTest}: no artifact CI can fetch carries {@code cusparseLt.h}.
 */
class CusparseLtHeaderTest {
    static final String HEADER_ENV = "ARMOR_CUSPARSELT_HEADER";

    @Test
    void parsesPrototypesStructsEnumsAndDefines() {
        CHeader h = CHeader.parse("""
                #define V_MAJOR 2
                #define V_MINOR 7
                #define VERSION (V_MAJOR * 1000 + \\
                                 V_MINOR * 100)
                #if defined(__cplusplus)
                extern "C" {
                #endif
                /* a comment with ; and { */
                typedef struct { alignas(16) uint8_t data[4 * 8]; } opaque_t;
                typedef struct tag { int a; int64_t b; } pair_t;
                typedef enum { RED, GREEN = 5, BLUE, ALIAS = RED, } color_t; // trailing comma
                int API f(const opaque_t* h, int64_t rows, cudaStream_t* streams, color_t c);
                const char* API g(void);
                #if defined(__cplusplus)
                }
                #endif
                """, "API");
        assertEquals(Map.of("V_MAJOR", 2L, "V_MINOR", 7L, "VERSION", 2700L), h.defines);
        assertEquals(List.of(new CHeader.Field("uint8_t", "data", 32, 16)), h.structs.get("opaque_t").fields());
        assertEquals(List.of(new CHeader.Field("int", "a", 1, 0), new CHeader.Field("int64_t", "b", 1, 0)),
                h.structs.get("pair_t").fields());
        assertEquals(List.of("RED", "GREEN", "BLUE", "ALIAS"), List.copyOf(h.enums.get("color_t").keySet()));
        assertEquals(List.of(0L, 5L, 6L, 0L), List.copyOf(h.enums.get("color_t").values()));
        CHeader.Function f = h.functions.get("f");
        assertEquals(new CHeader.CType("int", 0), f.returnType());
        assertEquals(List.of(new CHeader.Param(new CHeader.CType("opaque_t", 1), "h"),
                new CHeader.Param(new CHeader.CType("int64_t", 0), "rows"),
                new CHeader.Param(new CHeader.CType("cudaStream_t", 1), "streams"),
                new CHeader.Param(new CHeader.CType("color_t", 0), "c")), f.params());
        assertEquals(new CHeader.CType("char", 1), h.functions.get("g").returnType());
        assertEquals(List.of(), h.functions.get("g").params());
    }

    /** A header in the style of cuSPARSELt 0.4 (11024-byte structs, old compute type numbering) must be caught. */
    @Test
    void findsTheDifferencesOfAnOlderHeader() {
        CHeader old = CHeader.parse("""
                #define CUSPARSELT_VER_MAJOR 0
                #define CUSPARSELT_VER_MINOR 4
                typedef struct { uint8_t data[11024]; } cusparseLtHandle_t;
                typedef enum { CUSPARSE_COMPUTE_16F, CUSPARSE_COMPUTE_32I, CUSPARSE_COMPUTE_TF32 } cusparseComputeType;
                cusparseStatus_t cusparseLtInit(cusparseLtHandle_t* handle);
                cusparseStatus_t cusparseLtGetVersion(const cusparseLtHandle_t* handle, int* version, int extra);
                cusparseStatus_t cusparseLtMatmulGetWorkspace(const cusparseLtHandle_t* handle, const void* plan, int64_t size);
                cusparseStatus_t cusparseLtRemovedFunction(void);
                """);
        List<String> problems = BindingCheck.mismatches(old, cusparseLt_h.class);
        List<String> expected = List.of(
                "struct cusparseLtHandle_t is 11024 bytes in the header, 512 in the binding",
                "struct cusparseLtHandle_t is aligned to 1 in the header, 16 in the binding",
                "cusparseComputeType.CUSPARSE_COMPUTE_16F is 0 in the header, 1 in the binding",
                "cusparseComputeType.CUSPARSE_COMPUTE_TF32 = 2 has no constant in the binding",
                "#define CUSPARSELT_VER_MINOR is 4 in the header, 8 in the binding",
                "cusparseLtGetVersion: header has 3 parameters, binding 2",
                "cusparseLtMatmulGetWorkspace parameter 3 (size): int64_t (a value) bound as a pointer",
                "header function cusparseLtRemovedFunction is not bound",
                "bound function cusparseLtMatmul is not in the header");
        for (String e : expected) {
            assertTrue(problems.contains(e), () -> "missing: " + e + "\nfound: " + String.join("\n", problems));
        }
        assertTrue(problems.stream().noneMatch(p -> p.startsWith("cusparseLtInit")), () -> String.join("\n", problems));
    }

    @Test
    void bindingMatchesTheRealHeader() throws IOException {
        String file = System.getenv(HEADER_ENV);
        assumeTrue(file != null && !file.isBlank(), HEADER_ENV + " is not set (point it at cusparseLt.h of the "
                + "nvidia-cusparselt-cu13 0.8.1 wheel to check the bindings against it)");
        Path header = Path.of(file);
        CHeader parsed = CHeader.parse(Files.readString(header), "CUSPARSELT_API");
        assertTrue(parsed.functions.size() >= 30, () -> header + ": only " + parsed.functions.size() + " functions parsed");
        assertTrue(parsed.structs.size() >= 5, () -> header + ": only " + parsed.structs.size() + " structs parsed");
        List<String> problems = BindingCheck.mismatches(parsed, cusparseLt_h.class);
        assertEquals(List.of(), problems, () -> "cusparseLt_h differs from " + header);
        System.out.printf("cusparseLt_h matches %s: %d functions, %d structs, %d enums, %d defines%n", header,
                parsed.functions.size(), parsed.structs.size(), parsed.enums.size(), parsed.defines.size());
    }
}
