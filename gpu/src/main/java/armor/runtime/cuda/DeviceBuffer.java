package armor.runtime.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * Device memory ({@code cuMemAlloc}), or a slice of it. {@link #address()} is the raw device address, for kernel
 * arguments and for the FFM calls into cuSPARSELt. Only the allocation itself frees on {@link #close()}; slices
 * share it.
 *
 * <p>Uploads and downloads are queued on the context's stream ({@code cuMemcpy*Async}) and waited for before they
 * return. On the stream, because the stream is {@code CU_STREAM_NON_BLOCKING}: a plain {@code cuMemcpyHtoD} runs on
 * the legacy stream, which is not ordered with it, so a copy could overwrite a buffer a queued kernel still reads,
 * and a kernel queued after it could read the buffer before the copy's DMA lands (for pageable host memory the
 * synchronous copy returns once the data is staged, not once it is on the device). Waited for, so the host array
 * may change as soon as the call returns and a download's values are there.
 */
public final class DeviceBuffer implements AutoCloseable {
    /** JCuda keeps the address in a protected field; a subclass is the supported way to read it. */
    private static final class AddressedPointer extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    private final AddressedPointer base;
    private final CUstream stream;
    private final long offset;
    private final long bytes;
    private final boolean owner;
    private boolean freed;

    private DeviceBuffer(AddressedPointer base, CUstream stream, long offset, long bytes, boolean owner) {
        this.base = base;
        this.stream = stream;
        this.offset = offset;
        this.bytes = bytes;
        this.owner = owner;
    }

    /** {@code bytes} of device memory on the current context (at least 1 byte), copied on {@code stream}. */
    static DeviceBuffer allocate(long bytes, CUstream stream) {
        if (bytes < 0) throw new IllegalArgumentException("device buffer of " + bytes + " bytes");
        AddressedPointer p = new AddressedPointer();
        cuMemAlloc(p, Math.max(1, bytes));
        return new DeviceBuffer(p, stream, 0, bytes, true);
    }

    public long address() {
        return base.address() + offset;
    }

    public long bytes() {
        return bytes;
    }

    /** A view of {@code length} bytes from {@code from}; it must not outlive this buffer. */
    public DeviceBuffer slice(long from, long length) {
        if (from < 0 || length < 0 || from + length > bytes) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + (from + length) + ") of a " + bytes + "-byte buffer");
        }
        return new DeviceBuffer(base, stream, offset + from, length, false);
    }

    private CUdeviceptr pointer() {
        if (freed) throw new IllegalStateException("device buffer already freed");
        return offset == 0 ? base : base.withByteOffset(offset);
    }

    private void checkFits(long n, String what) {
        if (n > bytes) throw new IllegalArgumentException(what + " of " + n + " bytes does not fit a " + bytes + "-byte buffer");
    }

    public void upload(float[] host) {
        checkFits(4L * host.length, "upload");
        toDevice(pointer(), Pointer.to(host), 4L * host.length);
    }

    public void upload(short[] host) {
        checkFits(2L * host.length, "upload");
        toDevice(pointer(), Pointer.to(host), 2L * host.length);
    }

    public void upload(int[] host) {
        checkFits(4L * host.length, "upload");
        toDevice(pointer(), Pointer.to(host), 4L * host.length);
    }

    /** Copies a host segment (e.g. a memory-mapped weight tensor) as it is, in pieces below 2 GiB. */
    public void upload(MemorySegment host) {
        checkFits(host.byteSize(), "upload");
        final long piece = 1L << 30;
        for (long at = 0; at < host.byteSize(); at += piece) {
            long n = Math.min(piece, host.byteSize() - at);
            MemorySegment part = host.asSlice(at, n);
            if (part.isNative()) {
                toDevice(pointer().withByteOffset(at), Pointer.to(part.asByteBuffer()), n);
            } else {
                toDevice(pointer().withByteOffset(at), Pointer.to(part.toArray(ValueLayout.JAVA_BYTE)), n);
            }
        }
    }

    public void download(float[] host) {
        checkFits(4L * host.length, "download");
        toHost(Pointer.to(host), pointer(), 4L * host.length);
    }

    public void download(short[] host) {
        checkFits(2L * host.length, "download");
        toHost(Pointer.to(host), pointer(), 2L * host.length);
    }

    public void download(int[] host) {
        checkFits(4L * host.length, "download");
        toHost(Pointer.to(host), pointer(), 4L * host.length);
    }

    /** One copy on the stream, after everything queued before it, finished before this returns. */
    private void toDevice(CUdeviceptr to, Pointer from, long n) {
        if (n == 0) return;
        cuMemcpyHtoDAsync(to, from, n, stream);
        cuStreamSynchronize(stream);
    }

    private void toHost(Pointer to, CUdeviceptr from, long n) {
        if (n == 0) return;
        cuMemcpyDtoHAsync(to, from, n, stream);
        cuStreamSynchronize(stream);
    }

    @Override
    public void close() {
        if (owner && !freed) cuMemFree(base);
        freed = true;
    }
}
