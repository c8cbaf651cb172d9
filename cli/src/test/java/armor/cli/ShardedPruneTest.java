package armor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.cli.RuntimeCommandsTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code armor prune} over several workers: determinism across thread counts and JVMs, {@code --stage stats},
 * {@code --shard i/N} then assembling, a killed shard, {@code --plan}, and the bad inputs of each.
 * The reference is always a plain one-machine run in this JVM; the others run in fresh JVMs (another JIT history)
 * with other thread counts, and must write the same bytes.
 */
class ShardedPruneTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final String STORIES = SHARED.resolve("models/stories260K-hf").toString();
    static final String TEXT = SHARED.resolve("data/tinystories/tinystories.txt").toString();

    @TempDir
    static Path tmp;
    static Path reference;

    static List<String> args(String method, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("prune", "--model", STORIES, "--method", method, "--calib", TEXT,
                "--windows", "0:16", "--seq", "64", "--block", "4", "--iters", "60", "--out", out.toString()));
        a.addAll(List.of(more));
        return a;
    }

    static Run cli(List<String> a) {
        return RuntimeCommandsTest.run(a.toArray(String[]::new));
    }

    /** A fresh JVM with {@code -Darmor.threads=threads}, as the launcher runs one. */
    static Process jvm(int threads, List<String> a) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Darmor.threads=" + threads, "-cp", System.getProperty("java.class.path"), "armor.cli.Main"));
        cmd.addAll(a);
        Path log = Files.createTempFile(tmp, "child", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        LOGS.put(p, log);
        return p;
    }

    static final java.util.Map<Process, Path> LOGS = new java.util.concurrent.ConcurrentHashMap<>();

    static void finish(Process p) throws Exception {
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), () -> {
            try {
                return "child JVM exit code; its output:\n" + Files.readString(LOGS.get(p));
            } catch (IOException e) {
                return e.toString();
            }
        });
    }

    static void assertSameCheckpoint(Path expected, Path got) throws IOException {
        for (String f : new String[] {"model.safetensors", "config.json"}) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(f)), Files.readAllBytes(got.resolve(f)),
                    got + "/" + f + " differs from the one-machine run");
        }
    }

    static Path work(Path out) {
        return out.getParent().resolve("." + out.getFileName() + ".armor-work");
    }

    /** Names and sizes under {@code dir} (two levels), skipping temporary files a live worker may remove. */
    static List<String> listing(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        List<String> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().endsWith(".tmp") || p.getFileName().toString().startsWith("child")) continue;
                all.add(p.getFileName() + (Files.isRegularFile(p) ? ":" + p.toFile().length() : "/"));
                if (Files.isDirectory(p)) for (String sub : listing(p)) all.add(p.getFileName() + "/" + sub);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return listing(dir); // a folder vanished under us (a worker finished): look again
        }
        all.sort(null);
        return all;
    }

    @BeforeAll
    static void oneMachineRun() {
        reference = tmp.resolve("reference");
        Run r = cli(args("armor", reference, "--threads", "2"));
        assertEquals(0, r.exit(), r.err());
    }

    @Test
    void anotherThreadCountInAFreshJvmWritesTheSameBytes() throws Exception {
        // the reference ran here with 2 workers and the pool's default; this one in a new JVM with 1 and 1
        // (the shards below run in fresh JVMs with 1 and 2 threads too)
        Path one = tmp.resolve("threads1");
        finish(jvm(1, args("armor", one, "--threads", "1")));
        assertSameCheckpoint(reference, one);
    }

    @Test
    void statsThenShardsThenAssembleEqualsTheOneMachineRun() throws Exception {
        Path out = tmp.resolve("sharded");
        // the calibration pass split by samples: 16 windows = chunks 0 and 1 of 8 samples, one per stats shard
        Run stats1 = cli(args("armor", out, "--stage", "stats", "--shard", "1/2"));
        assertEquals(0, stats1.exit(), stats1.err());
        assertTrue(Files.isRegularFile(work(out).resolve("statistics-chunk-00001.safetensors")));
        assertFalse(Files.exists(work(out).resolve("statistics-chunk-00000.safetensors")));
        assertFalse(Files.exists(work(out).resolve("statistics.safetensors")), "assembled only when complete");
        Run stats0 = cli(args("armor", out, "--stage", "stats", "--shard", "0/2"));
        assertEquals(0, stats0.exit(), stats0.err());
        assertTrue(Files.isRegularFile(work(out).resolve("statistics.safetensors")));
        assertFalse(Files.exists(out));
        // shard 1 in another JVM with one thread, shard 0 here; then shard 2 twice at once (same index, no harm)
        Process p1 = jvm(1, args("armor", out, "--shard", "1/3", "--threads", "1"));
        Run s0 = cli(args("armor", out, "--shard", "0/3"));
        assertEquals(0, s0.exit(), s0.err());
        finish(p1);
        assertTrue(s0.out().contains("--shard 0/3: "), s0.out());
        // before the last shard: assembling refuses, names the missing projections and their shard, writes nothing
        List<String> before = listing(work(out));
        Run early = cli(args("armor", out));
        assertEquals(2, early.exit(), early.err());
        String error = early.err().lines().filter(l -> l.startsWith("armor: cannot")).findFirst().orElse(early.err());
        assertTrue(error.contains("cannot assemble: 12 of 35 projections missing"), error);
        assertTrue(error.contains("shard 2/3 (model.layers."), error);
        assertFalse(error.contains("shard 0/3") || error.contains("shard 1/3"), error);
        assertEquals(before, listing(work(out)));
        assertFalse(Files.exists(out));
        // a shard with another count refuses
        Run otherCount = cli(args("armor", out, "--shard", "0/4"));
        assertEquals(2, otherCount.exit(), otherCount.err());
        assertTrue(otherCount.err().contains("split into 3 shards"), otherCount.err());
        Process twin = jvm(2, args("armor", out, "--shard", "2/3", "--threads", "1"));
        Run s2 = cli(args("armor", out, "--shard", "2/3", "--threads", "1"));
        assertEquals(0, s2.exit(), s2.err());
        finish(twin);
        Run assemble = cli(args("armor", out));
        assertEquals(0, assemble.exit(), assemble.err());
        assertSameCheckpoint(reference, out);
        assertFalse(Files.exists(work(out)), "work folder removed after assembling");
    }

    @Test
    void aKilledShardRerunGivesTheSameCheckpoint() throws Exception {
        Path out = tmp.resolve("killed");
        Process victim = jvm(1, args("armor", out, "--shard", "0/2", "--threads", "1"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        // kill it once it has saved its first projection (and is busy with the next)
        while (listing(work(out)).stream().noneMatch(f -> f.startsWith("model.layers."))) {
            assertTrue(victim.isAlive(), "the shard finished before it could be killed");
            assertTrue(System.nanoTime() < deadline, "no projection saved within 120 s");
            Thread.sleep(20);
        }
        victim.destroyForcibly().waitFor();
        long saved = listing(work(out)).stream().filter(f -> f.startsWith("model.layers.")).count();
        Run rerun = cli(args("armor", out, "--shard", "0/2"));
        assertEquals(0, rerun.exit(), rerun.err());
        assertTrue(rerun.err().contains("resuming: "), rerun.err());
        Run other = cli(args("armor", out, "--shard", "1/2"));
        assertEquals(0, other.exit(), other.err());
        Run assemble = cli(args("armor", out));
        assertEquals(0, assemble.exit(), assemble.err());
        assertTrue(saved >= 1);
        assertSameCheckpoint(reference, out);
    }

    @Test
    void planPrintsShapesAndEstimatesAndWritesNothing() throws IOException {
        Path out = tmp.resolve("plan");
        List<String> before = listing(tmp);
        Run plan = cli(args("armor", out, "--plan"));
        assertEquals(0, plan.exit(), plan.err());
        assertTrue(plan.out().contains("model.layers.4.mlp.down_proj") && plan.out().contains("64×172"), plan.out());
        assertTrue(plan.out().matches("(?s).*measured: ARMOR, \\d+ iterations of .* s/iteration.*"), plan.out());
        assertTrue(plan.out().matches("(?s).*refit after ARMOR: about [0-9.]+ (s|min|h) .*"), plan.out());
        Run noRefit = cli(args("armor", out, "--plan", "--no-refit"));
        assertEquals(0, noRefit.exit(), noRefit.err());
        assertFalse(noRefit.out().contains("refit"), noRefit.out());
        for (int n : new int[] {1, 2, 4, 8, 16, 32}) {
            assertTrue(plan.out().lines().anyMatch(l -> l.matches(" +" + n + " +[0-9.]+ (s|min|h).*")), n + "\n" + plan.out());
        }
        assertEquals(before, listing(tmp));
    }

    @Test
    void badInputIsOneLineExitTwoAndWritesNothing() throws IOException {
        Path out = tmp.resolve("bad");
        List<String> before = listing(tmp);
        String[][] cases = {
            {"--shard", "5/4"}, {"--shard", "0/0"}, {"--shard", "-1/4"}, {"--shard", "x"},
            {"--shard", "0/2", "--plan"}, {"--stage", "stats", "--plan"}, {"--stage", "shards"},
            {"--stage", "stats", "--shard", "2/2"},
        };
        for (String[] c : cases) {
            Run r = cli(args("armor", out, c));
            assertEquals(2, r.exit(), String.join(" ", c) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        for (String method : new String[] {"wanda", "sparsegpt"}) {
            Run r = cli(args(method, out, "--shard", "0/2"));
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().contains("pruned layers before it"), r.err());
        }
        assertEquals(before, listing(tmp));
        // a work folder of another job (here: another model) is refused before anything is written
        Path mixed = tmp.resolve("mixed");
        Run first = cli(args("armor", mixed, "--stage", "stats"));
        assertEquals(0, first.exit(), first.err());
        List<String> kept = listing(work(mixed));
        List<String> other = args("armor", mixed, "--shard", "0/2");
        other.set(other.indexOf(STORIES), SHARED.resolve("models/tiny-llama3-random").toString());
        Run r = cli(other);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("other arguments: it has model ") && r.err().contains("stories260K-hf"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals(kept, listing(work(mixed)));
        assertFalse(Files.exists(mixed));
    }
}
