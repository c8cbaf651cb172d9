package armor.runtime.cuda;

import armor.cuda.CudaUnavailableException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Where the model runs: the CPU, or a CUDA device. {@link #select} turns a {@code --device} request into one:
 * {@code cpu} always gives the CPU; {@code cuda} gives the GPU or stops with the one-line reason it cannot be
 * used; {@code auto} (the default) gives the GPU when it can be used, else the CPU, saying so once per process.
 */
public record Device(Kind kind, String description) {
    public enum Kind { CPU, CUDA }

    public static final Device CPU = new Device(Kind.CPU, "cpu");

    private static final AtomicBoolean AUTO_NOTICE_GIVEN = new AtomicBoolean();

    public Device {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(description);
    }

    /** {@link #select(DeviceRequest, CudaProbe, Consumer)} on this machine. */
    public static Device select(DeviceRequest request, Consumer<String> notice) {
        return select(request, CudaProbe.system(), notice);
    }

    /**
     * @param notice receives the one line that says {@code auto} fell back to the CPU, and why (once per process)
     * @throws CudaUnavailableException for {@code cuda} when the GPU path cannot run here; the message is the reason
     */
    public static Device select(DeviceRequest request, CudaProbe probe, Consumer<String> notice) {
        return switch (request) {
            case CPU -> CPU;
            case CUDA -> switch (probe.probe()) {
                case CudaSupport.Usable u -> cuda(u);
                case CudaSupport.Unusable u -> throw new CudaUnavailableException("--device cuda: " + u.reason());
            };
            case AUTO -> switch (probe.probe()) {
                case CudaSupport.Usable u -> cuda(u);
                case CudaSupport.Unusable u -> {
                    if (AUTO_NOTICE_GIVEN.compareAndSet(false, true)) notice.accept("device: cpu (" + u.reason() + ")");
                    yield CPU;
                }
            };
        };
    }

    private static Device cuda(CudaSupport.Usable u) {
        return new Device(Kind.CUDA, u.device() + ", cuSPARSELt " + u.cusparseLt());
    }

    /** Lets a test see the once-per-process notice again. */
    static void resetNoticeForTests() {
        AUTO_NOTICE_GIVEN.set(false);
    }
}
