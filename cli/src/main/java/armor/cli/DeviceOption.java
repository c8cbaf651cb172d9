package armor.cli;

import armor.cuda.CudaUnavailableException;
import armor.runtime.cuda.CudaProbe;
import armor.runtime.cuda.Device;
import armor.runtime.cuda.DeviceRequest;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Option;

/**
 * The {@code --device auto|cpu|cuda} option, for commands that run a model ({@code generate}, {@code serve},
 * {@code bench}): add {@code @Mixin DeviceOption device;} and call {@link #select(PrintWriter)} once before loading.
 * {@code cuda} without a usable GPU fails the command with the one-line reason (exit 1); {@code auto} falls back to
 * the CPU and prints one line saying why.
 */
public final class DeviceOption {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda", converter = Converter.class,
            description = "Where to run the model: cuda (NVIDIA GPU, Ampere or newer, with cuSPARSELt 0.8), cpu, or "
                    + "auto: the GPU when usable, else the CPU (default: ${DEFAULT-VALUE}).")
    DeviceRequest request = DeviceRequest.AUTO;

    CudaProbe probe = CudaProbe.system();

    public DeviceRequest request() {
        return request;
    }

    /**
     * The device to run on; {@code auto}'s fallback notice goes to {@code err}.
     *
     * @throws armor.cuda.CudaUnavailableException for {@code cuda} where the GPU path cannot run
     */
    public Device select(PrintWriter err) {
        return Device.select(request, probe, line -> {
            err.println("armor: " + line);
            err.flush();
        });
    }

    /**
     * For commands that run on the CPU only so far: {@code cpu} passes without looking for a GPU; {@code auto} passes
     * and says once why it runs on the CPU (no usable GPU, or a usable one this command does not drive yet);
     * {@code cuda} stops with the reason the GPU cannot be used, or, where it could, with the note that this command
     * does not drive it yet ({@code armor gpu --decode} measures the GPU decoder).
     */
    public void requireCpu(PrintStream err) {
        if (request == DeviceRequest.CPU) return;
        Device d = select(new PrintWriter(err, true));
        if (d.kind() == Device.Kind.CPU) return;
        if (request == DeviceRequest.CUDA) {
            throw new CudaUnavailableException("--device cuda: " + d.description() + " is usable, but this command "
                    + "does not run on the GPU yet (armor gpu --decode times the GPU decoder)");
        }
        // auto on a machine whose GPU path is usable: the CPU it is, said once like auto's other fallbacks
        if (GPU_NOT_DRIVEN_NOTICE_GIVEN.compareAndSet(false, true)) {
            err.println("armor: device: cpu (" + d.description() + " is usable, but this command does not run on "
                    + "the GPU yet)");
            err.flush();
        }
    }

    /**
     * {@link #requireCpu}'s refusal of {@code cuda}, made before any weights load so that it costs no loading time;
     * {@code auto}'s notice waits for {@code requireCpu} after loading, so a load error stays the only line.
     */
    public void refuseCudaBeforeLoading(PrintStream err) {
        if (request == DeviceRequest.CUDA) requireCpu(err);
    }

    private static final AtomicBoolean GPU_NOT_DRIVEN_NOTICE_GIVEN = new AtomicBoolean();

    /** Lets a test see the once-per-process notice again. */
    static void resetNoticeForTests() {
        GPU_NOT_DRIVEN_NOTICE_GIVEN.set(false);
    }

    static final class Converter implements ITypeConverter<DeviceRequest> {
        @Override
        public DeviceRequest convert(String value) {
            try {
                return DeviceRequest.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage()); // picocli then names the option, not the class
            }
        }
    }
}
