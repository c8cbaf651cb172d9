package armor.runtime.safetensors;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The temporary folder a checkpoint is written into before it is renamed to its target, named after the process
 * that writes it ({@code .OUT.tmp-PID@HOST-RANDOM}). A writer killed mid-way (SIGKILL, out of memory) cannot delete
 * its folder, which may hold gigabytes; the next writer of the same target deletes the folders of writers on this
 * host that are no longer running, and leaves those of live writers and of other hosts (a shared file system) alone.
 */
public final class OutputTempFolder {
    /** Folders of the old naming (no writer in the name) are deleted once they have not changed for this long. */
    static final Duration UNNAMED_WRITER_AGE = Duration.ofDays(1);

    private OutputTempFolder() {}

    /** Deletes stale temporary folders of {@code target}, then creates this process's (in the target's parent). */
    public static Path create(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        removeStale(target);
        return Files.createTempDirectory(parent, prefix(target) + ProcessHandle.current().pid() + "@" + host() + "-");
    }

    /** Deletes the temporary folders of {@code target} whose writers are gone; returns what it deleted. */
    public static List<Path> removeStale(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        String prefix = prefix(target);
        Pattern owner = Pattern.compile(Pattern.quote(prefix) + "(\\d+)@([^-]+)-.*");
        List<Path> removed = new ArrayList<>();
        if (parent == null || !Files.isDirectory(parent)) return removed;
        try (Stream<Path> list = Files.list(parent)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (!name.startsWith(prefix) || !Files.isDirectory(p)) continue;
                Matcher m = owner.matcher(name);
                boolean stale = m.matches() ? m.group(2).equals(host()) && !alive(Long.parseLong(m.group(1)))
                        : olderThan(p, UNNAMED_WRITER_AGE);
                if (stale && deleteTree(p)) removed.add(p);
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: a folder that cannot be listed or deleted is left for the next run
        }
        return removed;
    }

    private static String prefix(Path target) {
        return "." + target.getFileName() + ".tmp-";
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static boolean olderThan(Path p, Duration age) throws IOException {
        FileTime t = Files.getLastModifiedTime(p);
        return t.toInstant().isBefore(Instant.now().minus(age));
    }

    /** This host's name as it can appear in a folder name (no '-' , which ends the owner part). */
    static String host() {
        String h;
        try {
            h = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            h = "localhost";
        }
        return h.replaceAll("[^A-Za-z0-9.]", "_");
    }

    /** Deletes a folder and everything in it (nothing when it does not exist); fails naming the folder. */
    public static void removeTree(Path dir, String what) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(dir + ": cannot remove " + what + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a folder and everything in it; false when something could not be deleted. */
    public static boolean deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
