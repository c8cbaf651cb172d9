package armor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link cublas_h} against {@code cublas_api.h} ({@code ARMOR_CUBLAS_HEADER}, e.g. from the nvidia-cublas 13
 * wheel's {@code nvidia/cu13/include}) and against the library ({@code ARMOR_CUBLAS}); the search order everywhere.
 * Without the header, CI still checks the constants and prototypes against JavaCPP's published ones
 * ({@link PublishedHeaderConstantsTest}, {@link PublishedSignaturesTest}).
 */
class CublasBindingTest {
    /**
     * The prototypes of the bound functions and the enums they use, cut out of the full header (which holds far
     * more C than {@link CHeader} reads: function-pointer typedefs, inline functions, deprecation macros).
     */
    static String excerpt(String header, List<String> functions, List<String> enums) {
        String text = header.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", "");
        StringBuilder out = new StringBuilder();
        Matcher defines = Pattern.compile("(?m)^#define CUBLAS_VER_\\w+ \\d+$").matcher(text);
        while (defines.find()) out.append(defines.group()).append('\n');
        for (String e : enums) {
            Matcher m = Pattern.compile("typedef enum \\{[^}]*\\} " + e + ";").matcher(text);
            assertTrue(m.find(), "enum " + e + " not found in the header");
            out.append(m.group()).append('\n');
        }
        for (String f : functions) {
            Matcher m = Pattern.compile("(cublasStatus_t|const char\\*)\\s+CUBLASWINAPI\\s+" + f + "\\s*\\([^)]*\\)\\s*;").matcher(text);
            assertTrue(m.find(), "prototype of " + f + " not found in the header");
            out.append(m.group()).append('\n');
        }
        return out.toString();
    }

    @Test
    void bindingMatchesTheRealHeader() throws IOException {
        String file = System.getenv("ARMOR_CUBLAS_HEADER");
        assumeTrue(file != null && !file.isBlank(), "ARMOR_CUBLAS_HEADER is not set (point it at cublas_api.h)");
        List<String> bound = List.of("cublasCreate_v2", "cublasDestroy_v2", "cublasGetVersion_v2", "cublasGetProperty",
                "cublasSetStream_v2", "cublasGetStatusName", "cublasGetStatusString", "cublasGemmEx",
                "cublasGemmStridedBatchedEx");
        String excerpt = excerpt(Files.readString(Path.of(file)), bound,
                List.of("cublasStatus_t", "cublasOperation_t", "cublasGemmAlgo_t", "cublasComputeType_t"));
        CHeader parsed = CHeader.parse(excerpt, "CUBLASWINAPI");
        assertEquals(bound.size(), parsed.functions.size());
        assertEquals(23, parsed.functions.get("cublasGemmStridedBatchedEx").params().size());
        assertEquals(List.of(), BindingCheck.partialMismatches(parsed, cublas_h.class), "cublas_h differs from " + file);
        System.out.println("cublas_h matches " + file + ": " + parsed.functions.size() + " functions, "
                + parsed.enums.size() + " enums");
    }

    @Test
    void realLibraryLoadsAndFailsCleanlyWithoutADevice() {
        String file = System.getenv(CublasLibrary.ENV);
        assumeTrue(file != null && !file.isBlank(), "ARMOR_CUBLAS is not set (point it at libcublas.so.13 or .12)");
        CublasLibrary library = CublasLibrary.load();
        assertTrue(library.version().startsWith("13.") || library.version().startsWith("12."), library.version());
        assertEquals("CUBLAS_STATUS_INVALID_VALUE",
                cublas_h.cublasGetStatusName(cublas_h.CUBLAS_STATUS_INVALID_VALUE()).reinterpret(64).getString(0));
        boolean device;
        try {
            device = !CudaDevices.list().isEmpty();
        } catch (CudaUnavailableException e) {
            device = false;
        }
        assumeTrue(!device, "a CUDA device is present");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
            int status = cublas_h.cublasCreate_v2(handle);
            assertEquals(cublas_h.CUBLAS_STATUS_NOT_INITIALIZED(), status,
                    "cublasCreate_v2 without a device: " + cublas_h.cublasGetStatusName(status).reinterpret(64).getString(0));
        }
        System.out.println("cuBLAS " + library.version() + " at " + library.path() + ": cublasCreate_v2 without a device "
                + "returns CUBLAS_STATUS_NOT_INITIALIZED");
    }

    @Test
    void findsTheCuda13AndCuda12WheelLayouts(@TempDir Path tmp) throws IOException {
        Path cu12 = Files.createDirectories(tmp.resolve("venv/lib/python3.12/site-packages/nvidia/cublas/lib"));
        Path cu13 = Files.createDirectories(tmp.resolve("venv/lib/python3.12/site-packages/nvidia/cu13/lib"));
        Map<String, String> env = Map.of("VIRTUAL_ENV", tmp.resolve("venv").toString());
        Path twelve = Files.writeString(cu12.resolve("libcublas.so.12"), "x");
        assertEquals(twelve, CublasLibrary.locate(env, tmp));
        Path thirteen = Files.writeString(cu13.resolve("libcublas.so.13"), "x");
        assertEquals(thirteen, CublasLibrary.locate(env, tmp));
    }
}
