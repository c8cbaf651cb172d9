package armor.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Finds and opens {@code libcublas.so.13} or {@code .12}, which {@link cublas_h} binds against: {@code ARMOR_CUBLAS}
 * (file or folder), NVIDIA's wheels ({@code nvidia/cu13/lib} of nvidia-cublas 13, {@code nvidia/cublas/lib} of
 * nvidia-cublas-cu12), then the system places as for cuSPARSELt ({@link LibrarySearch}). Its dependency
 * libcublasLt is found by the dynamic linker next to it (the library's RUNPATH), or through LD_LIBRARY_PATH.
 */
public final class CublasLibrary {
    public static final String ENV = "ARMOR_CUBLAS";
    static final LibrarySearch SEARCH = new LibrarySearch("cuBLAS", ENV,
            List.of("nvidia/cu13/lib", "nvidia/cublas/lib"), List.of("libcublas.so.13", "libcublas.so.12"),
            "pip install nvidia-cublas (CUDA 13) or nvidia-cublas-cu12");

    private static CublasLibrary loaded;

    private final Path path;
    private final SharedLibrary library;
    private final int major, minor, patch;

    private CublasLibrary(Path path, SharedLibrary library, int[] version) {
        this.path = path;
        this.library = library;
        this.major = version[0];
        this.minor = version[1];
        this.patch = version[2];
    }

    public Path path() {
        return path;
    }

    public String version() {
        return major + "." + minor + "." + patch;
    }

    public MemorySegment find(String symbol) {
        return library.find(symbol);
    }

    /** The process's cuBLAS, found and opened on the first call. */
    public static synchronized CublasLibrary load() {
        if (loaded == null) loaded = open(SEARCH.locate(System.getenv(), Path.of(System.getProperty("user.home", "/"))));
        return loaded;
    }

    /** Opens a library file and checks that it is cuBLAS 12 or 13. */
    public static CublasLibrary open(Path file) {
        if (!Files.isRegularFile(file)) throw new CudaUnavailableException("cuBLAS library " + file + " does not exist");
        SharedLibrary library = SharedLibrary.open(file.toString());
        MethodHandle getProperty = Linker.nativeLinker().downcallHandle(library.find("cublasGetProperty"),
                cublas_h.cublasGetProperty$descriptor());
        int[] version = new int[3];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            for (int property = 0; property < 3; property++) {
                int status = (int) getProperty.invokeExact(property, value);
                if (status != cublas_h.CUBLAS_STATUS_SUCCESS()) {
                    throw new CudaUnavailableException("cublasGetProperty of " + file + " returned status " + status);
                }
                version[property] = value.get(ValueLayout.JAVA_INT, 0);
            }
        } catch (CudaUnavailableException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasGetProperty failed: " + t, t);
        }
        if (version[0] != 12 && version[0] != 13) {
            throw new CudaUnavailableException("cuBLAS " + version[0] + "." + version[1] + " at " + file
                    + " is not supported: armor's bindings are for cuBLAS 12 and 13");
        }
        return new CublasLibrary(file, library, version);
    }

    static Path locate(Map<String, String> env, Path home) {
        return SEARCH.locate(env, home);
    }
}
