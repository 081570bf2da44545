package io.trainwatch.stack;

import io.trainwatch.kafka.TestKafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The whole Trainwatch stack for tests: one real in-process broker and the three services as child
 * processes from their built jars, started once per test JVM and stopped when the JVM exits.
 *
 * <p>Use: {@code Stack stack = Stack.get();} (the first call starts everything, about 10-20 s; later
 * calls return the same stack), then {@link #baseUrl(Service)}, {@link #bootstrapServers()} and the
 * small HTTP helpers {@link #get(Service, String)} / {@link #postJson(Service, String, String)}.
 *
 * <ul>
 *   <li>Jars: {@code <repo>/NAME-service/target/quarkus-app/quarkus-run.jar}; the reactor packages them
 *       before this module's tests run (this module is listed last). When one is missing,
 *       {@link #get()} throws with the command that builds it.</li>
 *   <li>Each service listens on 127.0.0.1 on a free port, with {@code KAFKA_BOOTSTRAP_SERVERS} set to
 *       the test broker, {@code TRAINWATCH_API_TOKEN} removed, and everything of this stack under
 *       {@link #home()} = {@code stack-tests/target/stack-runs/<test JVM pid>/}: {@code logs/NAME.log},
 *       {@code state/} (checkpoints, Kafka Streams state), {@code apps/NAME} (links to the built apps) and
 *       {@code pids}. Several builds can run these tests at once; the launcher leaves their processes alone.</li>
 *   <li>Extra JVM options for all services: system property {@code trainwatch.stack.java-opts}
 *       (space separated). Readiness timeout: {@code trainwatch.stack.ready-timeout-s} (default 180).</li>
 *   <li>Stop: a shutdown hook destroys each process, waits 10 s, then destroys it forcibly. Processes
 *       left over by a killed test JVM are ended on the next start.</li>
 *   <li>Another stack over another broker, with more environment for the services (TLS/SASL settings, an API
 *       token): {@link #start(String, String, Map)}, under {@code stack-runs/<test JVM pid>-NAME/}; its caller
 *       closes it. With {@code TRAINWATCH_API_TOKEN} in that environment, the HTTP helpers send it.</li>
 * </ul>
 */
public final class Stack implements AutoCloseable {

    /** The three services, with their module directory names. */
    public enum Service {
        TRAINER("trainer-service"),
        MONITOR("monitor-service"),
        TUNER("tuner-service");

        private final String module;

        Service(String module) {
            this.module = module;
        }

        /** The Maven module (and log file) name, e.g. {@code trainer-service}. */
        public String module() {
            return module;
        }
    }

    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static Stack instance;

    private final Path repo;
    private final Path moduleDir;
    private final Path home;
    private final String bootstrapServers;
    private final Map<String, String> serviceEnv;
    private final Thread stopHook = new Thread(this::stop, "stack-stop");
    private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
    private final Map<Service, Process> processes = new EnumMap<>(Service.class);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Stack(Path repo, String homeName, String bootstrapServers, Map<String, String> serviceEnv) {
        this.repo = repo;
        this.moduleDir = repo.resolve("stack-tests");
        this.home = moduleDir.resolve("target/stack-runs").resolve(homeName);
        this.bootstrapServers = bootstrapServers;
        this.serviceEnv = Map.copyOf(serviceEnv);
    }

    /** The stack of this JVM, started (broker, then the three services, ready) on the first call. */
    public static synchronized Stack get() {
        if (instance == null) {
            Path repo = repoRoot();
            requireJars(repo);
            instance = launched(new Stack(repo, Long.toString(ProcessHandle.current().pid()),
                    TestKafka.bootstrapServers(), Map.of()));
        }
        return instance;
    }

    /**
     * A stack of its own (the three services, ready) over {@code bootstrapServers}, with {@code serviceEnv} added to
     * each service's environment, under {@code stack-runs/<test JVM pid>-<name>}. The caller closes it; a shutdown
     * hook stops it otherwise.
     */
    public static Stack start(String name, String bootstrapServers, Map<String, String> serviceEnv) {
        if (!name.matches("[a-z0-9]+")) {
            throw new IllegalArgumentException("a stack name is lower-case letters and digits, not '" + name + "'");
        }
        Path repo = repoRoot();
        requireJars(repo);
        return launched(new Stack(repo, ProcessHandle.current().pid() + "-" + name, bootstrapServers, serviceEnv));
    }

    private static Stack launched(Stack stack) {
        Runtime.getRuntime().addShutdownHook(stack.stopHook);
        try {
            stack.start();
        } catch (RuntimeException | Error e) {
            stack.stop();
            throw e;
        }
        return stack;
    }

    private static void requireJars(Path repo) {
        for (Service s : Service.values()) {
            Path jar = jar(repo, s);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build it with `mvn -B -o -q -pl "
                        + s.module() + " package -DskipTests` (or run the whole reactor: `mvn -B verify`)");
            }
        }
    }

    /** Stops the services now (a stack from {@link #start(String, String, Map)}; the shared one stops at JVM exit). */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(stopHook);
        } catch (IllegalStateException e) {
            return; // the JVM is shutting down: the hook stops the services
        }
        stop();
    }

    /** The repository root: system property {@code trainwatch.repo}, else the parent of the working directory. */
    public static Path repoRoot() {
        String configured = System.getProperty("trainwatch.repo");
        Path candidate = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of("").toAbsolutePath().getParent();
        Path root = candidate.toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("stack-tests"))) {
            throw new IllegalStateException("not the Trainwatch repository root: " + root);
        }
        return root;
    }

    /** The built jar of a service. */
    public static Path jar(Path repo, Service service) {
        return repo.resolve(service.module()).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** The broker's address, {@code host:port} (for {@link #get()}, the shared {@link TestKafka} broker). */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** {@code http://127.0.0.1:PORT} of a service, without a trailing slash. */
    public String baseUrl(Service service) {
        return "http://127.0.0.1:" + ports.get(service);
    }

    /** The HTTP port of a service. */
    public int port(Service service) {
        return ports.get(service);
    }

    /** The log file of a service (stdout and stderr): {@code target/stack-runs/<test JVM pid>/logs/NAME.log}. */
    public Path logFile(Service service) {
        return home.resolve("logs").resolve(service.module() + ".log");
    }

    /** This stack's own directory, {@code stack-tests/target/stack-runs/<test JVM pid>[-NAME]} (logs, state, pids). */
    public Path home() {
        return home;
    }

    /** The repository root this stack runs from. */
    public Path repo() {
        return repo;
    }

    /** GET {@code baseUrl(service) + path}; the body as text. */
    public HttpResponse<String> get(Service service, String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl(service) + path)).GET());
    }

    /** POST a JSON body to {@code baseUrl(service) + path}. */
    public HttpResponse<String> postJson(Service service, String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl(service) + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        String token = serviceEnv.get("TRAINWATCH_API_TOKEN");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void start() {
        Path state = home.resolve("state");
        try {
            endLeftovers(home.getParent());
            deleteRecursively(home);
            Files.createDirectories(home.resolve("logs"));
            Files.createDirectories(state);
            linkApps();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Service s : Service.values()) {
            ports.put(s, freePort());
        }
        List<String> pids = new ArrayList<>();
        for (Service s : Service.values()) {
            Process p = launch(s, state);
            processes.put(s, p);
            pids.add(Long.toString(p.pid()));
        }
        try {
            Files.write(home.resolve("pids"), pids);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long timeoutS = Long.getLong("trainwatch.stack.ready-timeout-s", 180);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        for (Service s : Service.values()) {
            awaitReady(s, deadline, timeoutS);
        }
    }

    /**
     * {@code kill -9} of a service ({@link Process#destroyForcibly()}, SIGKILL on Linux): nothing of it gets to
     * finish anything. Returns once the process has exited; {@link #restart(Service)} starts it again.
     */
    public synchronized void kill(Service service) {
        Process p = processes.get(service);
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroyForcibly();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(service.module() + " did not exit within 30 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts a service again (after {@link #kill(Service)}, or kills it first) with the same port, state directory
     * (trainer checkpoints and journal, monitor streams state), environment and log file (appended), and waits
     * until it is ready ({@code trainwatch.stack.ready-timeout-s}).
     */
    public void restart(Service service) {
        kill(service);
        synchronized (this) {
            Process p = launch(service, home.resolve("state"));
            processes.put(service, p);
            try {
                Files.write(home.resolve("pids"), processes.values().stream().map(x -> Long.toString(x.pid())).toList());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        long timeoutS = Long.getLong("trainwatch.stack.ready-timeout-s", 180);
        awaitReady(service, System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS), timeoutS);
    }

    /** The process id of a service now (changes with {@link #restart(Service)}). */
    public synchronized long pid(Service service) {
        return processes.get(service).pid();
    }

    /** True when {@code /q/health/ready} of the service answers 200 now. */
    public boolean isReady(Service service) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(baseUrl(service) + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Process launch(Service service, Path state) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String extra = System.getProperty("trainwatch.stack.java-opts", "");
        for (String opt : extra.trim().split("\\s+")) {
            if (!opt.isEmpty()) {
                cmd.add(opt);
            }
        }
        cmd.add("-Dquarkus.http.host=127.0.0.1");
        cmd.add("-Dquarkus.http.port=" + ports.get(service));
        switch (service) {
            case TRAINER -> {
                cmd.add("-Dtrainwatch.trainer.checkpoint-dir=" + state.resolve("checkpoints"));
                cmd.add("-Dtrainwatch.trainer.state-dir=" + state.resolve("trainer"));
                cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + repo.resolve(".trainwatch/javacpp"));
                cmd.add("-Dorg.deeplearning4j.resources.directory=" + moduleDir.resolve("target/dl4j"));
            }
            case MONITOR -> cmd.add("-Dtrainwatch.monitor.streams.state-dir=" + state.resolve("monitor"));
            case TUNER -> { }
        }
        cmd.add("-jar");
        cmd.add(home.resolve("apps").resolve(service.module()).resolve("quarkus-run.jar").toString());
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(moduleDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(service).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(nullFile()));
        Map<String, String> env = pb.environment();
        env.remove("TRAINWATCH_API_TOKEN");
        env.putAll(serviceEnv);
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
        env.put("TRAINWATCH_TRAINER_URL", "http://127.0.0.1:" + ports.get(Service.TRAINER));
        env.put("TRAINWATCH_MONITOR_URL", "http://127.0.0.1:" + ports.get(Service.MONITOR));
        env.put("TRAINWATCH_TUNER_URL", "http://127.0.0.1:" + ports.get(Service.TUNER));
        if (service == Service.TRAINER) {
            // The test models are tiny: one ND4J thread per run keeps steps at 5-40 ms on a loaded 2-core
            // machine, where ND4J's default (one thread per core) gave 100-1600 ms.
            env.putIfAbsent("OMP_NUM_THREADS", "1");
        }
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + service.module(), e);
        }
    }

    private void awaitReady(Service service, long deadline, long timeoutS) {
        URI ready = URI.create(baseUrl(service) + "/q/health/ready");
        Process p = processes.get(service);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException(service.module() + " exited with " + p.exitValue()
                        + " before it was ready; see " + logFile(service) + ":\n" + tail(service));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(service.module() + " was not ready within " + timeoutS
                        + " s; see " + logFile(service) + ":\n" + tail(service));
            }
            try {
                Thread.sleep(250); // polling an external process: no clock to inject
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private String tail(Service service) {
        try {
            List<String> lines = Files.readAllLines(logFile(service));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    private synchronized void stop() {
        for (Process p : processes.values()) {
            p.destroy();
        }
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    /**
     * Each service runs from {@code apps/NAME}, a link to {@code <repo>/NAME/target/quarkus-app}: its command
     * line then names this stack's directory, so that {@code ./trainwatch up/down} (which adopt and stop
     * any process running {@code <repo>/NAME/target/quarkus-app/quarkus-run.jar}) leave test stacks alone,
     * and leftovers of a killed test JVM are recognised as this directory's.
     */
    private void linkApps() throws IOException {
        Path apps = Files.createDirectories(home.resolve("apps"));
        for (Service s : Service.values()) {
            Path link = apps.resolve(s.module());
            try {
                Files.createSymbolicLink(link, jar(repo, s).getParent());
            } catch (UnsupportedOperationException | IOException e) {
                throw new IllegalStateException("cannot link " + link + " to " + jar(repo, s).getParent(), e);
            }
        }
    }

    /**
     * Ends what killed test JVMs left behind: for each {@code stack-runs/<pid>} whose JVM is gone, the
     * recorded service processes that still run from that directory; then removes the directory. Stacks
     * of live JVMs (another build running these tests at the same time) are left alone.
     */
    private static void endLeftovers(Path runs) throws IOException {
        if (!Files.isDirectory(runs)) {
            return;
        }
        List<Path> dirs;
        try (Stream<Path> list = Files.list(runs)) {
            dirs = list.toList();
        }
        for (Path dir : dirs) {
            long owner;
            try {
                owner = Long.parseLong(dir.getFileName().toString().split("-", 2)[0]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
                continue;
            }
            Path pidFile = dir.resolve("pids");
            if (Files.isRegularFile(pidFile)) {
                for (String line : Files.readAllLines(pidFile)) {
                    try {
                        ProcessHandle.of(Long.parseLong(line.trim()))
                                .filter(h -> h.info().commandLine().orElse("").contains(dir.toString()))
                                .ifPresent(ProcessHandle::destroyForcibly);
                    } catch (NumberFormatException e) {
                        // a damaged pid file: nothing to end
                    }
                }
            }
            deleteRecursively(dir);
        }
    }

    private static java.io.File nullFile() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** A port that was free a moment ago on 127.0.0.1. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
