package armor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GpuCommandTest {
    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new GpuCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("armor: " + ex.getMessage());
            return 1;
        });
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    private static boolean hasDriver() {
        try {
            CudaDevices.list();
            return true;
        } catch (CudaUnavailableException e) {
            return false;
        }
    }

    @Test
    void reportsEveryPieceInOneLineEach() {
        Run r = run();
        assertEquals(0, r.exitCode(), r.err());
        String[] lines = r.out().strip().split("\\R");
        assertTrue(lines[0].startsWith("device:     "), r.out());
        assertTrue(lines[1].startsWith("driver:     "), r.out());
        assertTrue(r.out().contains("\ncuSPARSELt: "), r.out());
        assertTrue(r.out().contains("\ncuBLAS:     "), r.out());
        assertTrue(lines[lines.length - 1].startsWith("--device cuda: "), r.out());
        if (!hasDriver()) {
            assertTrue(lines[0].startsWith("device:     none (no NVIDIA driver: cannot load libcuda.so.1"), lines[0]);
            assertEquals("driver:     none (armor's kernels are PTX ISA 9.0: they need a driver for CUDA 13.0 or newer)",
                    lines[1]);
            assertTrue(lines[lines.length - 1].startsWith("--device cuda: not usable: no NVIDIA driver"), r.out());
        }
    }

    @Test
    void benchWithoutAGpuStopsWithTheReason() {
        assumeFalse(hasDriver(), "on a GPU machine --bench runs for real (docs/gpu.md): this test is for machines without one");
        Run r = run("--bench", "--tokens", "1");
        assertEquals(1, r.exitCode());
        String err = r.err().strip();
        assertTrue(err.startsWith("armor: no NVIDIA driver: cannot load libcuda.so.1"), err);
        assertFalse(err.contains("\n"), err);
        Run decode = run("--decode", "--preset", "qwen2.5-0.5b");
        assertEquals(1, decode.exitCode());
        assertTrue(decode.err().strip().startsWith("armor: no NVIDIA driver: cannot load libcuda.so.1"), decode.err());
    }

    @Test
    void unknownPresetIsNamed() {
        Run r = run("--decode", "--preset", "gpt-5");
        assertEquals(2, r.exitCode()); // bad usage, as bench-serve --preset
        assertTrue(r.err().contains("--preset gpt-5, expected one of llama-3.2-1b"), r.err());
    }
}
