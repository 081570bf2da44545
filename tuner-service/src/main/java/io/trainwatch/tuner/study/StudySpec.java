package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.trainwatch.tuner.preflight.PreflightSpec;

import java.util.Map;

/**
 * A validated study request: what to optimise, the search space per hyperparameter, the budget, the
 * data set and base model that every trial starts from, and the seed of its random search. Built by
 * {@link StudySpecParser}.
 *
 * @param name      a label for people
 * @param objective what the leaderboard ranks by
 * @param space     hyperparameter name -> range, in the request's order
 * @param budget    trials, concurrency and steps
 * @param dataset   the trainer's data set configuration, passed through
 * @param model     the trainer's base configuration (layers, optimiser...), passed through
 * @param seed      seed of the random search (and of the trials' seeds)
 * @param remedies  whether a trial stopped for a pathology is followed by a remedied copy (origin remedy)
 * @param reactions whether the tuner reacts to alerts at all (false: plain random search, every trial to
 *                  its budget, the baseline of the benchmark)
 * @param preflight the checks of CS231n's tuning procedure run before the search (initial loss, overfit a tiny subset,
 *                  learning-rate range test), or null for none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StudySpec(
        String name,
        Objective objective,
        Map<String, ParamSpec> space,
        StudyBudget budget,
        Map<String, Object> dataset,
        Map<String, Object> model,
        long seed,
        boolean remedies,
        boolean reactions,
        PreflightSpec preflight) {

    /** A study with no preflight. */
    public StudySpec(String name, Objective objective, Map<String, ParamSpec> space, StudyBudget budget,
                     Map<String, Object> dataset, Map<String, Object> model, long seed, boolean remedies,
                     boolean reactions) {
        this(name, objective, space, budget, dataset, model, seed, remedies, reactions, null);
    }

    public StudySpec {
        space = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(space));
        dataset = dataset == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(dataset));
        model = model == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(model));
    }
}
