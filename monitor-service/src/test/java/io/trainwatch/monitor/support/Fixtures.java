package io.trainwatch.monitor.support;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.TrainingEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The labelled JSONL fixtures of the quality suite: {@code src/test/resources/fixtures/*.jsonl} (contract
 * JSON, one event a line) and {@code labels.csv} ({@code file,pathology,onsetStep,allowed,source}).
 * Running {@link #main} regenerates the synthetic ones.
 */
public final class Fixtures {

    public static final Path DIR = Path.of("src/test/resources/fixtures");

    /** One labelled fixture: pathology "healthy" has no onset; {@code allowed} are acceptable co-diagnoses. */
    public record Fixture(String file, String pathology, long onsetStep, List<String> allowed, String source,
                          List<TrainingEvent> events) {
    }

    private Fixtures() {
    }

    public static List<Fixture> load() {
        try {
            List<Fixture> out = new ArrayList<>();
            for (String line : Files.readAllLines(DIR.resolve("labels.csv"))) {
                if (line.isBlank() || line.startsWith("#") || line.startsWith("file,")) {
                    continue;
                }
                String[] f = line.split(",", -1);
                List<TrainingEvent> events = new ArrayList<>();
                for (String json : lines(DIR.resolve(f[0]))) {
                    if (json.isBlank()) {
                        continue;
                    }
                    ReadResult<TrainingEvent> r = EventCodec.readTrainingEvent(json.getBytes(StandardCharsets.UTF_8));
                    if (!r.isValid()) {
                        throw new IllegalStateException(f[0] + ": " + r.error());
                    }
                    events.add(r.value());
                }
                List<String> allowed = f[3].isBlank() ? List.of() : List.of(f[3].split(";"));
                out.add(new Fixture(f[0], f[1], Long.parseLong(f[2]), allowed, f[4], events));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of a fixture; {@code .gz} files (the recordings of the trainer) are gunzipped. */
    static List<String> lines(Path file) throws IOException {
        if (!file.toString().endsWith(".gz")) {
            return Files.readAllLines(file);
        }
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(
                new java.util.zip.GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
            return in.lines().toList();
        }
    }

    /** Regenerates the synthetic fixtures (seeds 1-3) and their labels; recorded ones are kept. */
    public static void main(String[] args) throws IOException {
        Files.createDirectories(DIR);
        Path labels = DIR.resolve("labels.csv");
        List<String> kept = new ArrayList<>();
        if (Files.exists(labels)) {
            for (String line : Files.readAllLines(labels)) {
                if (!line.contains(",synthetic") && !line.startsWith("file,")) {
                    kept.add(line);
                }
            }
        }
        List<String> rows = new ArrayList<>();
        rows.add("file,pathology,onsetStep,allowed,source");
        for (long seed = 1; seed <= 3; seed++) {
            for (SyntheticRuns.Labelled run : SyntheticRuns.all(seed)) {
                String file = "synthetic-" + run.name() + ".jsonl";
                StringBuilder sb = new StringBuilder();
                for (TrainingEvent e : run.events()) {
                    sb.append(EventCodec.writeString(e)).append('\n');
                }
                Files.writeString(DIR.resolve(file), sb.toString(), StandardCharsets.UTF_8);
                String allowed = switch (run.pathology()) {
                    case "exploding-gradients" -> "divergence";
                    default -> "";
                };
                rows.add(file + "," + run.pathology() + "," + run.onsetStep() + "," + allowed + ",synthetic");
            }
        }
        rows.addAll(kept);
        Files.write(labels, rows);
        System.out.println("wrote " + (rows.size() - 1) + " fixtures to " + DIR);
    }
}
