package io.trainwatch.monitor.notify;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Configures the four platforms' channels (URLs in secret files, as in production) pointing at a local
 * {@link ChatReceiver}, plus a channel on a dead port. The receiver's port is published in the system
 * property {@value #PORT_PROPERTY}: the test reads what arrived over HTTP, whatever class loader it runs in.
 */
public class ChatNotifierProfile implements QuarkusTestProfile {

    public static final String PORT_PROPERTY = "trainwatch.test.chat-receiver.port";

    /**
     * The receiver's base URL. Quarkus may build this profile more than once, in different class loaders:
     * the JVM-wide system property, not a static field, makes them all share the one receiver.
     */
    private static String receiverBase() throws IOException {
        synchronized (System.class) {
            String port = System.getProperty(PORT_PROPERTY);
            if (port == null) {
                port = Integer.toString(ChatReceiver.start().port()); // runs until the JVM exits (daemon threads)
                System.setProperty(PORT_PROPERTY, port);
            }
            return "http://127.0.0.1:" + port;
        }
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            String base = receiverBase();
            Path dir = Files.createTempDirectory("trainwatch-webhooks");
            dir.toFile().deleteOnExit();
            Map<String, String> c = new HashMap<>();
            c.put("trainwatch.notify.group-wait", "0s");
            c.put("trainwatch.notify.group-interval", "1s");
            c.put("trainwatch.notify.retry.initial-backoff", "100ms");
            c.put("trainwatch.notify.retry.max-attempts", "20");
            for (String platform : new String[]{"slack", "mattermost", "teams", "discord"}) {
                c.put("trainwatch.notify.channels." + platform + ".platform", platform);
                c.put("trainwatch.notify.channels." + platform + ".url-file", secret(dir, platform, base + "/" + platform));
                c.put("trainwatch.notify.channels." + platform + ".rate-per-second", "50");
            }
            int deadPort;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                deadPort = s.getLocalPort();
            }
            c.put("trainwatch.notify.channels.dead.platform", "slack");
            c.put("trainwatch.notify.channels.dead.url-file",
                    secret(dir, "dead", "http://127.0.0.1:" + deadPort + "/services/T0/B0/DEADSECRET"));
            c.put("trainwatch.notify.channels.critical-only.platform", "slack");
            c.put("trainwatch.notify.channels.critical-only.url-file", secret(dir, "critical", base + "/critical"));
            c.put("trainwatch.notify.channels.critical-only.min-severity", "critical");
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String secret(Path dir, String name, String url) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, url + "\n");
        file.toFile().deleteOnExit();
        return file.toString();
    }
}
