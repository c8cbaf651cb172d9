package armor.runtime.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Counts physical cores (distinct physical id + core id pairs in /proc/cpuinfo), falling back to the JVM's count. */
final class PhysicalCores {
    private PhysicalCores() {}

    static int count() {
        int logical = Runtime.getRuntime().availableProcessors();
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            Set<String> cores = new HashSet<>();
            String physical = "0";
            for (String line : lines) {
                if (line.startsWith("physical id")) physical = line.substring(line.indexOf(':') + 1).trim();
                else if (line.startsWith("core id")) cores.add(physical + "/" + line.substring(line.indexOf(':') + 1).trim());
            }
            if (cores.isEmpty()) return logical;
            return Math.max(1, Math.min(logical, cores.size()));
        } catch (IOException | RuntimeException e) {
            return logical;
        }
    }
}
