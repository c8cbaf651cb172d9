package armor.runtime.cuda;

import armor.cuda.CudaUnavailableException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The oldest CUDA driver that loads a PTX module: the module's {@code .version} directive (its PTX ISA) mapped to
 * the CUDA release that introduced that ISA. A driver older than that refuses the module when it is loaded
 * ({@code cuModuleLoadData}: {@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}); {@link #refusal} says so beforehand, in one
 * line, so that {@link CudaProbe} does not call such a machine usable.
 *
 * <p>The table is NVIDIA's "PTX Release History" (PTX ISA documentation, Release Notes), the same table NVIDIA's
 * cuda-python encodes as {@code cuda.bindings.utils.get_minimal_required_cuda_ver_from_ptx_ver} ("the minimal CUDA
 * driver ... needed to load a PTX of the given ISA version"). It starts at ISA 7.0 (CUDA 11.0), the first that can
 * target sm_80, the oldest GPU armor's GPU path takes. Versions are written as {@code cuDriverGetVersion} reports
 * them: {@code 1000·major + 10·minor} (13000 for CUDA 13.0).
 */
public record PtxDriverRequirement(String isa, int cudaVersion) {
    /** PTX ISA → first CUDA release that loads it (CUDA 12.6 added no ISA; 8.6 came with 12.7). */
    static final Map<String, Integer> FIRST_CUDA = Map.ofEntries(
            Map.entry("7.0", 11000), Map.entry("7.1", 11010), Map.entry("7.2", 11020), Map.entry("7.3", 11030),
            Map.entry("7.4", 11040), Map.entry("7.5", 11050), Map.entry("7.6", 11060), Map.entry("7.7", 11070),
            Map.entry("7.8", 11080),
            Map.entry("8.0", 12000), Map.entry("8.1", 12010), Map.entry("8.2", 12020), Map.entry("8.3", 12030),
            Map.entry("8.4", 12040), Map.entry("8.5", 12050), Map.entry("8.6", 12070), Map.entry("8.7", 12080),
            Map.entry("8.8", 12090),
            Map.entry("9.0", 13000), Map.entry("9.1", 13010));

    /** The directive every PTX module starts with (after comments): {@code .version MAJOR.MINOR}. */
    private static final Pattern VERSION = Pattern.compile("(?m)^[ \\t]*\\.version[ \\t]+(\\d+\\.\\d+)[ \\t]*$");

    /**
     * The requirement of a PTX module's text.
     *
     * @throws IllegalArgumentException when the text has no {@code .version} directive, or an ISA the table lacks
     */
    public static PtxDriverRequirement of(String ptx) {
        Matcher m = VERSION.matcher(ptx);
        if (!m.find()) throw new IllegalArgumentException("no .version directive in the PTX");
        String isa = m.group(1);
        Integer cuda = FIRST_CUDA.get(isa);
        if (cuda == null) {
            throw new IllegalArgumentException("PTX ISA " + isa + " is not in armor's table (7.0 to 9.1, from NVIDIA's "
                    + "PTX release history): add the CUDA release that introduced it to PtxDriverRequirement");
        }
        return new PtxDriverRequirement(isa, cuda);
    }

    /** The requirement of armor's kernels, the shipped {@link CudaKernel#PTX_RESOURCE}. */
    public static PtxDriverRequirement kernels() {
        return Kernels.REQUIREMENT;
    }

    private static final class Kernels {
        static final PtxDriverRequirement REQUIREMENT = of(CudaKernel.ptx());
    }

    /** {@code 13000} → {@code "13.0"}, {@code 12080} → {@code "12.8"}. */
    public static String cudaName(int driverVersion) {
        return driverVersion / 1000 + "." + driverVersion % 1000 / 10;
    }

    /** What the kernels need, e.g. "armor's kernels are PTX ISA 9.0: they need a driver for CUDA 13.0 or newer". */
    public String describe() {
        return "armor's kernels are PTX ISA " + isa + ": they need a driver for CUDA " + cudaName(cudaVersion) + " or newer";
    }

    /**
     * Null when a driver of {@code driverVersion} (as {@code cuDriverGetVersion} gives it) loads this PTX; else the
     * one-line reason: the version found, the version needed, and what to do.
     */
    public String refusal(int driverVersion) {
        if (driverVersion >= cudaVersion) return null;
        return "NVIDIA driver too old: it supports CUDA " + cudaName(driverVersion) + " (cuDriverGetVersion " + driverVersion
                + "), but armor's kernels are PTX ISA " + isa + ", which needs CUDA " + cudaName(cudaVersion) + " ("
                + cudaVersion + ") or newer; install an NVIDIA driver for CUDA " + cudaName(cudaVersion) + " or newer, or "
                + "rebuild the PTX with an older nvcc (gpu/src/main/cuda/build-ptx.sh)";
    }

    /**
     * Throws the {@link #refusal} when there is one.
     *
     * @throws CudaUnavailableException when the driver is too old for this PTX
     */
    public void check(int driverVersion) {
        String refusal = refusal(driverVersion);
        if (refusal != null) throw new CudaUnavailableException(refusal);
    }
}
