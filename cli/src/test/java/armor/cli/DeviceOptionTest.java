package armor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtLibrary;
import armor.runtime.cuda.CudaSupport;
import armor.runtime.cuda.Device;
import armor.runtime.cuda.DeviceRequest;
import armor.runtime.cuda.PtxDriverRequirement;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class DeviceOptionTest {
    @Command(name = "probe-device")
    static final class ProbeCommand implements Callable<Integer> {
        @Mixin
        DeviceOption device;

        Device chosen;

        @Override
        public Integer call() {
            device.probe = () -> new CudaSupport.Unusable("no NVIDIA driver: cannot load libcuda.so.1");
            chosen = device.select(new PrintWriter(new StringWriter()));
            return 0;
        }
    }

    private record Run(int exitCode, String err, ProbeCommand command) {}

    /** Runs the command the way {@link Main#run} does: execution errors become "armor: message", exit 1. */
    private static Run run(String... args) {
        ProbeCommand command = new ProbeCommand();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command).setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("armor: " + ex.getMessage());
            return 1;
        });
        return new Run(cl.execute(args), err.toString(), command);
    }

    @Test
    void defaultIsAutoAndCpuIsAccepted() {
        Run auto = run();
        assertEquals(0, auto.exitCode());
        assertEquals(DeviceRequest.AUTO, auto.command().device.request());
        assertEquals(Device.CPU, auto.command().chosen);
        Run cpu = run("--device", "cpu");
        assertEquals(0, cpu.exitCode());
        assertEquals(Device.CPU, cpu.command().chosen);
    }

    @Test
    void cudaWithoutAGpuFailsWithOneLine() {
        Run r = run("--device", "cuda");
        assertEquals(1, r.exitCode());
        assertEquals("armor: --device cuda: no NVIDIA driver: cannot load libcuda.so.1" + System.lineSeparator(), r.err());
    }

    @Test
    void unknownDeviceIsAUsageError() {
        Run r = run("--device", "gpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("'gpu' is not a device: expected auto, cpu or cuda"), r.err());
    }

    /** A probe that finds a usable GPU path, as it will the day {@code CudaBackend.MODEL_BACKEND_READY} flips. */
    private static DeviceOption usableGpu(DeviceRequest request) {
        DeviceOption o = new DeviceOption();
        o.request = request;
        o.probe = () -> new CudaSupport.Usable(new CudaDevices.Info(0, "NVIDIA H100", 9, 0, 80L << 30),
                new CusparseLtLibrary.Version(0, 8, 1));
        return o;
    }

    /** CPU-only commands on a GPU host: auto runs on the CPU and says why; cuda stops with the reason; cpu is silent. */
    @Test
    void cpuOnlyCommandsOnAUsableGpuHost() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
        DeviceOption.resetNoticeForTests();
        usableGpu(DeviceRequest.AUTO).requireCpu(ps); // no exception: the command goes on on the CPU
        usableGpu(DeviceRequest.AUTO).requireCpu(ps); // said once per process
        String said = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, said.lines().count(), said);
        assertTrue(said.startsWith("armor: device: cpu (") && said.contains("NVIDIA H100")
                && said.strip().endsWith("is usable, but this command does not run on the GPU yet)"), said);
        String msg = assertThrows(CudaUnavailableException.class, () -> usableGpu(DeviceRequest.CUDA).requireCpu(ps))
                .getMessage();
        assertTrue(msg.startsWith("--device cuda: ") && msg.endsWith("is usable, but this command does not run on the "
                + "GPU yet (armor gpu --decode times the GPU decoder)"), msg);
        DeviceOption cpu = usableGpu(DeviceRequest.CPU);
        cpu.probe = () -> {
            throw new AssertionError("--device cpu must not look for a GPU");
        };
        cpu.requireCpu(ps);
    }

    /** A GPU whose driver is too old for the kernels' PTX: cuda is refused before loading, with the driver line. */
    @Test
    void cudaOnATooOldDriverIsRefusedBeforeLoading() {
        String tooOld = PtxDriverRequirement.kernels().refusal(12080);
        DeviceOption o = new DeviceOption();
        o.request = DeviceRequest.CUDA;
        o.probe = () -> new CudaSupport.Unusable(tooOld);
        PrintStream err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        String msg = assertThrows(CudaUnavailableException.class, () -> o.refuseCudaBeforeLoading(err)).getMessage();
        assertEquals("--device cuda: NVIDIA driver too old: it supports CUDA 12.8 (cuDriverGetVersion 12080), but "
                + "armor's kernels are PTX ISA 9.0, which needs CUDA 13.0 (13000) or newer; install an NVIDIA driver for "
                + "CUDA 13.0 or newer, or rebuild the PTX with an older nvcc (gpu/src/main/cuda/build-ptx.sh)", msg);
    }
}
