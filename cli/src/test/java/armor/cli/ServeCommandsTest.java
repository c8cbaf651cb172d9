package armor.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code serve} and {@code bench-serve} from the command line: usage errors and a small benchmark run. */
class ServeCommandsTest {
    static final Path STORIES = Path.of(System.getProperty("armor.shared", "../shared")).resolve("models/stories260K-hf");

    /** Runs the CLI and returns {exit code, stdout}. */
    static Object[] run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Object[] {code, buf.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void badServerOptionsAreUsageErrors() {
        assertEquals(2, run("serve", "--model", STORIES.toString(), "--max-batch", "0")[0]);
        assertEquals(2, run("serve", "--model", STORIES.toString(), "--port", "70000")[0]);
        assertEquals(2, run("serve", "--model", STORIES.toString(), "--max-n", "0")[0]);
        assertEquals(2, run("bench-serve", "--model", STORIES.toString(), "--concurrency", "0")[0]);
        assertEquals(2, run("bench-serve", "--preset", "gpt-5")[0]);
        assertEquals(2, run("bench-serve", "--kinds", "dense,3:4")[0]);
        assertEquals(2, run("bench-serve", "--model", STORIES.toString(), "--kinds", "2:4")[0]); // a folder runs as stored
        assertEquals(2, run("bench-serve", "--model", STORIES.toString(), "--repetitions", "0")[0]);
        assertEquals(2, run("bench-serve", "--model", STORIES.toString(), "--warmup-seconds", "-1")[0]);
        assertEquals(1, run("serve", "--model", STORIES.resolveSibling("no-such-model").toString())[0]);
    }

    @Test
    void benchServePrintsOneRowPerConcurrency() {
        Object[] r = run("bench-serve", "--model", STORIES.toString(), "--tokens", "8", "--concurrency", "1,4",
                "--warmup-seconds", "0", "--repetitions", "3");
        assertEquals(0, r[0]);
        String out = (String) r[1];
        String[] lines = out.strip().split("\n");
        assertEquals(STORIES.toString(), lines[0], "the table is headed by what was measured");
        assertTrue(lines[1].startsWith("float32 FMA peak "), out);
        assertTrue(lines[2].startsWith("concurrency"), out);
        assertTrue(lines[2].endsWith("range of runs"), out);
        assertTrue(lines[3].matches("1\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+1\\.00x\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9]+%\\s+[0-9.]+-[0-9.]+"), out);
        assertTrue(lines[4].startsWith("4 "), out);
        for (String row : new String[] {lines[3], lines[4]}) { // the row is the median run: inside the range of all
            String[] f = row.trim().split("\\s+");
            String[] range = f[f.length - 1].split("-");
            double median = Double.parseDouble(f[1]), low = Double.parseDouble(range[0]), high = Double.parseDouble(range[1]);
            assertTrue(low <= median && median <= high, row);
        }
    }
}
