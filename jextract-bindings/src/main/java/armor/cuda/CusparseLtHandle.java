package armor.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An initialized {@code cusparseLtHandle_t} (bound to the current CUDA device), destroyed by {@link #close()}.
 * Creating one is where a machine without a usable GPU is found out: the failure says why in one line
 * ("no CUDA device: ...") rather than leaving a bare status code.
 */
public final class CusparseLtHandle implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment handle;
    private boolean closed;

    private CusparseLtHandle(Arena arena, MemorySegment handle) {
        this.arena = arena;
        this.handle = handle;
    }

    /**
     * Loads the library ({@link CusparseLtLibrary#load()}) and calls {@code cusparseLtInit}.
     *
     * @throws CudaUnavailableException when the library is missing or of a wrong version, or initialization fails
     *                                  (no driver, no device, unsupported GPU)
     */
    public static CusparseLtHandle create() {
        CusparseLtLibrary.load();
        Arena arena = Arena.ofShared();
        MemorySegment handle = cusparseLt_h.cusparseLtHandle_t.allocate(arena);
        int status = cusparseLt_h.cusparseLtInit(handle);
        if (status != cusparseLt_h.CUSPARSE_STATUS_SUCCESS()) {
            arena.close();
            throw new CudaUnavailableException("cusparseLtInit failed with "
                    + CusparseLtException.describe(status) + ": " + CudaDevices.whyNoDevice());
        }
        return new CusparseLtHandle(arena, handle);
    }

    /** The handle struct, to pass as the first argument of the {@link cusparseLt_h} functions. */
    public MemorySegment segment() {
        if (closed) throw new IllegalStateException("cuSPARSELt handle already destroyed");
        return handle;
    }

    /** {@code cusparseLtGetVersion}: the version encoded as in the header, e.g. 801 for 0.8.1. */
    public int version() {
        try (Arena local = Arena.ofConfined()) {
            MemorySegment version = local.allocate(ValueLayout.JAVA_INT);
            CusparseLtException.check("cusparseLtGetVersion", cusparseLt_h.cusparseLtGetVersion(segment(), version));
            return version.get(ValueLayout.JAVA_INT, 0);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            CusparseLtException.check("cusparseLtDestroy", cusparseLt_h.cusparseLtDestroy(handle));
        } finally {
            arena.close();
        }
    }
}
