package armor.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * FFM bindings for the few CUDA driver API functions ({@code cuda.h}, {@code libcuda.so.1}) that device probing
 * needs: initialization, device count, name, compute capability, memory, and error names. jextract style, as
 * {@link cusparseLt_h}. The driver ships with the NVIDIA kernel driver, not with the toolkit, so its absence is
 * the usual "no GPU here" signal; {@link #library()} turns it into a one-line {@link CudaUnavailableException}.
 */
@SuppressWarnings({"unused", "checkstyle:MethodName"})
public final class cuda_h {
    private cuda_h() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout C_POINTER = ValueLayout.ADDRESS;

    /** The driver library's soname; the dynamic linker finds it through ld.so.cache and LD_LIBRARY_PATH. */
    public static final String LIBRARY = "libcuda.so.1";

    // CUresult
    public static int CUDA_SUCCESS() {
        return 0;
    }

    public static int CUDA_ERROR_NOT_INITIALIZED() {
        return 3;
    }

    public static int CUDA_ERROR_NO_DEVICE() {
        return 100;
    }

    // CUdevice_attribute
    public static int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR() {
        return 75;
    }

    public static int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR() {
        return 76;
    }

    private static SharedLibrary library;
    private static CudaUnavailableException failure;

    /**
     * The driver library, opened on the first call.
     *
     * @throws CudaUnavailableException (every time, with the same message) when it cannot be opened
     */
    public static synchronized SharedLibrary library() {
        if (library == null && failure == null) {
            try {
                library = SharedLibrary.open(LIBRARY);
            } catch (CudaUnavailableException e) {
                failure = new CudaUnavailableException("no NVIDIA driver: " + e.getMessage(), e);
            }
        }
        if (failure != null) throw new CudaUnavailableException(failure.getMessage(), failure);
        return library;
    }

    private static MethodHandle downcallHandle(String name, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(library().find(name), descriptor);
    }

    private static RuntimeException rethrow(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CudaUnavailableException e) return e;
        }
        if (t instanceof RuntimeException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("CUDA driver downcall failed: " + t, t);
    }

    private static final class cuInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuInit", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuInit(unsigned int Flags); } */
    public static FunctionDescriptor cuInit$descriptor() {
        return cuInit.DESC;
    }

    public static int cuInit(int Flags) {
        try {
            return (int) cuInit.Bound.HANDLE.invokeExact(Flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuDriverGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuDriverGetVersion", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuDriverGetVersion(int *driverVersion); } */
    public static FunctionDescriptor cuDriverGetVersion$descriptor() {
        return cuDriverGetVersion.DESC;
    }

    public static int cuDriverGetVersion(MemorySegment driverVersion) {
        try {
            return (int) cuDriverGetVersion.Bound.HANDLE.invokeExact(driverVersion);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuDeviceGetCount {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuDeviceGetCount", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuDeviceGetCount(int *count); } */
    public static FunctionDescriptor cuDeviceGetCount$descriptor() {
        return cuDeviceGetCount.DESC;
    }

    public static int cuDeviceGetCount(MemorySegment count) {
        try {
            return (int) cuDeviceGetCount.Bound.HANDLE.invokeExact(count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuDeviceGet {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuDeviceGet", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuDeviceGet(CUdevice *device, int ordinal); } */
    public static FunctionDescriptor cuDeviceGet$descriptor() {
        return cuDeviceGet.DESC;
    }

    public static int cuDeviceGet(MemorySegment device, int ordinal) {
        try {
            return (int) cuDeviceGet.Bound.HANDLE.invokeExact(device, ordinal);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuDeviceGetName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuDeviceGetName", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuDeviceGetName(char *name, int len, CUdevice dev); } */
    public static FunctionDescriptor cuDeviceGetName$descriptor() {
        return cuDeviceGetName.DESC;
    }

    public static int cuDeviceGetName(MemorySegment name, int len, int dev) {
        try {
            return (int) cuDeviceGetName.Bound.HANDLE.invokeExact(name, len, dev);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuDeviceGetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuDeviceGetAttribute", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev); } */
    public static FunctionDescriptor cuDeviceGetAttribute$descriptor() {
        return cuDeviceGetAttribute.DESC;
    }

    public static int cuDeviceGetAttribute(MemorySegment pi, int attrib, int dev) {
        try {
            return (int) cuDeviceGetAttribute.Bound.HANDLE.invokeExact(pi, attrib, dev);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuDeviceTotalMem_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuDeviceTotalMem_v2", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev); } */
    public static FunctionDescriptor cuDeviceTotalMem_v2$descriptor() {
        return cuDeviceTotalMem_v2.DESC;
    }

    public static int cuDeviceTotalMem_v2(MemorySegment bytes, int dev) {
        try {
            return (int) cuDeviceTotalMem_v2.Bound.HANDLE.invokeExact(bytes, dev);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuGetErrorName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuGetErrorName", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuGetErrorName(CUresult error, const char **pStr); } */
    public static FunctionDescriptor cuGetErrorName$descriptor() {
        return cuGetErrorName.DESC;
    }

    public static int cuGetErrorName(int error, MemorySegment pStr) {
        try {
            return (int) cuGetErrorName.Bound.HANDLE.invokeExact(error, pStr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class cuGetErrorString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER);

        private static final class Bound {
            static final MethodHandle HANDLE = downcallHandle("cuGetErrorString", DESC);
        }
    }

    /** {@snippet lang=c : CUresult cuGetErrorString(CUresult error, const char **pStr); } */
    public static FunctionDescriptor cuGetErrorString$descriptor() {
        return cuGetErrorString.DESC;
    }

    public static int cuGetErrorString(int error, MemorySegment pStr) {
        try {
            return (int) cuGetErrorString.Bound.HANDLE.invokeExact(error, pStr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

}
