package armor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code --device cuda} on generate, serve and bench: one line saying why not, exit 1, before any real work. */
class DeviceOnCommandsTest {
    private static final String MODEL = Path.of(System.getProperty("armor.shared", "../shared"), "models", "stories260K-hf").toString();

    private record Run(int exit, String err) {}

    private static Run run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    private static void assertStopsWithAReason(Run r) {
        assertEquals(1, r.exit(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), r.err());
        assertTrue(line.startsWith("armor: --device cuda: "), line);
    }

    @Test
    void generateServeAndBenchRefuseCudaWithTheReason() {
        assertStopsWithAReason(run("generate", "--model", MODEL, "--prompt", "Once", "--max-tokens", "2", "--device", "cuda"));
        assertStopsWithAReason(run("serve", "--model", MODEL, "--port", "0", "--device", "cuda"));
        assertStopsWithAReason(run("bench", "--preset", "qwen2.5-0.5b", "--device", "cuda"));
    }

    @Test
    void theDeviceIsCheckedBeforeAnyWeightsLoad() {
        // a folder that does not exist: loading it first would report the folder, not the device
        String missing = Path.of("no-such-model-folder").toString();
        assertStopsWithAReason(run("generate", "--model", missing, "--prompt", "Once", "--device", "cuda"));
        assertStopsWithAReason(run("chat", "--model", missing, "--device", "cuda"));
        assertStopsWithAReason(run("serve", "--model", missing, "--port", "0", "--device", "cuda"));
    }

    @Test
    void aBadDeviceIsAUsageError() {
        Run r = run("generate", "--model", MODEL, "--prompt", "Once", "--device", "tpu");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("'tpu' is not a device: expected auto, cpu or cuda"), r.err());
    }
}
