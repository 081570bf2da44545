package io.trainwatch.monitor.live;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.trainwatch.events.Alert;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The JSON the live page and {@code /live/*} receive, as records serialised by {@link LiveJson}: absent
 * optional fields are left out, while the latest figures and the last skip reason are always written
 * ({@code null} when unknown) so the page can tell "none yet" from "not sent".
 */
public final class LiveViews {

    private LiveViews() {
    }

    /** One run on the list of runs and in every push that changed it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"runId", "studyId", "trialId", "scenario", "status", "step", "epoch", "latest", "alerts",
            "actions", "startedAt", "lastEventAt", "updatedAt", "finished", "config", "backend", "device",
            "ignoredEvents"})
    public record RunSummary(String runId, String studyId, String trialId, String scenario, String status, long step,
                             int epoch, Latest latest, AlertCounts alerts, int actions, Instant startedAt,
                             Instant lastEventAt, Instant updatedAt, Finished finished, RunConfigView config,
                             String backend, String device, long ignoredEvents) {

        /** The same summary without its configuration (pushes carry it only when it changed). */
        RunSummary withoutConfig() {
            return new RunSummary(runId, studyId, trialId, scenario, status, step, epoch, latest, alerts, actions,
                    startedAt, lastEventAt, updatedAt, finished, null, backend, device, ignoredEvents);
        }
    }

    /** The latest figures of a run; each is written, {@code null} when the run has not reported it. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"loss", "accuracy", "learningRate", "gradientNorm", "validationLoss", "validationAccuracy"})
    public record Latest(Double loss, Double accuracy, Double learningRate, Double gradientNorm, Double validationLoss,
                         Double validationAccuracy) {
    }

    /** Detectors firing now, firings ever, and which detectors are firing. */
    @JsonPropertyOrder({"firing", "total", "active"})
    public record AlertCounts(int firing, int total, List<String> active) {
    }

    /** How a run ended. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"status", "reason", "step", "droppedEvents", "at"})
    public record Finished(String status, String reason, long step, Long droppedEvents, Instant at) {
    }

    /** A run's configuration as the page shows it; layers as {@code "name type nIn->nOut activation"}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"dataset", "numClasses", "lossFunction", "optimizer", "learningRate", "batchSize", "epochs",
            "l2", "dropout", "seed", "layers"})
    public record RunConfigView(String dataset, Integer numClasses, String lossFunction, String optimizer,
                                Double learningRate, Integer batchSize, Integer epochs, Double l2, Double dropout,
                                Long seed, List<String> layers) {
    }

    /**
     * A tuner action: a command or a suggestion, with its confirmation when the trainer applied it. {@code kind}
     * is what the page draws ({@code decay}, {@code raise}, {@code stop} or {@code set-learning-rate}).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"runId", "commandId", "type", "learningRate", "reason", "alertId", "issuedAt", "mode",
            "status", "issuedStep", "previousLearningRate", "kind", "detector", "appliedStep", "appliedAt"})
    public record ActionView(String runId, String commandId, String type, Number learningRate, String reason,
                             String alertId, Instant issuedAt, String mode, String status, Long issuedStep,
                             Number previousLearningRate, String kind, String detector, Long appliedStep,
                             Instant appliedAt) {
    }

    /** One series, decimated to its bound; {@code width} is the steps one kept point stands for. */
    @JsonPropertyOrder({"steps", "values", "width"})
    public record SeriesView(long[] steps, float[] values, long width) {
    }

    /** New points of one series since the last push. */
    @JsonPropertyOrder({"steps", "values"})
    public record PointsView(long[] steps, float[] values) {
    }

    /** One run's whole picture: {@code GET /live/runs/{id}}. */
    @JsonPropertyOrder({"seq", "run", "series", "alerts", "actions"})
    public record RunDetail(long seq, RunSummary run, Map<String, SeriesView> series, List<Alert> alerts,
                            List<ActionView> actions) {
    }

    /** A push to the pages: what changed since the previous one; {@code points} only for the page's run. */
    @JsonPropertyOrder({"type", "seq", "runs", "evicted", "alerts", "actions", "studies", "removedStudies", "resync",
            "resyncAll", "points"})
    public record DeltaMessage(String type, long seq, List<RunSummary> runs, List<String> evicted, List<Alert> alerts,
                               List<ActionView> actions, List<Map<String, Object>> studies,
                               List<String> removedStudies, List<String> resync, boolean resyncAll,
                               Map<String, Map<String, PointsView>> points) {
    }

    /** Counters and sizes: {@code GET /live/stats} ({@code caughtUp} is added by the resource). */
    @JsonPropertyOrder({"records", "skipped", "ignored", "lastSkipReason", "runs", "studies", "seriesBytes",
            "caughtUp"})
    public record Stats(long records, long skipped, long ignored,
                        @JsonInclude(JsonInclude.Include.ALWAYS) String lastSkipReason, int runs, int studies,
                        long seriesBytes, @JsonInclude(JsonInclude.Include.NON_NULL) Boolean caughtUp) {

        /** These figures with whether the feed has read the topics up to their end. */
        public Stats withCaughtUp(boolean caught) {
            return new Stats(records, skipped, ignored, lastSkipReason, runs, studies, seriesBytes, caught);
        }
    }
}
