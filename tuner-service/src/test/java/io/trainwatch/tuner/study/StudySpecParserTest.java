package io.trainwatch.tuner.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StudySpecParserTest {

    static final String GOOD = """
            {"name": "spirals", "objective": "maximize-validation-accuracy",
             "space": {"learningRate": {"type": "log-uniform", "min": 1e-4, "max": 1},
                       "l2": {"type": "log-uniform", "min": 1e-6, "max": 1e-2},
                       "dropout": {"type": "uniform", "min": 0, "max": 0.5},
                       "width": {"type": "integer", "min": 8, "max": 128},
                       "activation": {"type": "categorical", "values": ["relu", "tanh", "sigmoid"]}},
             "budget": {"trials": 10, "concurrentTrials": 2, "stepsPerTrial": 300},
             "dataset": {"type": "spirals", "classes": 3},
             "model": {"hiddenLayers": [64, 64], "optimizer": "adam"},
             "seed": 7}
            """;

    @Test
    void readsAGoodStudy() {
        StudySpecParser.Parsed p = StudySpecParser.parse(GOOD);
        StudySpec s = p.spec();
        assertThat(p.id()).isNull();
        assertThat(s.objective()).isEqualTo(Objective.MAXIMIZE_VALIDATION_ACCURACY);
        assertThat(s.space()).containsOnlyKeys("learningRate", "l2", "dropout", "width", "activation");
        assertThat(s.space().keySet()).first().isEqualTo("learningRate");
        assertThat(s.space().get("learningRate")).isEqualTo(ParamSpec.logUniform(1e-4, 1));
        assertThat(s.space().get("width")).isEqualTo(ParamSpec.integer(8, 128));
        assertThat(s.space().get("activation").values()).containsExactly("relu", "tanh", "sigmoid");
        assertThat(s.budget()).as("refined rounds train as long as the first unless asked")
                .isEqualTo(new StudyBudget(10, 2, 300, 2, 1.0));
        assertThat(s.budget().plannedSteps()).as("the budget written is the budget planned").isEqualTo(10 * 300);
        assertThat(s.dataset()).containsEntry("type", "spirals");
        assertThat(s.model()).containsEntry("optimizer", "adam");
        assertThat(s.seed()).isEqualTo(7);
        assertThat(s.remedies()).isTrue();
    }

    @Test
    void acceptsBritishSpellingAndADataSetName() {
        String json = GOOD.replace("maximize-validation-accuracy", "minimise-validation-loss")
                .replace("{\"type\": \"spirals\", \"classes\": 3}", "\"moons\"");
        StudySpec s = StudySpecParser.parse(json).spec();
        assertThat(s.objective()).isEqualTo(Objective.MINIMIZE_VALIDATION_LOSS);
        assertThat(s.dataset()).containsEntry("type", "moons");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "objective missing          | \"objective\": \"maximize-validation-accuracy\",  |                                    | objective",
            "objective unknown          | maximize-validation-accuracy                      | maximize-train-accuracy            | objective",
            "log-uniform min <= 0       | \"min\": 1e-4                                     | \"min\": 0                         | space.learningRate.min",
            "max below min              | \"min\": 1e-6, \"max\": 1e-2                      | \"min\": 1e-2, \"max\": 1e-6       | space.l2.max",
            "integer not whole          | \"min\": 8                                        | \"min\": 8.5                       | space.width.min",
            "unknown type               | \"type\": \"uniform\"                             | \"type\": \"normal\"               | space.dropout.type",
            "categorical empty          | [\"relu\", \"tanh\", \"sigmoid\"]                 | []                                 | space.activation.values",
            "categorical duplicate      | [\"relu\", \"tanh\", \"sigmoid\"]                 | [\"relu\", \"relu\"]               | space.activation.values[1]",
            "min is a string            | \"min\": 0,                                       | \"min\": \"zero\",                 | space.dropout.min",
            "trials zero                | \"trials\": 10                                    | \"trials\": 0                      | budget.trials",
            "trials too many            | \"trials\": 10                                    | \"trials\": 100000                 | budget.trials",
            "steps missing              | , \"stepsPerTrial\": 300                          |                                    | budget.stepsPerTrial",
            "concurrent fraction        | \"concurrentTrials\": 2                           | \"concurrentTrials\": 1.5          | budget.concurrentTrials",
            "unknown budget field       | \"concurrentTrials\": 2                           | \"concurent\": 2                   | budget.concurent",
            "unknown top-level field    | \"seed\": 7                                       | \"seed\": 7, \"sede\": 1           | sede",
            "dataset missing            | \"dataset\": {\"type\": \"spirals\", \"classes\": 3}, |                               | dataset",
            "seed not integer           | \"seed\": 7                                       | \"seed\": 7.5                      | seed",
            "bad parameter name         | \"dropout\":                                      | \"drop out\":                      | space.drop out",
            "unknown hyperparameter     | \"dropout\":                                      | \"dropuot\":                       | space.dropuot",
            "unknown model field        | \"optimizer\": \"adam\"                          | \"optimiser\": \"adam\"            | model.optimiser",
    })
    void rejectsWithTheFieldNamed(String why, String from, String to, String field) {
        String json = GOOD.replace(from.strip(), to == null ? "" : to.strip());
        assertThat(json).as("the replacement applies").isNotEqualTo(GOOD);
        assertThatThrownBy(() -> StudySpecParser.parse(json))
                .isInstanceOf(InvalidStudyException.class)
                .satisfies(e -> assertThat(((InvalidStudyException) e).field()).isEqualTo(field));
    }

    @Test
    void rejectsWhatIsNotAnObject() {
        for (String body : List.of("", "[]", "not json", "{\"a\":", "null")) {
            assertThatThrownBy(() -> StudySpecParser.parse(body)).isInstanceOf(InvalidStudyException.class)
                    .satisfies(e -> assertThat(((InvalidStudyException) e).field()).isEqualTo("body"));
        }
    }

    @Test
    void rejectsNanAndInfinityBounds() {
        for (String bad : List.of("NaN", "Infinity", "\"NaN\"")) {
            String json = GOOD.replace("\"max\": 0.5", "\"max\": " + bad);
            assertThatThrownBy(() -> StudySpecParser.parse(json)).isInstanceOf(InvalidStudyException.class)
                    .satisfies(e -> assertThat(((InvalidStudyException) e).field()).isEqualTo("space.dropout.max"));
        }
    }

    @Test
    void roundsMayNotExceedTrials() {
        String json = GOOD.replace("\"trials\": 10", "\"trials\": 2, \"rounds\": 3");
        assertThatThrownBy(() -> StudySpecParser.parse(json))
                .satisfies(e -> assertThat(((InvalidStudyException) e).field()).isEqualTo("budget.rounds"));
    }

    @Test
    void splitsTheBudgetIntoRounds() {
        assertThat(new StudyBudget(10, 2, 100, 2, 2).trialsPerRound()).containsExactly(5, 5);
        assertThat(new StudyBudget(11, 2, 100, 3, 2).trialsPerRound()).containsExactly(6, 3, 2);
        assertThat(new StudyBudget(3, 4, 100, 3, 2).trialsPerRound()).containsExactly(1, 1, 1);
        assertThat(new StudyBudget(1, 1, 100, 2, 2).trialsPerRound()).containsExactly(1);
        assertThat(new StudyBudget(10, 2, 100, 3, 2).stepsForRound(2)).isEqualTo(400);
        // 5 + 3 + 2 trials of 100, 200 and 400 steps: a longer refine stays an explicit choice, and is counted.
        assertThat(new StudyBudget(10, 2, 100, 3, 2).trialsPerRound()).containsExactly(5, 3, 2);
        assertThat(new StudyBudget(10, 2, 100, 3, 2).plannedSteps()).isEqualTo(5 * 100 + 3 * 200 + 2 * 400);
        for (int trials = 1; trials <= 40; trials++) {
            for (int rounds = 1; rounds <= 5; rounds++) {
                int[] split = new StudyBudget(trials, 3, 100, rounds, 2).trialsPerRound();
                assertThat(java.util.Arrays.stream(split).sum()).isEqualTo(trials);
                assertThat(java.util.Arrays.stream(split).min().getAsInt()).isGreaterThanOrEqualTo(1);
            }
        }
    }
}
