package armor.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where an NVIDIA library is looked for: a variable naming the file (or its folder; when set, nothing else is
 * tried), the folders of NVIDIA's Python wheels under every site-packages of {@code PYTHONPATH},
 * {@code VIRTUAL_ENV}, {@code CONDA_PREFIX}, the user's {@code ~/.local} and the system Pythons, then
 * {@code LD_LIBRARY_PATH}, the Debian packages' {@code /usr/lib/x86_64-linux-gnu} (and its per-library subfolders),
 * and {@code CUDA_HOME}/{@code /usr/local/cuda}'s {@code lib64}.
 *
 * @param variable    the environment variable that overrides the search, e.g. {@code ARMOR_CUSPARSELT}
 * @param wheelDirs   folders inside site-packages, e.g. {@code nvidia/cusparselt/lib}
 * @param fileNames   file names to try in every folder, preferred first
 * @param hint        what to do when nothing is found, e.g. "pip install nvidia-cusparselt-cu13"
 */
record LibrarySearch(String label, String variable, List<String> wheelDirs, List<String> fileNames, String hint) {

    /** The library file: the first candidate that exists. */
    Path locate(Map<String, String> env, Path home) {
        String explicit = env.get(variable);
        if (explicit != null && !explicit.isBlank()) {
            Path given = Path.of(explicit);
            if (Files.isRegularFile(given)) return given;
            if (Files.isDirectory(given)) {
                for (Path dir : List.of(given, given.resolve("lib"), given.resolve("lib64"))) {
                    for (String name : fileNames) {
                        if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
                    }
                }
                throw new CudaUnavailableException(variable + "=" + explicit + " is a folder without "
                        + fileNames.getFirst() + " (also looked in its lib/ and lib64/)");
            }
            throw new CudaUnavailableException(variable + "=" + explicit + " does not exist");
        }
        List<Path> candidates = candidates(env, home);
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new CudaUnavailableException(label + " not found (looked in " + candidates.size() + " places: Python wheels "
                + String.join(", ", wheelDirs) + ", LD_LIBRARY_PATH, /usr/lib/x86_64-linux-gnu, /usr/local/cuda/lib64); "
                + hint + " or set " + variable + " to " + fileNames.getFirst());
    }

    /** Every place looked at when the variable is unset, in order. */
    List<Path> candidates(Map<String, String> env, Path home) {
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path sitePackages : sitePackages(env, home)) {
            for (String wheelDir : wheelDirs) dirs.add(sitePackages.resolve(wheelDir));
        }
        for (String dir : pathList(env.get("LD_LIBRARY_PATH"))) dirs.add(Path.of(dir));
        Path debian = Path.of("/usr/lib/x86_64-linux-gnu");
        dirs.add(debian);
        for (String name : fileNames) {
            String stem = name.substring(0, name.indexOf(".so"));
            dirs.addAll(children(debian.resolve(stem))); // e.g. libcusparseLt/12, libcusparseLt/13
        }
        String cudaHome = env.get("CUDA_HOME");
        if (cudaHome != null && !cudaHome.isBlank()) dirs.add(Path.of(cudaHome, "lib64"));
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs) {
            for (String name : fileNames) files.add(dir.resolve(name));
        }
        return files;
    }

    private static List<Path> sitePackages(Map<String, String> env, Path home) {
        List<Path> roots = new ArrayList<>();
        for (String dir : pathList(env.get("PYTHONPATH"))) roots.add(Path.of(dir));
        for (String prefix : new String[] {env.get("VIRTUAL_ENV"), env.get("CONDA_PREFIX")}) {
            if (prefix != null && !prefix.isBlank()) roots.addAll(pythonLibDirs(Path.of(prefix, "lib")));
        }
        roots.addAll(pythonLibDirs(home.resolve(".local/lib")));
        roots.addAll(pythonLibDirs(Path.of("/usr/local/lib")));
        roots.addAll(pythonLibDirs(Path.of("/usr/lib")));
        roots.add(Path.of("/usr/lib/python3/dist-packages"));
        return roots;
    }

    /** {@code python3.*}/{site,dist}-packages under a prefix's lib folder. */
    private static List<Path> pythonLibDirs(Path lib) {
        List<Path> found = new ArrayList<>();
        for (Path python : children(lib)) {
            if (!python.getFileName().toString().startsWith("python3")) continue;
            found.add(python.resolve("site-packages"));
            found.add(python.resolve("dist-packages"));
        }
        return found;
    }

    private static List<Path> children(Path dir) {
        List<Path> children = new ArrayList<>();
        if (!Files.isDirectory(dir)) return children;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path child : stream) if (Files.isDirectory(child)) children.add(child);
        } catch (IOException e) {
            return children; // an unreadable folder simply holds no candidates
        }
        children.sort(null);
        return children;
    }

    private static List<String> pathList(String value) {
        List<String> parts = new ArrayList<>();
        if (value == null) return parts;
        for (String part : value.split(":")) if (!part.isBlank()) parts.add(part);
        return parts;
    }
}
