package armor.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** The CUDA devices the driver sees, through {@link cuda_h}. */
public final class CudaDevices {
    private CudaDevices() {}

    /** One device: ordinal, name, compute capability and memory. */
    public record Info(int ordinal, String name, int major, int minor, long totalMemory) {
        /** Sparse tensor cores (2:4) exist from Ampere, compute capability 8.0, on. */
        public boolean hasSparseTensorCores() {
            return major >= 8;
        }

        @Override
        public String toString() {
            return "cuda:" + ordinal + " " + name + " (sm_" + major + minor + ", " + (totalMemory >> 20) + " MiB)";
        }
    }

    /**
     * Every device of the machine.
     *
     * @throws CudaUnavailableException when the driver is missing or does not initialize, or there is no device
     */
    public static List<Info> list() {
        cuda_h.library();
        try (Arena arena = Arena.ofConfined()) {
            check("cuInit", cuda_h.cuInit(0));
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            check("cuDeviceGetCount", cuda_h.cuDeviceGetCount(value));
            int count = value.get(ValueLayout.JAVA_INT, 0);
            if (count == 0) throw new CudaUnavailableException("no CUDA device: the driver reports none");
            List<Info> devices = new ArrayList<>(count);
            MemorySegment name = arena.allocate(256);
            for (int ordinal = 0; ordinal < count; ordinal++) {
                check("cuDeviceGet", cuda_h.cuDeviceGet(value, ordinal));
                int device = value.get(ValueLayout.JAVA_INT, 0);
                check("cuDeviceGetName", cuda_h.cuDeviceGetName(name, 256, device));
                String deviceName = name.getString(0);
                check("cuDeviceGetAttribute",
                        cuda_h.cuDeviceGetAttribute(value, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR(), device));
                int major = value.get(ValueLayout.JAVA_INT, 0);
                check("cuDeviceGetAttribute",
                        cuda_h.cuDeviceGetAttribute(value, cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR(), device));
                int minor = value.get(ValueLayout.JAVA_INT, 0);
                check("cuDeviceTotalMem_v2", cuda_h.cuDeviceTotalMem_v2(value, device));
                devices.add(new Info(ordinal, deviceName, major, minor, value.get(ValueLayout.JAVA_LONG, 0)));
            }
            return devices;
        }
    }

    /**
     * The CUDA version the installed driver supports, as {@code cuDriverGetVersion} gives it: {@code 1000·major +
     * 10·minor} (13000 for CUDA 13.0; {@code nvidia-smi} shows it as "CUDA Version"). It bounds the PTX ISA the
     * driver can load.
     *
     * @throws CudaUnavailableException when the driver is missing or the call fails
     */
    public static int driverVersion() {
        cuda_h.library();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            check("cuDriverGetVersion", cuda_h.cuDriverGetVersion(value));
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Why no CUDA device can be used here, in one line starting with "no CUDA device", or a note that one exists. */
    public static String whyNoDevice() {
        try {
            List<Info> devices = list();
            return "a CUDA device is present (" + devices.getFirst() + "), so the failure is the library's";
        } catch (CudaUnavailableException e) {
            return e.getMessage().startsWith("no CUDA device") ? e.getMessage() : "no CUDA device: " + e.getMessage();
        }
    }

    private static void check(String call, int result) {
        if (result == cuda_h.CUDA_SUCCESS()) return;
        String reason = result == cuda_h.CUDA_ERROR_NO_DEVICE() ? "no CUDA device: " : "CUDA driver: ";
        throw new CudaUnavailableException(reason + call + " returned " + errorName(result));
    }

    private static String errorName(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(ValueLayout.ADDRESS);
            if (cuda_h.cuGetErrorName(result, text) != cuda_h.CUDA_SUCCESS()) return "CUresult " + result;
            return text.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0) + " (" + result + ")";
        }
    }
}
