package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the tuner knows of one trial: its sampled point, {@link TrialStatus status}, best validation value (and
 * where), learning-rate bookkeeping under the plateau policy ({@link PlateauState}), commands in flight, and its
 * decisions. Mutated only by the study engine and the reactions; serialised field by field into the study
 * document (the plateau bookkeeping at the same level, as it always was).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class TrialState {

    /** How many alert ids a trial remembers for de-duplication. */
    static final int SEEN_ALERTS = 64;

    public String trialId;
    public String runId;
    public int index;
    public int round;
    public String origin;
    public String remedyOf;
    /** The point in search names (e.g. hiddenUnits), as sampled. */
    public Map<String, Object> params = new LinkedHashMap<>();
    public long maxSteps;
    public long seed;
    public TrialStatus status = TrialStatus.QUEUED;
    public Instant createdAt;
    public Instant startedAt;
    public Instant finishedAt;
    public Instant lastEventAt;
    /** The index of the last step trained, as far as the events told (-1: none); see {@code TrialEvents#progress}. */
    public long lastStep = -1;
    /**
     * The step at which a stop took effect ({@code command-applied} of a stop carries the first step that would
     * have run under it): the run trained exactly this many steps. Null while no stop was applied (and then left
     * out of the document, as it was before the field existed).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public Long stoppedAtStep;
    public Double best;
    public Long bestStep;
    public Integer bestEpoch;
    public Double lastValue;
    public Double learningRate;
    /** The plateau and raise-back reactions' bookkeeping of this trial's rate (flat in the document). */
    @JsonUnwrapped
    public PlateauState plateau = new PlateauState();
    public String stopReason;
    public String stopDetector;
    public String finishStatus;
    /** The trainer's reason in {@code run-finished}, if any. */
    public String finishReason;
    public List<PendingCommand> pending = new ArrayList<>();
    public List<Decision> decisions = new ArrayList<>();
    public List<String> seenAlerts = new ArrayList<>();

    @JsonIgnore
    public boolean isPreflight() {
        return io.trainwatch.events.Trial.PREFLIGHT.equals(origin);
    }

    @JsonIgnore
    public boolean isActive() {
        return status != null && status.isActive();
    }

    /** The steps this trial trained (its last step + 1), as far as its events told. */
    public long stepsTrained() {
        return Math.max(0, lastStep + 1);
    }

    /** Remembers an alert key; false when it was seen already (a replay or a duplicate). */
    public boolean firstSight(String key) {
        if (seenAlerts.contains(key)) {
            return false;
        }
        seenAlerts.add(key);
        while (seenAlerts.size() > SEEN_ALERTS) {
            seenAlerts.remove(0);
        }
        return true;
    }

    public void addDecision(Decision d, int max) {
        decisions.add(d);
        while (decisions.size() > max) {
            decisions.remove(0);
        }
    }
}
