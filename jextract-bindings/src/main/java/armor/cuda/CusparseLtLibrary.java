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
 * Finds, opens and version-checks {@code libcusparseLt.so.0}, the library {@link cusparseLt_h} binds against.
 *
 * <p>Where it looks, in order: {@code ARMOR_CUSPARSELT} (the library file, or a folder holding it; when set, nothing
 * else is tried), the Python wheels {@code nvidia-cusparselt-cu12/-cu13} ({@code nvidia/cusparselt/lib} under each
 * site-packages folder of {@code VIRTUAL_ENV}, {@code CONDA_PREFIX}, {@code PYTHONPATH}, the user's
 * {@code ~/.local} and the system Pythons), the folders of {@code LD_LIBRARY_PATH}, the Debian packages'
 * {@code /usr/lib/x86_64-linux-gnu}, and {@code CUDA_HOME}/{@code /usr/local/cuda}'s {@code lib64}.
 *
 * <p>The opaque struct sizes and enum values of cusparseLt.h changed between releases (struct data 1024 → 11024 →
 * 512 bytes; {@code cusparseComputeType} renumbered in 0.5.2), so a library of another minor version than the one
 * the bindings were written for would corrupt memory instead of failing: it is refused with a message that says
 * which version was found and which is needed. The version comes from {@code cusparseLtGetProperty}, which works
 * without a GPU ({@code cusparseLtGetVersion} needs an initialized handle, hence a device).
 */
public final class CusparseLtLibrary {
    /** Environment variable naming the library file (or its folder). */
    public static final String ENV = "ARMOR_CUSPARSELT";
    static final String[] FILE_NAMES = {"libcusparseLt.so.0", "libcusparseLt.so"};

    /** A cuSPARSELt version, {@code major.minor.patch}. */
    public record Version(int major, int minor, int patch) {
        /** The header's {@code CUSPARSELT_VERSION} encoding, e.g. 801 for 0.8.1. */
        public int encoded() {
            return major * 1000 + minor * 100 + patch;
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + patch;
        }
    }

    /** The version the bindings were written for; any patch level of this major.minor is accepted. */
    public static final Version BINDING_VERSION = new Version(
            cusparseLt_h.CUSPARSELT_VER_MAJOR(), cusparseLt_h.CUSPARSELT_VER_MINOR(), cusparseLt_h.CUSPARSELT_VER_PATCH());

    private static CusparseLtLibrary loaded;

    private final Path path;
    private final SharedLibrary library;
    private final Version version;

    private CusparseLtLibrary(Path path, SharedLibrary library, Version version) {
        this.path = path;
        this.library = library;
        this.version = version;
    }

    public Path path() {
        return path;
    }

    public Version version() {
        return version;
    }

    /** The address of a function of the library, or an exception naming it. */
    public MemorySegment find(String symbol) {
        return library.find(symbol);
    }

    /**
     * The process's cuSPARSELt: found and opened on the first call (see the class comment for where it looks),
     * the same one afterwards.
     *
     * @throws CudaUnavailableException (one line) when none is found, it cannot be opened (the message names a
     *                                  missing dependency), or its version is not {@link #BINDING_VERSION}'s minor
     */
    public static synchronized CusparseLtLibrary load() {
        if (loaded == null) loaded = open(locate(System.getenv(), Path.of(System.getProperty("user.home", "/"))));
        return loaded;
    }

    /** Opens a given library file and checks its version, without making it the process's library. */
    public static CusparseLtLibrary open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CudaUnavailableException("cuSPARSELt library " + file + " does not exist or is not a file");
        }
        SharedLibrary library = SharedLibrary.open(file.toString());
        Version version = readVersion(library, file);
        checkVersion(version, file);
        return new CusparseLtLibrary(file, library, version);
    }

    /** Throws unless {@code found} has the major and minor version the bindings were written for. */
    static void checkVersion(Version found, Path file) {
        if (found.major() != BINDING_VERSION.major() || found.minor() != BINDING_VERSION.minor()) {
            throw new CudaUnavailableException("cuSPARSELt " + found + " at " + file + " is not supported: armor's "
                    + "bindings are for " + BINDING_VERSION.major() + "." + BINDING_VERSION.minor() + ".x (struct "
                    + "sizes and enum values differ between versions); install nvidia-cusparselt-cu13 (or -cu12) "
                    + BINDING_VERSION.major() + "." + BINDING_VERSION.minor() + ".x and point " + ENV + " at it");
        }
    }

    private static Version readVersion(SharedLibrary library, Path file) {
        // Called directly rather than through cusparseLt_h, whose handles bind only to the process's library.
        MethodHandle getProperty = Linker.nativeLinker().downcallHandle(
                library.find("cusparseLtGetProperty"), cusparseLt_h.cusparseLtGetProperty$descriptor());
        int[] parts = new int[3];
        int[] properties = {cusparseLt_h.MAJOR_VERSION(), cusparseLt_h.MINOR_VERSION(), cusparseLt_h.PATCH_LEVEL()};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            for (int i = 0; i < 3; i++) {
                int status = (int) getProperty.invokeExact(properties[i], value);
                if (status != cusparseLt_h.CUSPARSE_STATUS_SUCCESS()) {
                    throw new CudaUnavailableException("cusparseLtGetProperty(" + i + ") of " + file
                            + " returned status " + status + "; is it a cuSPARSELt library?");
                }
                parts[i] = value.get(ValueLayout.JAVA_INT, 0);
            }
        } catch (CudaUnavailableException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cusparseLtGetProperty failed: " + t, t);
        }
        return new Version(parts[0], parts[1], parts[2]);
    }

    static final LibrarySearch SEARCH = new LibrarySearch("cuSPARSELt", ENV,
            List.of("nvidia/cusparselt/lib", "cusparselt/lib"), List.of(FILE_NAMES),
            "pip install nvidia-cusparselt-cu13");

    /** The library file to use; see the class comment for the order. */
    static Path locate(Map<String, String> env, Path home) {
        return SEARCH.locate(env, home);
    }

    /** Every place the library is looked for when {@code ARMOR_CUSPARSELT} is unset, in order. */
    static List<Path> candidates(Map<String, String> env, Path home) {
        return SEARCH.candidates(env, home);
    }
}
