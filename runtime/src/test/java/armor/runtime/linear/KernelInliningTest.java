package armor.runtime.linear;

import armor.runtime.quant.Fp8Weights;
import armor.runtime.safetensors.WeightSource;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedObject;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No kernel, once C2 compiles it, calls a method that takes or returns a vector out of line. The Vector API is fast
 * only while every vector stays in registers: when C2 declines to inline a helper such as {@code Lanes.sum} into a
 * kernel (its node budget spent, or the helper already compiled on its own into a "medium" method), each vector
 * passed is boxed on the heap. Nothing else notices: results stay right, and the kernel runs at half speed or worse,
 * allocating gigabytes a second (batched bf16 decode did, docs/benchmarks.md, "Kernels cut to C2's inlining budget").
 *
 * <p>The JVM reports its inlining decisions as JFR events ({@code jdk.CompilerInlining}); this runs every row of the
 * table of weight formats through every kernel path (decode, small batches, prefill; token counts that leave
 * remainders) until C2 has compiled them, and lists each failed inline of a vector-typed method into a method of
 * {@code armor.runtime} compiled by C2, except at call sites C2 itself calls cold.
 */
class KernelInliningTest {
    private static final int ROWS = 40, COLS = 96;
    private static final int[] TOKENS = {1, 2, 3, 4, 5, 8, 9, 17, 33, 70};
    private static final Duration BUDGET = Duration.ofSeconds(25);

    @Test
    void kernelsCompiledByC2InlineEveryVectorHelperTheyCall() throws Exception {
        List<Linear> layers = new ArrayList<>();
        for (WeightFormat f : WeightFormat.values()) {
            WeightSource w = WeightFormatTest.checkpoint(f, ROWS, COLS);
            layers.add(LinearLoader.load(f.runnable() ? w : Fp8Weights.of(w), SparseLinearLoaderTest.P, COLS, ROWS));
        }
        Path file = Files.createTempFile("kernel-inlining", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.CompilerInlining");
            recording.enable("jdk.Compilation").withThreshold(Duration.ZERO);
            recording.start();
            Random rnd = new Random(1);
            float[] x = new float[TOKENS[TOKENS.length - 1] * COLS], y = new float[TOKENS[TOKENS.length - 1] * ROWS];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            long end = System.nanoTime() + BUDGET.toNanos();
            for (int round = 0; round < 4000 && System.nanoTime() < end; round++)
                for (Linear layer : layers)
                    for (int tokens : TOKENS) layer.forward(x, y, tokens);
            recording.stop();
            recording.dump(file);
        }
        try {
            Map<Long, String> c2Compiled = new HashMap<>();
            List<RecordedEvent> inlining = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                switch (e.getEventType().getName()) {
                    case "jdk.Compilation" -> {
                        RecordedMethod m = e.getValue("method");
                        if (e.getInt("compileLevel") == 4 && m.getType().getName().startsWith("armor.runtime."))
                            c2Compiled.put(e.getLong("compileId"), m.getType().getName() + "." + m.getName());
                    }
                    case "jdk.CompilerInlining" -> inlining.add(e);
                    default -> { }
                }
            }
            assertFalse(c2Compiled.isEmpty(), "no kernel was compiled by C2 within " + BUDGET + ": nothing was checked");
            TreeSet<String> boxed = new TreeSet<>();
            for (RecordedEvent e : inlining) {
                String kernel = c2Compiled.get(e.getLong("compileId"));
                if (kernel == null || e.getBoolean("succeeded")) continue;
                RecordedObject callee = e.getValue("callee");
                String type = callee.getString("type"), descriptor = callee.getString("descriptor");
                // methods of the Vector API itself fail to inline on paths the intrinsics replace (fallbacks); what
                // boxes is one of ours taking or returning a vector
                if (type.startsWith("jdk/incubator/vector/") || !descriptor.contains("jdk/incubator/vector/")) continue;
                // two reasons C2 gives only at call sites its profile calls cold (run less than a quarter as often as
                // the method; a boxed vector there costs little), and which come and go with compile order
                String message = e.getString("message");
                if (message.equals("already compiled into a medium method") || message.equals("callee is too large")) continue;
                boxed.add(kernel + " calls " + type.replace('/', '.') + "." + callee.getString("name")
                        + " out of line (" + message + ")");
            }
            assertTrue(boxed.isEmpty(), "vectors boxed in C2-compiled kernels (split the kernel or move the call):\n  "
                    + String.join("\n  ", boxed));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
