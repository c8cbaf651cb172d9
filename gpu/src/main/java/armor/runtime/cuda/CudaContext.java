package armor.runtime.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device through JCuda's driver API: its primary context (the one the CUDA runtime, and so cuSPARSELt
 * and cuBLAS, use too), one stream, and armor's kernels loaded from the shipped PTX. The context is made current on
 * the thread that opens it; other threads call {@link #makeCurrent()} first.
 *
 * <p>Only open this after {@link CudaProbe} found a device: JCuda's native library needs {@code libcuda.so.1}.
 */
public final class CudaContext implements AutoCloseable {
    /** The driver caps dynamic shared memory at 48 KiB unless a kernel opts in to more. */
    private static final int DEFAULT_DYNAMIC_SHARED = 48 * 1024;

    private final CUdevice device;
    private final CUcontext context;
    private final AddressedStream stream;
    private final CUmodule module;
    private final Map<CudaKernel, CUfunction> functions = new EnumMap<>(CudaKernel.class);
    private final Map<CudaKernel, Integer> sharedLimit = new EnumMap<>(CudaKernel.class);
    private boolean closed;

    private static final class AddressedStream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    private CudaContext(CUdevice device, CUcontext context, AddressedStream stream, CUmodule module) {
        this.device = device;
        this.context = context;
        this.stream = stream;
        this.module = module;
    }

    /**
     * Opens device {@code ordinal}, creates a stream and loads the kernels (the driver JIT-compiles the PTX).
     *
     * @throws armor.cuda.CudaUnavailableException when the driver is too old for the kernels' PTX
     *     ({@link PtxDriverRequirement}), before anything is set up
     */
    public static CudaContext open(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        int[] driverVersion = new int[1];
        cuDriverGetVersion(driverVersion);
        PtxDriverRequirement.kernels().check(driverVersion[0]); // before the driver refuses the PTX with an error code
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        CUcontext context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        AddressedStream stream = null;
        CUmodule module = null;
        try {
            cuCtxSetCurrent(context);
            AddressedStream s = new AddressedStream();
            cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING);
            stream = s;
            CUmodule m = new CUmodule();
            byte[] ptx = (CudaKernel.ptx() + "\0").getBytes(StandardCharsets.US_ASCII);
            cuModuleLoadData(m, ptx);
            module = m;
            CudaContext c = new CudaContext(device, context, stream, module);
            for (CudaKernel k : CudaKernel.values()) {
                CUfunction f = new CUfunction();
                cuModuleGetFunction(f, module, k.entry());
                c.functions.put(k, f);
            }
            return c;
        } catch (RuntimeException e) {
            // undo what was set up, so a failed open (e.g. a driver too old for the PTX) leaks nothing
            if (module != null) cuModuleUnload(module);
            if (stream != null) cuStreamDestroy(stream);
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    /** The device's compute capability as {@code 10·major + minor} (e.g. 80 for A100, 89 for L4, 90 for H100). */
    public int computeCapability() {
        int[] major = new int[1], minor = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        return 10 * major[0] + minor[0];
    }

    public void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    /** The stream as a raw {@code cudaStream_t}, for cuSPARSELt and cuBLAS calls through FFM. */
    public long streamAddress() {
        return stream.address();
    }

    public DeviceBuffer allocate(long bytes) {
        return DeviceBuffer.allocate(bytes, stream);
    }

    /**
     * Launches {@code kernel} on this context's stream with a {@code gridX × gridY} grid of {@code block} threads
     * and {@code sharedBytes} of dynamic shared memory; {@code args} as {@link CudaKernel#checkArguments}.
     */
    public void launch(CudaKernel kernel, int gridX, int gridY, int block, int sharedBytes, Object... args) {
        kernel.checkArguments(args);
        CUfunction f = functions.get(kernel);
        if (sharedBytes > sharedLimit.getOrDefault(kernel, DEFAULT_DYNAMIC_SHARED)) {
            cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes);
            sharedLimit.put(kernel, sharedBytes);
        }
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case DeviceBuffer b -> Pointer.to(new long[] {b.address()});
                case Long address -> Pointer.to(new long[] {address});
                case Integer v -> Pointer.to(new int[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException("unexpected kernel argument " + args[i]);
            };
        }
        cuLaunchKernel(f, gridX, gridY, 1, block, 1, 1, sharedBytes, stream, Pointer.to(params), null);
    }

    /** Waits for everything queued on the stream. */
    public void synchronize() {
        cuStreamSynchronize(stream);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        cuModuleUnload(module);
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
    }
}
