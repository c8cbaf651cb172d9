package armor.runtime.cuda;

import java.util.Locale;

/** What {@code --device} asked for: {@code auto} (the GPU when it can be used, else the CPU), {@code cpu}, {@code cuda}. */
public enum DeviceRequest {
    AUTO, CPU, CUDA;

    /** Parses {@code auto|cpu|cuda} (any case); the error names the bad value and the accepted ones. */
    public static DeviceRequest parse(String value) {
        for (DeviceRequest r : values()) {
            if (r.name().equalsIgnoreCase(value.strip())) return r;
        }
        throw new IllegalArgumentException("'" + value + "' is not a device: expected auto, cpu or cuda");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
