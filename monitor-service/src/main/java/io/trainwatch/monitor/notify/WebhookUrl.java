package io.trainwatch.monitor.notify;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * A webhook URL, which is a secret (whoever has it can post to the channel): its {@link #toString()} and
 * {@link #redacted()} show only scheme, host and port, and {@link #scrub(String)} removes it from any text
 * (such as an exception message) before that text is logged.
 */
public final class WebhookUrl {

    /** Path segments and query values at least this long are treated as secret tokens by {@link #scrub}. */
    static final int MIN_SECRET_PART = 8;

    private final URI uri;
    private final String raw;

    private WebhookUrl(URI uri, String raw) {
        this.uri = uri;
        this.raw = raw;
    }

    /** Parses an http(s) URL with a host; the error message never contains the URL itself. */
    public static WebhookUrl parse(String value) {
        String raw = value == null ? "" : value.strip();
        if (raw.isEmpty()) {
            throw new IllegalArgumentException("the webhook URL is empty");
        }
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the webhook URL is not a valid URI");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new IllegalArgumentException("the webhook URL must start with https:// (or http://)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the webhook URL has no host");
        }
        return new WebhookUrl(uri, raw);
    }

    /**
     * The URL from the environment variable {@code urlEnv} or the file {@code urlFile} (exactly one of
     * them); the error message names the variable or file, never the secret.
     */
    public static WebhookUrl resolve(Optional<String> urlEnv, Optional<String> urlFile, Function<String, String> env) {
        if (urlEnv.isPresent() == urlFile.isPresent()) {
            throw new IllegalArgumentException("set exactly one of url-env and url-file");
        }
        if (urlEnv.isPresent()) {
            String value = env.apply(urlEnv.get());
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("environment variable " + urlEnv.get() + " is not set");
            }
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("environment variable " + urlEnv.get() + ": " + e.getMessage());
            }
        }
        Path file = Path.of(urlFile.get());
        String value;
        try {
            value = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("cannot read url-file " + file + ": " + e.getClass().getSimpleName());
        }
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("url-file " + file + ": " + e.getMessage());
        }
    }

    /** The URL, only to send requests to. */
    public URI uri() {
        return uri;
    }

    /** Scheme, host and port, and {@code /***} for the secret path. */
    public String redacted() {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + "/***";
    }

    /** The text with this URL, its path and its query replaced by the redacted form. */
    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String out = text.replace(raw, redacted()).replace(uri.toString(), redacted());
        if (uri.getRawPath() != null && uri.getRawPath().length() > 1) {
            out = out.replace(uri.getRawPath(), "/***");
        }
        if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
            out = out.replace(uri.getRawQuery(), "***");
            for (String param : uri.getRawQuery().split("&")) {
                String value = param.substring(param.indexOf('=') + 1);
                if (value.length() >= MIN_SECRET_PART) {
                    out = out.replace(value, "***");
                }
            }
        }
        if (uri.getRawPath() != null) {
            for (String segment : uri.getRawPath().split("/")) {
                if (segment.length() >= MIN_SECRET_PART) { // tokens are long; "services", "webhooks" go too, harmlessly
                    out = out.replace(segment, "***");
                }
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WebhookUrl w && w.raw.equals(raw);
    }

    @Override
    public int hashCode() {
        return raw.hashCode();
    }

    @Override
    public String toString() {
        return redacted();
    }
}
