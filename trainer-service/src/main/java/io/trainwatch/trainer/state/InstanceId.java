package io.trainwatch.trainer.state;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * This trainer's name, stable across restarts: the configured {@code trainwatch.trainer.instance-id}, else the one
 * kept in {@code <state-dir>/instance-id} (made up once, {@code trainer-} and 8 hex digits). The command consumer's
 * group is named after it, so a restarted trainer reads the commands from where it left off. Two trainers must
 * not share a state dir (nor an instance id).
 */
public final class InstanceId {

    private static final Logger LOG = Logger.getLogger(InstanceId.class);
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    static final String FILE = "instance-id";

    private InstanceId() {
    }

    public static String resolve(Optional<String> configured, Path stateDir) {
        if (configured.isPresent() && !configured.get().isBlank()) {
            return configured.get().trim();
        }
        Path file = stateDir.resolve(FILE);
        try {
            if (Files.isRegularFile(file)) {
                String kept = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (VALID.matcher(kept).matches()) {
                    return kept;
                }
                LOG.warnf("%s does not hold a valid instance id; a new one is made", file);
            }
        } catch (IOException e) {
            LOG.warnf("cannot read %s: %s; a new instance id is made", file, e.toString());
        }
        String made = "trainer-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Files.createDirectories(stateDir);
            Path tmp = Files.createTempFile(stateDir, ".instance-id-", ".tmp");
            Files.writeString(tmp, made + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot keep the instance id in %s: %s (a restart will have another one and will not read the "
                    + "commands written while it was down)", file, e.toString());
        }
        return made;
    }
}
