package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped PTX against the Java launch table and against the .cu sources; none of this needs a GPU. */
class CudaKernelPtxTest {
    private static final Pattern ENTRY = Pattern.compile("\\.visible\\s+\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)\\s+\\w+");
    private static final Path CUDA_SOURCES = Path.of("src/main/cuda");

    /** Entry name to its parameter types, e.g. rmsnorm_f32 to [u64, u64, u64, u32, f32]. */
    static Map<String, List<String>> entries(String ptx) {
        Map<String, List<String>> entries = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<String> types = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) types.add(p.group(1));
            entries.put(m.group(1), types);
        }
        return entries;
    }

    private static String ptxType(CudaKernel.Arg arg) {
        return switch (arg) {
            case POINTER -> "u64";
            case INT -> "u32";
            case FLOAT -> "f32";
        };
    }

    @Test
    void launchTableMatchesThePtxEntries() {
        String ptx = CudaKernel.ptx();
        assertTrue(ptx.contains(".target sm_80"), "PTX must target sm_80 (Ampere, the sparse tensor core floor)");
        Map<String, List<String>> entries = entries(ptx);
        Map<String, List<String>> table = new LinkedHashMap<>();
        for (CudaKernel k : CudaKernel.values()) table.put(k.entry(), k.args().stream().map(CudaKernelPtxTest::ptxType).toList());
        assertEquals(table, entries);
    }

    @Test
    void argumentsAreCheckedBeforeALaunch() {
        CudaKernel.ADD_F32.checkArguments(1L, 2L, 3);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> CudaKernel.ADD_F32.checkArguments(1L, 2L));
        assertEquals("add_f32 takes 3 arguments [POINTER, POINTER, INT], got 2", count.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> CudaKernel.RMSNORM_F32.checkArguments(1L, 2L, 3L, 4, 1e-6));
        assertEquals("rmsnorm_f32 argument 5 must be FLOAT, got Double", type.getMessage());
    }

    /** With nvcc at hand, the shipped PTX must be what build-ptx.sh makes of the current sources. */
    @Test
    void shippedPtxIsBuiltFromTheCurrentSources(@TempDir Path tmp) throws IOException, InterruptedException {
        Path nvcc = Path.of(System.getenv().getOrDefault("NVCC", "/usr/local/cuda/bin/nvcc"));
        assumeTrue(Files.isExecutable(nvcc), "nvcc not found at " + nvcc + " (set NVCC): cannot rebuild the PTX here");
        String shipped = CudaKernel.ptx();
        Process version = new ProcessBuilder(nvcc.toString(), "--version").redirectErrorStream(true).start();
        String nvccVersion = new String(version.getInputStream().readAllBytes());
        version.waitFor();
        Matcher release = Pattern.compile("Cuda compilation tools, release [^\\n]*").matcher(nvccVersion);
        assumeTrue(release.find() && shipped.contains(release.group()),
                "the shipped PTX was made by another nvcc than " + nvcc + "; outputs differ between releases");
        Path out = tmp.resolve("armor_kernels.ptx");
        Process p = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=sm_80", "-O3", "-std=c++17", "-o", out.toString(),
                CUDA_SOURCES.resolve("armor_kernels.cu").toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "nvcc took over 2 minutes");
        assertEquals(0, p.exitValue(), () -> "nvcc failed:\n" + log);
        assertEquals(Files.readString(out), shipped,
                "gpu/src/main/cuda/armor_kernels.cu changed: run gpu/src/main/cuda/build-ptx.sh and commit the PTX");
    }
}
