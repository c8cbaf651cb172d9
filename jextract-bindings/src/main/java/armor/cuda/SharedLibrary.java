package armor.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * A native shared library opened with {@code dlopen}. The JDK's {@link SymbolLookup#libraryLookup} only says
 * "cannot open library"; calling {@code dlopen} ourselves lets the error carry {@code dlerror()}'s text, which names
 * the dependency that is missing ("libcudart.so.13: cannot open shared object file") or what is wrong with the file
 * ("invalid ELF header"). Libraries are never closed: they stay loaded for the life of the process, as the
 * downcall handles bound to them do.
 */
public record SharedLibrary(String name, MemorySegment handle) {
    private static final int RTLD_NOW = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBDL = dlLookup();
    private static final MethodHandle DLOPEN = LINKER.downcallHandle(LIBDL.findOrThrow("dlopen"),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle DLSYM = LINKER.downcallHandle(LIBDL.findOrThrow("dlsym"),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle DLERROR = LINKER.downcallHandle(LIBDL.findOrThrow("dlerror"),
            FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(
                    MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE))));

    // glibc >= 2.34 has dlopen in libc itself (the JDK's default lookup); older ones keep it in libdl.so.2.
    private static SymbolLookup dlLookup() {
        SymbolLookup libc = LINKER.defaultLookup();
        if (libc.find("dlopen").isPresent()) return libc;
        return SymbolLookup.libraryLookup("libdl.so.2", Arena.global());
    }

    /**
     * Opens {@code file} (a path, or a bare soname searched the way the dynamic linker searches) and resolves all
     * its symbols now, so that a missing dependency shows here and not at the first call.
     *
     * @throws CudaUnavailableException with {@code dlerror()}'s text when the library cannot be opened
     */
    public static SharedLibrary open(String file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h;
            String error;
            synchronized (SharedLibrary.class) { // dlerror's state is per thread, but keep open+error together
                h = (MemorySegment) DLOPEN.invokeExact(arena.allocateFrom(file), RTLD_NOW);
                error = h.equals(MemorySegment.NULL) ? lastError() : null;
            }
            if (error != null) throw new CudaUnavailableException("cannot load " + file + ": " + error);
            return new SharedLibrary(file, h);
        } catch (CudaUnavailableException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("dlopen(" + file + ") failed: " + t, t);
        }
    }

    private static String lastError() throws Throwable {
        MemorySegment message = (MemorySegment) DLERROR.invokeExact();
        return message.equals(MemorySegment.NULL) ? "unknown dlopen error" : message.getString(0);
    }

    /** The address of {@code symbol}, if the library exports it. */
    public Optional<MemorySegment> lookup(String symbol) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = (MemorySegment) DLSYM.invokeExact(handle, arena.allocateFrom(symbol));
            return address.equals(MemorySegment.NULL) ? Optional.empty() : Optional.of(address);
        } catch (Throwable t) {
            throw new IllegalStateException("dlsym(" + symbol + ") failed: " + t, t);
        }
    }

    /** The address of {@code symbol}, or an exception that names the symbol and the library. */
    public MemorySegment find(String symbol) {
        return lookup(symbol).orElseThrow(() -> new CudaUnavailableException(
                name + " does not export " + symbol + " (wrong library or version?)"));
    }
}
