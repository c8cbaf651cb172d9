package armor.runtime.safetensors;

import armor.runtime.sparse.SparseCheckpointWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A checkpoint writer killed mid-way (quantize, export --dense) leaves {@code .OUT.tmp-*}; the next writer of the
 * same output deletes it, but not the folder of a writer that is still running or one on another host.
 */
class OutputTempFolderTest {
    static final Path STORIES = Path.of(System.getProperty("armor.shared", "../shared"), "models/stories260K-hf");

    @TempDir
    Path tmp;

    @Test
    void theNextWriterDeletesTheFoldersOfDeadWritersOnly() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long deadPid = p.pid();
        String host = OutputTempFolder.host();
        Path out = tmp.resolve("out");
        Path dead = Files.createDirectory(tmp.resolve(".out.tmp-" + deadPid + "@" + host + "-123"));
        Files.write(dead.resolve("shard-00000.safetensors"), new byte[1 << 16]);
        Path live = Files.createDirectory(tmp.resolve(".out.tmp-" + ProcessHandle.current().pid() + "@" + host + "-456"));
        Path elsewhere = Files.createDirectory(tmp.resolve(".out.tmp-" + deadPid + "@otherhost.example-789"));
        Path unrelated = Files.createDirectory(tmp.resolve(".other.tmp-" + deadPid + "@" + host + "-1"));

        SparseCheckpointWriter.create(STORIES, out).close();

        assertFalse(Files.exists(dead), "the folder of a writer that died is deleted");
        assertTrue(Files.isDirectory(live), "a running writer's folder stays");
        assertTrue(Files.isDirectory(elsewhere), "another host's writer may still be running");
        assertTrue(Files.isDirectory(unrelated), "another output's folder is not touched");
        try (var left = Files.list(tmp)) {
            assertEquals(3, left.filter(f -> f.getFileName().toString().contains(".tmp-")).count(),
                    "the writer that was closed deleted its own folder");
        }
    }
}
