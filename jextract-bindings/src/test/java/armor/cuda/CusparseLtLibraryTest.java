package armor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding, opening and version-checking libcusparseLt. The tests on the real library run when
 * {@code ARMOR_CUSPARSELT} names it (e.g. {@code nvidia/cusparselt/lib/libcusparseLt.so.0} of the
 * nvidia-cusparselt-cu13 0.8.1 wheel); the search order and the error messages are tested everywhere.
 */
class CusparseLtLibraryTest {
    @TempDir
    Path tmp;

    private static Path realLibrary() {
        String file = System.getenv(CusparseLtLibrary.ENV);
        assumeTrue(file != null && !file.isBlank(), CusparseLtLibrary.ENV + " is not set (point it at "
                + "libcusparseLt.so.0 0.8.x, e.g. from the nvidia-cusparselt-cu13 wheel, to run this test)");
        return CusparseLtLibrary.locate(System.getenv(), Path.of("/nonexistent"));
    }

    private static boolean cudaDeviceAvailable() {
        try {
            return !CudaDevices.list().isEmpty();
        } catch (CudaUnavailableException e) {
            return false;
        }
    }

    @Test
    void realLibraryIsVersion081() {
        CusparseLtLibrary library = CusparseLtLibrary.open(realLibrary());
        assertEquals(new CusparseLtLibrary.Version(0, 8, 1), library.version());
        assertEquals(801, library.version().encoded());
    }

    @Test
    void processLibraryAnswersWithoutADevice() {
        realLibrary();
        CusparseLtLibrary library = CusparseLtLibrary.load();
        assertEquals(0, library.version().major());
        assertEquals(8, library.version().minor());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            assertEquals(0, cusparseLt_h.cusparseLtGetProperty(cusparseLt_h.MINOR_VERSION(), value));
            assertEquals(8, value.get(ValueLayout.JAVA_INT, 0));
        }
        // The error strings come from the library itself (new in 0.8.0).
        assertEquals("CUSPARSE_STATUS_INVALID_VALUE (invalid value)",
                CusparseLtException.describe(cusparseLt_h.CUSPARSE_STATUS_INVALID_VALUE()));
        assertEquals("CUSPARSE_STATUS_ARCH_MISMATCH (architecture mismatch)",
                CusparseLtException.describe(cusparseLt_h.CUSPARSE_STATUS_ARCH_MISMATCH()));
    }

    @Test
    void getVersionRejectsAHandleThatWasNeverInitialized() {
        realLibrary();
        CusparseLtLibrary.load();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = cusparseLt_h.cusparseLtHandle_t.allocate(arena);
            MemorySegment version = arena.allocate(ValueLayout.JAVA_INT);
            assertEquals(cusparseLt_h.CUSPARSE_STATUS_INVALID_VALUE(), cusparseLt_h.cusparseLtGetVersion(handle, version));
        }
    }

    @Test
    void initWithoutADeviceFailsWithAClearReason() {
        realLibrary();
        assumeFalse(cudaDeviceAvailable(), "a CUDA device is present: CusparseLtGpuTest covers this machine");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CusparseLtHandle::create);
        assertTrue(e.getMessage().startsWith("cusparseLtInit failed with CUSPARSE_STATUS_"), e.getMessage());
        assertTrue(e.getMessage().contains("no CUDA device"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        System.out.println("cusparseLtInit here: " + e.getMessage());
    }

    @Test
    void explicitVariableWinsAndMayNameAFolder() throws IOException {
        Path lib = Files.createDirectories(tmp.resolve("wheel/lib"));
        Path file = Files.writeString(lib.resolve("libcusparseLt.so.0"), "x");
        assertEquals(file, CusparseLtLibrary.locate(Map.of(CusparseLtLibrary.ENV, file.toString()), tmp));
        assertEquals(file, CusparseLtLibrary.locate(Map.of(CusparseLtLibrary.ENV, lib.toString()), tmp));
        assertEquals(file, CusparseLtLibrary.locate(Map.of(CusparseLtLibrary.ENV, tmp.resolve("wheel").toString()), tmp));
        CudaUnavailableException missing = assertThrows(CudaUnavailableException.class,
                () -> CusparseLtLibrary.locate(Map.of(CusparseLtLibrary.ENV, tmp.resolve("nope").toString()), tmp));
        assertEquals("ARMOR_CUSPARSELT=" + tmp.resolve("nope") + " does not exist", missing.getMessage());
        CudaUnavailableException empty = assertThrows(CudaUnavailableException.class,
                () -> CusparseLtLibrary.locate(Map.of(CusparseLtLibrary.ENV, tmp.toString()), tmp));
        assertTrue(empty.getMessage().startsWith("ARMOR_CUSPARSELT=" + tmp + " is a folder without libcusparseLt.so.0"),
                empty.getMessage());
    }

    @Test
    void findsPythonWheelsInVirtualEnvAndUserSite() throws IOException {
        Path venvLib = Files.createDirectories(tmp.resolve("venv/lib/python3.12/site-packages/nvidia/cusparselt/lib"));
        Path userLib = Files.createDirectories(tmp.resolve("home/.local/lib/python3.11/site-packages/nvidia/cusparselt/lib"));
        Path userFile = Files.writeString(userLib.resolve("libcusparseLt.so.0"), "x");
        Path home = tmp.resolve("home");
        assertEquals(userFile, CusparseLtLibrary.locate(Map.of(), home));
        Path venvFile = Files.writeString(venvLib.resolve("libcusparseLt.so.0"), "x");
        // The active virtual environment comes before the user's site-packages.
        assertEquals(venvFile, CusparseLtLibrary.locate(Map.of("VIRTUAL_ENV", tmp.resolve("venv").toString()), home));
        List<Path> order = CusparseLtLibrary.candidates(Map.of("LD_LIBRARY_PATH", "/opt/a:/opt/b"), home);
        assertTrue(order.indexOf(Path.of("/opt/a/libcusparseLt.so.0")) < order.indexOf(Path.of("/opt/b/libcusparseLt.so.0")));
        assertTrue(order.indexOf(userFile) < order.indexOf(Path.of("/opt/a/libcusparseLt.so.0")));
        assertTrue(order.contains(Path.of("/usr/lib/x86_64-linux-gnu/libcusparseLt.so.0")));
        assertTrue(order.getLast().startsWith("/usr/local/cuda/lib64"), order.getLast().toString());
    }

    @Test
    void notFoundSaysWhatToDo() {
        assumeTrue(CusparseLtLibrary.candidates(Map.of(), tmp).stream().noneMatch(Files::isRegularFile),
                "this machine has cuSPARSELt installed in a standard place");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CusparseLtLibrary.locate(Map.of(), tmp));
        assertTrue(e.getMessage().startsWith("cuSPARSELt not found"), e.getMessage());
        assertTrue(e.getMessage().contains("pip install nvidia-cusparselt-cu13 or set ARMOR_CUSPARSELT"), e.getMessage());
    }

    @Test
    void fileThatIsNotALibraryIsNamedInTheError() throws IOException {
        Path bogus = Files.writeString(tmp.resolve("libcusparseLt.so.0"), "not an ELF file");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CusparseLtLibrary.open(bogus));
        assertTrue(e.getMessage().startsWith("cannot load " + bogus + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("ELF") || e.getMessage().contains("too short"), e.getMessage());
    }

    /**
     * A real shared library whose dependency is missing: a copy of glibc's libutil stub (it needs only libc.so.6)
     * with the needed name changed to libq.so.6, which no system has. dlopen must fail naming libq.so.6.
     */
    @Test
    void missingDependencyIsNamed() throws IOException {
        Path stub = Path.of("/lib/x86_64-linux-gnu/libutil.so.1");
        assumeTrue(Files.isRegularFile(stub), "needs glibc's " + stub + " to build a library with a missing dependency");
        byte[] elf = Files.readAllBytes(stub);
        byte[] from = "libc.so.6\0".getBytes(StandardCharsets.US_ASCII);
        byte[] to = "libq.so.6\0".getBytes(StandardCharsets.US_ASCII);
        int replaced = 0;
        for (int i = 0; i + from.length <= elf.length; i++) {
            if (Arrays.equals(elf, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, elf, i, to.length);
                replaced++;
            }
        }
        assumeTrue(replaced > 0, stub + " does not name libc.so.6");
        Path broken = Files.write(tmp.resolve("libcusparseLt.so.0"), elf);
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CusparseLtLibrary.open(broken));
        assertTrue(e.getMessage().contains("libq.so.6: cannot open shared object file"), e.getMessage());
    }

    @Test
    void onlyTheBindingsMinorVersionIsAccepted() {
        Path file = Path.of("/x/libcusparseLt.so.0");
        CusparseLtLibrary.checkVersion(new CusparseLtLibrary.Version(0, 8, 0), file);
        CusparseLtLibrary.checkVersion(new CusparseLtLibrary.Version(0, 8, 7), file);
        CudaUnavailableException old = assertThrows(CudaUnavailableException.class,
                () -> CusparseLtLibrary.checkVersion(new CusparseLtLibrary.Version(0, 7, 1), file));
        assertTrue(old.getMessage().startsWith("cuSPARSELt 0.7.1 at /x/libcusparseLt.so.0 is not supported: armor's "
                + "bindings are for 0.8.x"), old.getMessage());
        assertThrows(CudaUnavailableException.class,
                () -> CusparseLtLibrary.checkVersion(new CusparseLtLibrary.Version(0, 9, 0), file));
        assertThrows(CudaUnavailableException.class,
                () -> CusparseLtLibrary.checkVersion(new CusparseLtLibrary.Version(1, 8, 1), file));
    }
}
