package io.trainwatch.stack.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TLS/SASL settings exactly as the root README shows them: the {@code export KAFKA_...=...} lines of its
 * {@code bash} block that sets {@code KAFKA_SECURITY_PROTOCOL}, with only the README's placeholders filled in (the
 * broker address, the password in {@code KAFKA_SASL_JAAS_CONFIG}, the truststore and its password). A README that
 * changes a setting changes what the secured stack test runs with; one with a placeholder this class does not know
 * fails it.
 */
final class ReadmeKafkaSettings {

    private static final Pattern EXPORT = Pattern.compile("^\\s*export\\s+(KAFKA_[A-Z0-9_]+)=(.*)$");
    private static final Pattern JAAS_USER = Pattern.compile("username=\"([^\"]+)\"");
    private static final Pattern JAAS_PASSWORD = Pattern.compile("password=\"[^\"]*\"");
    private static final String PLACEHOLDER = "...";

    private final Map<String, String> exports;

    private ReadmeKafkaSettings(Map<String, String> exports) {
        this.exports = exports;
    }

    /** The variables of the README's TLS/SASL example, in its order, with its placeholders as they are. */
    static ReadmeKafkaSettings read(Path readme) {
        List<String> lines;
        try {
            lines = Files.readAllLines(readme);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> block = new LinkedHashMap<>();
        boolean inBash = false;
        for (String line : lines) {
            String trimmed = line.trim();
            if (!inBash && trimmed.equals("```bash")) {
                inBash = true;
                block.clear();
            } else if (inBash && trimmed.equals("```")) {
                inBash = false;
                if (block.containsKey("KAFKA_SECURITY_PROTOCOL")) {
                    return new ReadmeKafkaSettings(block);
                }
            } else if (inBash) {
                Matcher m = EXPORT.matcher(line);
                if (m.matches()) {
                    block.put(m.group(1), unquote(m.group(2).trim()));
                }
            }
        }
        throw new IllegalStateException(readme + " has no ```bash block that exports KAFKA_SECURITY_PROTOCOL");
    }

    /** The variables as the README writes them. */
    Map<String, String> asWritten() {
        return Map.copyOf(exports);
    }

    /** The SASL user name of the README's {@code KAFKA_SASL_JAAS_CONFIG}. */
    String user() {
        Matcher m = JAAS_USER.matcher(require("KAFKA_SASL_JAAS_CONFIG"));
        if (!m.find()) {
            throw new IllegalStateException("the README's KAFKA_SASL_JAAS_CONFIG names no username");
        }
        return m.group(1);
    }

    /**
     * The README's variables with its placeholders filled in: the broker address, the SASL password, the
     * truststore and its password. Every other variable stays exactly as written.
     */
    Map<String, String> filledIn(String bootstrapServers, String password, Path truststore, String truststorePassword) {
        Map<String, String> env = new LinkedHashMap<>(exports);
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
        env.put("KAFKA_SASL_JAAS_CONFIG", JAAS_PASSWORD.matcher(require("KAFKA_SASL_JAAS_CONFIG"))
                .replaceFirst(Matcher.quoteReplacement("password=\"" + password + "\"")));
        require("KAFKA_SSL_TRUSTSTORE_LOCATION");
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", truststore.toString());
        require("KAFKA_SSL_TRUSTSTORE_PASSWORD");
        env.put("KAFKA_SSL_TRUSTSTORE_PASSWORD", truststorePassword);
        env.forEach((k, v) -> {
            if (v.contains(PLACEHOLDER)) {
                throw new IllegalStateException("the README's " + k + " has a placeholder this test does not fill in: "
                        + exports.get(k));
            }
        });
        return env;
    }

    private String require(String name) {
        String value = exports.get(name);
        if (value == null) {
            throw new IllegalStateException("the README's TLS/SASL example does not set " + name + ": " + exports.keySet());
        }
        return value;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("'") && value.endsWith("'")
                || value.startsWith("\"") && value.endsWith("\""))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }
}
