package armor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * deploy/k8s parsed as YAML (there is no cluster here): the fields that decide whether the pruning Jobs and the
 * serving Deployment work — one argument set for every stage, the Indexed Job's shard from JOB_COMPLETION_INDEX and
 * its count equal to SHARDS, the shared claim, probes on /health, Prometheus annotations, the key from a Secret,
 * resources — and every armor command line in them accepted by the real CLI's option parser.
 * Also deploy/slurm's scripts: valid bash, and bad arguments refused before anything is submitted.
 */
class DeployManifestsTest {
    static final Path DEPLOY = Path.of(System.getProperty("user.dir")).resolve("../deploy").normalize();
    static final Map<String, Map<String, Object>> K8S = new LinkedHashMap<>(); // kind/name → object

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        try (var files = Files.list(DEPLOY.resolve("k8s"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object doc : new Yaml().loadAll(Files.readString(f))) {
                    if (doc == null) continue;
                    Map<String, Object> m = (Map<String, Object>) doc;
                    String key = m.get("kind") + "/" + map(m, "metadata").get("name");
                    assertTrue(K8S.put(key, m) == null, key + " defined twice");
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String... path) {
        Map<String, Object> cur = m;
        for (String p : path) {
            Object next = cur.get(p);
            assertNotNull(next, "missing " + String.join(".", path) + " (at " + p + ")");
            cur = (Map<String, Object>) next;
        }
        return cur;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> m, String key) {
        Object v = m.get(key);
        assertNotNull(v, "missing " + key);
        return (List<Object>) v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> onlyContainer(Map<String, Object> workload) {
        List<Object> cs = list(map(workload, "spec", "template", "spec"), "containers");
        assertEquals(1, cs.size());
        return (Map<String, Object>) cs.get(0);
    }

    static Map<String, Object> get(String key) {
        Map<String, Object> m = K8S.get(key);
        assertNotNull(m, key + " not in deploy/k8s (have " + K8S.keySet() + ")");
        return m;
    }

    static Map<String, Object> args() {
        return map(get("ConfigMap/armor-prune-args"), "data");
    }

    /** The prune command line of a stage's pod, with the shell's expansions done for {@code index}. */
    @SuppressWarnings("unchecked")
    static String[] pruneLine(Map<String, Object> job, int index) {
        Map<String, Object> c = onlyContainer(job);
        assertEquals(List.of("sh", "-c"), c.get("command"));
        String script = (String) ((List<Object>) c.get("args")).get(0);
        Map<String, Object> data = args();
        String expanded = script.replace("${JOB_COMPLETION_INDEX}", Integer.toString(index))
                .replace("$PRUNE_ARGS", (String) data.get("PRUNE_ARGS"))
                .replace("$THREADS", (String) data.get("THREADS")).replace("$SHARDS", (String) data.get("SHARDS"));
        assertTrue(expanded.contains("ARMOR_JAVA_OPTS=\"-Darmor.threads=" + data.get("THREADS") + " "), expanded);
        String line = expanded.substring(expanded.indexOf("exec armor ") + "exec armor ".length());
        return line.trim().split("\\s+");
    }

    static CommandLine.ParseResult parse(Object command, String[] args) {
        return new CommandLine(command).parseArgs(args);
    }

    @SuppressWarnings("unchecked")
    static void sharesTheClaim(Map<String, Object> workload, boolean readOnly) {
        Map<String, Object> spec = map(workload, "spec", "template", "spec");
        Map<String, Object> vol = (Map<String, Object>) list(spec, "volumes").get(0);
        Map<String, Object> claim = map(vol, "persistentVolumeClaim");
        assertEquals("armor-data", claim.get("claimName"));
        get("PersistentVolumeClaim/armor-data");
        Map<String, Object> mount = (Map<String, Object>) list(onlyContainer(workload), "volumeMounts").get(0);
        assertEquals(vol.get("name"), mount.get("name"));
        assertEquals("/data", mount.get("mountPath"));
        assertEquals(readOnly, Boolean.TRUE.equals(mount.get("readOnly")), "readOnly mount");
    }

    static void hasResources(Map<String, Object> container) {
        Map<String, Object> req = map(container, "resources", "requests"), lim = map(container, "resources", "limits");
        for (String r : new String[] {"cpu", "memory"}) {
            assertNotNull(req.get(r), "requests." + r);
            assertEquals(req.get(r), lim.get(r), r + ": requests = limits (a pod that can be squeezed runs slower)");
        }
    }

    static long gibibytes(String quantity) {
        assertTrue(quantity.endsWith("Gi"), quantity);
        return Long.parseLong(quantity.substring(0, quantity.length() - 2));
    }

    @Test
    void theVolumeIsSharedReadWriteMany() {
        Map<String, Object> pvc = get("PersistentVolumeClaim/armor-data");
        assertEquals(List.of("ReadWriteMany"), list(map(pvc, "spec"), "accessModes"));
        assertNotNull(map(pvc, "spec", "resources", "requests").get("storage"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void statsShardsAndAssembleRunOneJobFromOneArgumentSet() {
        Map<String, Object> data = args();
        int shards = Integer.parseInt((String) data.get("SHARDS"));
        String threads = (String) data.get("THREADS");
        Map<String, Object> stats = get("Job/armor-prune-stats"), shardJob = get("Job/armor-prune-shards"),
                assemble = get("Job/armor-prune-assemble");
        for (Map<String, Object> job : List.of(stats, shardJob, assemble)) {
            Map<String, Object> c = onlyContainer(job);
            assertEquals("armor-prune-args", map((Map<String, Object>) list(c, "envFrom").get(0), "configMapRef")
                    .get("name"));
            assertEquals("Never", map(job, "spec", "template", "spec").get("restartPolicy"));
            sharesTheClaim(job, false);
            hasResources(c);
            assertEquals(threads, map(c, "resources", "limits").get("cpu"), "THREADS = the pod's CPUs");
            assertTrue(c.get("image").toString().startsWith("armor"), "image");
        }
        // the Indexed Job: N completions, shard i from JOB_COMPLETION_INDEX
        Map<String, Object> spec = map(shardJob, "spec");
        assertEquals("Indexed", spec.get("completionMode"));
        assertEquals(shards, spec.get("completions"));
        assertTrue((Integer) spec.get("parallelism") >= 1 && (Integer) spec.get("parallelism") <= shards);
        assertTrue((Integer) spec.get("backoffLimitPerIndex") >= 1, "a dead pod is rerun (and resumes)");
        for (int i : new int[] {0, shards - 1}) {
            PruneCommand cmd = new PruneCommand();
            String[] line = pruneLine(shardJob, i);
            assertEquals("prune", line[0]);
            parse(cmd, Arrays.copyOfRange(line, 1, line.length));
            assertEquals(i + "/" + shards, cmd.shard);
            assertEquals(Integer.parseInt(threads), cmd.threads);
            assertEquals(null, cmd.stage);
        }
        PruneCommand s = new PruneCommand();
        String[] sl = pruneLine(stats, 0);
        parse(s, Arrays.copyOfRange(sl, 1, sl.length));
        assertEquals("stats", s.stage);
        assertEquals(null, s.shard);
        PruneCommand a = new PruneCommand();
        String[] al = pruneLine(assemble, 0);
        parse(a, Arrays.copyOfRange(al, 1, al.length));
        assertEquals(null, a.stage);
        assertEquals(null, a.shard);
        // the rest of the line is PRUNE_ARGS itself, for all three
        assertEquals(s.out, a.out);
        assertEquals(s.model, a.model);
    }

    @Test
    @SuppressWarnings("unchecked")
    void serveRunsStatelessReplicasWithProbesMetricsAndAKeyFromASecret() {
        Map<String, Object> dep = get("Deployment/armor-serve"), svc = get("Service/armor-serve");
        Map<String, Object> labels = map(dep, "spec", "template", "metadata", "labels");
        assertEquals(map(dep, "spec", "selector", "matchLabels"), labels);
        assertTrue((Integer) map(dep, "spec").get("replicas") >= 1);
        Map<String, Object> c = onlyContainer(dep);
        List<String> argv = ((List<Object>) c.get("args")).stream().map(Object::toString).toList();
        assertEquals("serve", argv.get(0));
        ServeCommand serve = new ServeCommand();
        CommandLine.ParseResult parsed = parse(serve, argv.subList(1, argv.size()).toArray(String[]::new));
        String port = parsed.matchedOptionValue("--port", 8080).toString();
        assertEquals("0.0.0.0", parsed.matchedOptionValue("--host", "127.0.0.1"), "listens beyond the pod");
        // the checkpoint the assemble Job writes
        PruneCommand prune = new PruneCommand();
        String[] line = pruneLine(get("Job/armor-prune-assemble"), 0);
        parse(prune, Arrays.copyOfRange(line, 1, line.length));
        assertEquals(prune.out, serve.model);
        sharesTheClaim(dep, true);
        // the port, by name, in the probes and the Service
        Map<String, Object> p = (Map<String, Object>) list(c, "ports").get(0);
        assertEquals(Integer.parseInt(port), p.get("containerPort"));
        for (String probe : new String[] {"startupProbe", "readinessProbe", "livenessProbe"}) {
            Map<String, Object> get = map(c, probe, "httpGet");
            assertEquals("/health", get.get("path"), probe);
            assertEquals(p.get("name"), get.get("port"), probe);
        }
        Map<String, Object> ann = map(dep, "spec", "template", "metadata", "annotations");
        assertEquals("true", ann.get("prometheus.io/scrape"));
        assertEquals(port, ann.get("prometheus.io/port"));
        assertEquals("/metrics", ann.get("prometheus.io/path"));
        Map<String, String> env = new LinkedHashMap<>();
        Map<String, Object> secretRef = null;
        for (Object o : list(c, "env")) {
            Map<String, Object> e = (Map<String, Object>) o;
            if (e.get("value") != null) env.put((String) e.get("name"), e.get("value").toString());
            if ("ARMOR_API_KEY".equals(e.get("name"))) secretRef = map(e, "valueFrom", "secretKeyRef");
        }
        assertNotNull(secretRef, "ARMOR_API_KEY from a Secret");
        assertNotNull(secretRef.get("name"));
        assertNotNull(secretRef.get("key"));
        hasResources(c);
        String opts = env.get("ARMOR_JAVA_OPTS");
        assertTrue(opts.contains("-Darmor.threads=" + map(c, "resources", "limits").get("cpu")), opts);
        // the heap (weights repacked at load + KV caches) fits in the limit with room for the JVM itself
        long heap = Long.parseLong(opts.replaceAll(".*-Xmx(\\d+)g.*", "$1"));
        assertTrue(gibibytes((String) map(c, "resources", "limits").get("memory")) >= heap + 1, opts);
        // the Service reaches the pods
        assertEquals(labels, map(svc, "spec", "selector"));
        Map<String, Object> sp = (Map<String, Object>) list(map(svc, "spec"), "ports").get(0);
        assertEquals(p.get("name"), sp.get("targetPort"));
    }

    @Test
    void slurmScriptsAreValidBashAndRefuseBadArgumentsBeforeSubmitting() throws Exception {
        for (String f : new String[] {"slurm/submit.sh", "slurm/prune-stage.sbatch"}) {
            Process p = new ProcessBuilder("bash", "-n", DEPLOY.resolve(f).toString()).redirectErrorStream(true).start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), f + ": " + new String(p.getInputStream().readAllBytes()));
        }
        List<List<String>> bad = List.of(List.of("--shards", "0", "--model", "/", "--out", "/tmp/x"),
                List.of("--shards", "4", "--model", "/nonexistent", "--out", "/tmp/x"),
                List.of("--shards", "4", "--model", "/", "--out", "/"), List.of("--bogus"));
        for (List<String> a : bad) {
            List<String> cmd = new ArrayList<>(List.of("bash", DEPLOY.resolve("slurm/submit.sh").toString()));
            cmd.addAll(a);
            // no sbatch here: a bad argument must be refused before the script gets that far
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(2, p.exitValue(), a + ": " + out);
            assertTrue(out.startsWith("submit.sh: ") && out.strip().lines().count() == 1, out);
        }
    }
}
