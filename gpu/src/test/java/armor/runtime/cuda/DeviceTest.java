package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtLibrary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeviceTest {
    private static final CudaProbe NO_DRIVER = () -> new CudaSupport.Unusable(
            "no NVIDIA driver: cannot load libcuda.so.1: libcuda.so.1: cannot open shared object file");
    private static final CudaProbe A100 = () -> new CudaSupport.Usable(
            new CudaDevices.Info(0, "NVIDIA A100-SXM4-80GB", 8, 0, 80L << 30), new CusparseLtLibrary.Version(0, 8, 1));
    private static final CudaProbe MUST_NOT_PROBE = () -> {
        throw new AssertionError("--device cpu must not look for a GPU");
    };

    private final List<String> notices = new ArrayList<>();

    @BeforeEach
    void reset() {
        Device.resetNoticeForTests();
    }

    @Test
    void cpuNeverProbes() {
        assertEquals(Device.CPU, Device.select(DeviceRequest.CPU, MUST_NOT_PROBE, notices::add));
        assertEquals(List.of(), notices);
    }

    @Test
    void cudaWithoutAGpuStopsWithTheReason() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> Device.select(DeviceRequest.CUDA, NO_DRIVER, notices::add));
        assertEquals("--device cuda: no NVIDIA driver: cannot load libcuda.so.1: libcuda.so.1: cannot open shared "
                + "object file", e.getMessage());
    }

    @Test
    void autoFallsBackToTheCpuAndSaysSoOnce() {
        assertEquals(Device.CPU, Device.select(DeviceRequest.AUTO, NO_DRIVER, notices::add));
        assertEquals(Device.CPU, Device.select(DeviceRequest.AUTO, NO_DRIVER, notices::add));
        assertEquals(List.of("device: cpu (no NVIDIA driver: cannot load libcuda.so.1: libcuda.so.1: cannot open "
                + "shared object file)"), notices);
    }

    @Test
    void aUsableGpuIsTakenByAutoAndCuda() {
        Device auto = Device.select(DeviceRequest.AUTO, A100, notices::add);
        assertEquals(Device.Kind.CUDA, auto.kind());
        assertEquals("cuda:0 NVIDIA A100-SXM4-80GB (sm_80, 81920 MiB), cuSPARSELt 0.8.1", auto.description());
        assertEquals(auto, Device.select(DeviceRequest.CUDA, A100, notices::add));
        assertEquals(List.of(), notices);
    }

    @Test
    void parsesTheOptionValues() {
        assertEquals(DeviceRequest.AUTO, DeviceRequest.parse("auto"));
        assertEquals(DeviceRequest.CUDA, DeviceRequest.parse("CUDA"));
        assertEquals(DeviceRequest.CPU, DeviceRequest.parse(" cpu "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceRequest.parse("gpu"));
        assertEquals("'gpu' is not a device: expected auto, cpu or cuda", e.getMessage());
    }

    /** On this machine: whatever the probe finds, its answer is one line, and auto always yields a device. */
    @Test
    void systemProbeAnswersInOneLine() {
        CudaSupport support = CudaProbe.system().probe();
        if (support instanceof CudaSupport.Unusable u) {
            assertFalse(u.reason().isBlank());
            assertFalse(u.reason().contains("\n"), u.reason());
            assertEquals(Device.CPU, Device.select(DeviceRequest.AUTO, notices::add));
            assertEquals(1, notices.size());
            assertTrue(notices.getFirst().startsWith("device: cpu ("), notices.getFirst());
        } else {
            assertEquals(Device.Kind.CUDA, Device.select(DeviceRequest.AUTO, notices::add).kind());
        }
    }
}
